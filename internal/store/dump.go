package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Doc is one object to write in a batch: its JSON and the name to report it by.
type Doc struct {
	Name string // a file name, for messages
	ZID  string // the ZID it must have, or "" to take Z2K1's
	Data []byte
	// BaseRevision, when not zero, makes the batch fail unless the object's latest revision
	// is this one (-1: the object must not exist yet), as Edit.BaseRevision does for Put. It
	// overrides the Edit's.
	BaseRevision int64
}

// DocError is why one document of a batch could not be stored.
type DocError struct {
	Name  string
	Index int // the document's position in the batch; -1 for a file Import could not read
	Err   error
}

func (e DocError) Error() string { return e.Name + ": " + e.Err.Error() }

// BatchError lists every document of a batch that could not be stored. Nothing of the batch
// was written. It unwraps to the documents' errors.
type BatchError struct {
	Failed []DocError
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %d document(s) rejected, nothing written:", len(e.Failed))
	for _, f := range e.Failed {
		b.WriteString("\n  ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap returns the documents' errors.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}

// BatchResult counts what a batch did.
type BatchResult struct {
	Created, Updated, Unchanged int
	Results                     []PutResult // one per document, in order
}

// BatchOption sets an optional setting of PutBatch and Import.
type BatchOption func(*batchConfig)

type batchConfig struct {
	dryRun       bool
	uniqueLabels bool
}

// DryRun makes a batch do everything but commit: every check runs, in the write transaction,
// against the store as it is, and the result says what the batch would do. Nothing is
// written. The revision IDs of the result are those the writes would have had then; a later
// write may get others.
func DryRun() BatchOption { return func(c *batchConfig) { c.dryRun = true } }

// UniqueLabels keeps labels unique in this batch, as WithUniqueLabels does for every write of
// the store.
func UniqueLabels() BatchOption { return func(c *batchConfig) { c.uniqueLabels = true } }

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("store: dry run")

// PutBatch writes all docs in one transaction: all of them or none. Every document is checked
// first (envelope and validator) and every failure is reported in a *BatchError, not only the
// first; two documents with the same ZID are a failure too. Label clashes (WithUniqueLabels)
// and edit conflicts (Doc.BaseRevision) are found while writing, so they are reported, all of
// them, only when no document failed the checks. Documents whose bytes equal the latest
// revision write nothing, so repeating a batch is harmless.
func (s *Store) PutBatch(ctx context.Context, docs []Doc, e Edit, opts ...BatchOption) (BatchResult, error) {
	if err := e.check(); err != nil {
		return BatchResult{}, err
	}
	prepared, failed, err := s.prepareBatch(ctx, docs)
	if err != nil {
		return BatchResult{}, err
	}
	if len(failed) > 0 {
		return BatchResult{}, &BatchError{Failed: failed}
	}
	return s.writeBatch(ctx, prepared, e, opts)
}

// preparedDoc is a checked document, ready to write.
type preparedDoc struct {
	env   *Envelope
	doc   Doc
	index int
}

// prepareBatch checks every document, returning those to write and every failure. The error
// is for the context only.
func (s *Store) prepareBatch(ctx context.Context, docs []Doc) ([]preparedDoc, []DocError, error) {
	prepared := make([]preparedDoc, 0, len(docs))
	var failed []DocError
	seen := make(map[string]string)
	for i, d := range docs {
		env, err := s.prepare(ctx, d.ZID, d.Data)
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if err == nil && d.BaseRevision < -1 {
			err = fmt.Errorf("%w: base revision %d of %s is not a revision", ErrBadEdit, d.BaseRevision, env.ZID)
		}
		if err == nil {
			if first, dup := seen[env.ZID]; dup {
				err = fmt.Errorf("%s is also in %s", env.ZID, first)
			}
			seen[env.ZID] = d.Name
		}
		if err != nil {
			failed = append(failed, DocError{Name: d.Name, Index: i, Err: err})
			continue
		}
		prepared = append(prepared, preparedDoc{env: env, doc: d, index: i})
	}
	return prepared, failed, nil
}

// writeBatch writes the prepared documents in one transaction. A label clash or an edit
// conflict does not stop it at once: the other documents are still checked, and every clash
// and conflict is reported in one *BatchError before the transaction is rolled back.
func (s *Store) writeBatch(ctx context.Context, prepared []preparedDoc, e Edit, opts []BatchOption) (BatchResult, error) {
	var cfg batchConfig
	for _, o := range opts {
		o(&cfg)
	}
	var br BatchResult
	err := s.inWriteTx(ctx, func(w *writer) error {
		w.unique = w.unique || cfg.uniqueLabels
		br = BatchResult{Results: make([]PutResult, 0, len(prepared))}
		var refused []DocError
		for _, p := range prepared {
			de := e
			if p.doc.BaseRevision != 0 {
				de.BaseRevision = p.doc.BaseRevision
			}
			res, err := w.put(ctx, p.env, de)
			var lc *LabelClashError
			if errors.As(err, &lc) || errors.Is(err, ErrConflict) {
				refused = append(refused, DocError{Name: p.doc.Name, Index: p.index, Err: err})
				continue
			}
			if err != nil {
				return err
			}
			switch {
			case res.Created:
				br.Created++
			case res.Changed:
				br.Updated++
			default:
				br.Unchanged++
			}
			br.Results = append(br.Results, res)
		}
		if len(refused) > 0 {
			return &BatchError{Failed: refused}
		}
		if cfg.dryRun {
			return errDryRun
		}
		return nil
	})
	if cfg.dryRun && errors.Is(err, errDryRun) {
		return br, nil
	}
	if err != nil {
		return BatchResult{}, err
	}
	return br, nil
}

// ImportPattern is the file names Import reads.
const ImportPattern = "Z*.json"

// ReadDir reads the ImportPattern files at the top of fsys, in name order, as documents that
// must hold the object their name says (Z801.json holds Z801). The files it cannot use (a
// name that is not a ZID, a file it cannot read) come back as failures with Index -1. The
// error is for fsys itself.
func ReadDir(fsys fs.FS) ([]Doc, []DocError, error) {
	names, err := fs.Glob(fsys, ImportPattern)
	if err != nil {
		return nil, nil, fmt.Errorf("store: import: %w", err)
	}
	sort.Strings(names)
	docs := make([]Doc, 0, len(names))
	var failed []DocError
	for _, name := range names {
		zid := strings.TrimSuffix(name, ".json")
		if !IsZID(zid) {
			failed = append(failed, DocError{Name: name, Index: -1, Err: fmt.Errorf("the name is not a ZID followed by .json")})
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			failed = append(failed, DocError{Name: name, Index: -1, Err: err})
			continue
		}
		docs = append(docs, Doc{Name: name, ZID: zid, Data: data})
	}
	return docs, failed, nil
}

// SortFailures orders failures by name, as Import reports them.
func SortFailures(failed []DocError) {
	sort.SliceStable(failed, func(i, j int) bool { return failed[i].Name < failed[j].Name })
}

// Import stores every ImportPattern file at the top of fsys (see ReadDir) with PutBatch: one
// transaction, all or nothing, every rejected file named in a *BatchError. Other files are
// ignored.
func (s *Store) Import(ctx context.Context, fsys fs.FS, e Edit, opts ...BatchOption) (BatchResult, error) {
	docs, failed, err := ReadDir(fsys)
	if err != nil {
		return BatchResult{}, err
	}
	if err := e.check(); err != nil {
		return BatchResult{}, err
	}
	prepared, bad, err := s.prepareBatch(ctx, docs)
	if err != nil {
		return BatchResult{}, err
	}
	if failed = append(failed, bad...); len(failed) > 0 {
		SortFailures(failed)
		return BatchResult{}, &BatchError{Failed: failed}
	}
	res, err := s.writeBatch(ctx, prepared, e, opts)
	var be *BatchError
	if errors.As(err, &be) {
		SortFailures(be.Failed)
	}
	return res, err
}

// ExportResult counts what Export did.
type ExportResult struct {
	Written   int // files created or replaced
	Unchanged int // files that already held the same bytes
}

// Export writes the latest revision of every object (or of those of one type, when typ is not
// empty) to dir with ExportFile. It reads one consistent snapshot of the store. Other files in
// dir are not touched.
func (s *Store) Export(ctx context.Context, dir string, typ string) (ExportResult, error) {
	var res ExportResult
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("store: export: %w", err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return res, fmt.Errorf("store: export: %w", err)
	}
	defer snap.Close()
	err = snap.Each(ctx, typ, func(o Object) error {
		written, err := ExportFile(dir, o.ZID, o.Data)
		if err != nil {
			return fmt.Errorf("store: export %s: %w", o.ZID, err)
		}
		if written {
			res.Written++
		} else {
			res.Unchanged++
		}
		return nil
	})
	return res, err
}

// ExportFile writes one object's canonical JSON to dir/ZID.json as Export does:
// pretty-printed with tabs, the layout of the Wikifunctions definition files, the file
// replaced atomically (written to a temporary file in dir, synced, renamed). A file that
// already holds the same bytes is left alone, and written says so. zid must be a ZID (a
// caller passing what a server sent cannot write outside dir).
func ExportFile(dir, zid string, canonical []byte) (written bool, err error) {
	if !IsZID(zid) {
		return false, fmt.Errorf("%q is not a ZID", zid)
	}
	pretty, err := Pretty(canonical)
	if err != nil {
		return false, fmt.Errorf("stored bytes unreadable: %w", err)
	}
	path := filepath.Join(dir, zid+".json")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, pretty) {
		return false, nil
	}
	if err := writeFileAtomic(path, pretty); err != nil {
		return false, err
	}
	return true, nil
}

// Snapshot is a consistent view of the store at one moment: one read transaction. Writes
// that commit after it began are not seen by it. Close it soon: while it is open, a file
// store cannot shrink its write-ahead log, and an in-memory store (one connection) waits
// with every other read and write. A Snapshot is for one goroutine.
type Snapshot struct {
	tx *sql.Tx
}

// Snapshot begins a consistent view of the store.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.read != s.write})
	if err != nil {
		return nil, fmt.Errorf("store: snapshot: %w", err)
	}
	// The transaction takes its snapshot at its first read, not at BEGIN.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("store: snapshot: %w", err)
	}
	return &Snapshot{tx: tx}, nil
}

// Close ends the snapshot.
func (sn *Snapshot) Close() error { return sn.tx.Rollback() }

// Generation is Store.Generation at the snapshot.
func (sn *Snapshot) Generation(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := sn.tx.QueryRowContext(ctx, `SELECT max(id) FROM revisions`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: generation: %w", err)
	}
	return id.Int64, nil
}

// Count returns how many objects Each would visit.
func (sn *Snapshot) Count(ctx context.Context, typ string) (int, error) {
	query, args := `SELECT count(*) FROM objects`, []any{}
	if typ != "" {
		query += ` WHERE type = ?`
		args = append(args, typ)
	}
	var n int
	if err := sn.tx.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}

// Each calls f with the latest revision of every object (of those whose value has type typ,
// when typ is not empty), in ZID order, and stops at the first error f returns, which it
// returns.
func (sn *Snapshot) Each(ctx context.Context, typ string, f func(o Object) error) error {
	query := `SELECT o.zid, o.type, r.id, r.revision, r.author, r.comment, r.created, r.data
		FROM objects o JOIN revisions r ON r.id = o.rev_id`
	var args []any
	if typ != "" {
		query += ` WHERE o.type = ?`
		args = append(args, typ)
	}
	rows, err := sn.tx.QueryContext(ctx, query+` ORDER BY o.num, o.zid`, args...)
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			o       = Object{Latest: true}
			created int64
		)
		if err := rows.Scan(&o.ZID, &o.Type, &o.ID, &o.Revision.Revision, &o.Author, &o.Comment, &created, &o.Data); err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		o.Time = time.Unix(0, created).UTC()
		if err := f(o); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data so that readers see the old file or the new one,
// never a part.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
