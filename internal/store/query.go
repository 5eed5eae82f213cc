package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Query selects objects by the latest revision of each. Conditions that are set must all hold;
// the zero Query lists every object. Results come in ZID order (Z2 before Z10).
type Query struct {
	Type string // the type of the value, as "Z8" for functions (see ParseZ2)
	// Ref selects objects whose value holds Target under Key: {Key: "Z14K1", Target: "Z801"}
	// lists the implementations of Z801, {Key: "Z20K1", Target: "Z801"} its testers,
	// {Key: "Z60K1", Target: "en"} the natural language English.
	Ref Ref
	// Label selects objects with exactly this label; Prefix those with a label starting with
	// it, ignoring case. Language limits both to labels in one language ("Z1002"); Aliases
	// makes both match aliases (Z2K4) too.
	Label    string
	Prefix   string
	Language string
	Aliases  bool
	After    string // list only objects after this ZID, for paging
	Limit    int    // at most this many (DefaultListLimit when 0, at most MaxListLimit)
}

// Entry is one object found by List.
type Entry struct {
	ZID      string
	Type     string
	Revision int64 // latest revision number
	ID       int64 // store-wide ID of the latest revision (Revision.ID)
	// Label is the object's label in Query.Language, else in English (Z1002), else any.
	Label string
}

// List returns the objects the query selects, and the ZID to pass as After for the next page
// ("" when there is none).
func (s *Store) List(ctx context.Context, q Query) ([]Entry, string, error) {
	limit := q.Limit
	switch {
	case limit < 0:
		return nil, "", fmt.Errorf("store: negative limit %d", limit)
	case limit == 0:
		limit = DefaultListLimit
	case limit > MaxListLimit:
		limit = MaxListLimit
	}
	if (q.Ref.Key == "") != (q.Ref.Target == "") {
		return nil, "", fmt.Errorf("store: a reference query needs both a key and a target")
	}
	var (
		where []string
		args  []any
	)
	if q.Type != "" {
		where = append(where, "o.type = ?")
		args = append(args, q.Type)
	}
	if q.Ref.Key != "" {
		where = append(where, "EXISTS (SELECT 1 FROM refs r WHERE r.zid = o.zid AND r.key = ? AND r.target = ?)")
		args = append(args, q.Ref.Key, q.Ref.Target)
	}
	if q.Label != "" || q.Prefix != "" {
		var cond []string
		if q.Label != "" {
			cond = append(cond, "l.text = ?")
			args = append(args, q.Label)
		}
		if q.Prefix != "" {
			lo := fold(q.Prefix)
			cond = append(cond, "l.fold >= ? AND l.fold < ?")
			args = append(args, lo, prefixEnd(lo))
		}
		if q.Language != "" {
			cond = append(cond, "l.lang = ?")
			args = append(args, q.Language)
		}
		if !q.Aliases {
			cond = append(cond, "l.alias = 0")
		}
		where = append(where, "EXISTS (SELECT 1 FROM labels l WHERE l.zid = o.zid AND "+strings.Join(cond, " AND ")+")")
	}
	if q.After != "" {
		num, err := strconv.ParseInt(strings.TrimPrefix(q.After, "Z"), 10, 64)
		if err != nil || !IsZID(q.After) {
			return nil, "", fmt.Errorf("store: after %q: not a ZID", q.After)
		}
		where = append(where, "(o.num, o.zid) > (?, ?)")
		args = append(args, num, q.After)
	}
	query := `SELECT o.zid, o.type, o.revision, o.rev_id,
		coalesce((SELECT l.text FROM labels l WHERE l.zid = o.zid AND l.alias = 0
			ORDER BY l.lang = ? DESC, l.lang = 'Z1002' DESC, l.rowid LIMIT 1), '')
		FROM objects o`
	args = append([]any{q.Language}, args...)
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY o.num, o.zid LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var entries []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ZID, &e.Type, &e.Revision, &e.ID, &e.Label); err != nil {
			return nil, "", fmt.Errorf("store: list: %w", err)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list: %w", err)
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = entries[limit-1].ZID
	}
	return entries, next, nil
}

// prefixEnd returns the least string greater than every string that starts with p: p with
// its last byte raised by one. UTF-8 text never holds 0xff, so the byte cannot overflow.
func prefixEnd(p string) string {
	b := []byte(p)
	b[len(b)-1]++
	return string(b)
}
