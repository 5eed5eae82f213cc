package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Doc is one object to write in a batch: its JSON and the name to report it by.
type Doc struct {
	Name string // a file name, for messages
	ZID  string // the ZID it must have, or "" to take Z2K1's
	Data []byte
}

// DocError is why one document of a batch could not be stored.
type DocError struct {
	Name string
	Err  error
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

// PutBatch writes all docs in one transaction: all of them or none. Every document is checked
// first (envelope and validator) and every failure is reported in a *BatchError, not only the
// first; two documents with the same ZID are a failure too. Label clashes (WithUniqueLabels)
// are found while writing, so they are reported, all of them, only when no document failed
// the checks. Documents whose bytes equal the latest revision write nothing, so repeating a
// batch is harmless.
func (s *Store) PutBatch(ctx context.Context, docs []Doc, e Edit) (BatchResult, error) {
	if err := e.check(); err != nil {
		return BatchResult{}, err
	}
	envs, names, failed, err := s.prepareBatch(ctx, docs)
	if err != nil {
		return BatchResult{}, err
	}
	if len(failed) > 0 {
		return BatchResult{}, &BatchError{Failed: failed}
	}
	return s.writeBatch(ctx, envs, names, e)
}

// prepareBatch checks every document, returning the envelopes to write with their documents'
// names, and every failure. The error is for the context only.
func (s *Store) prepareBatch(ctx context.Context, docs []Doc) ([]*Envelope, []string, []DocError, error) {
	envs := make([]*Envelope, 0, len(docs))
	names := make([]string, 0, len(docs))
	var failed []DocError
	seen := make(map[string]string)
	for _, d := range docs {
		env, err := s.prepare(ctx, d.ZID, d.Data)
		if ctx.Err() != nil {
			return nil, nil, nil, ctx.Err()
		}
		if err == nil {
			if first, dup := seen[env.ZID]; dup {
				err = fmt.Errorf("%s is also in %s", env.ZID, first)
			}
			seen[env.ZID] = d.Name
		}
		if err != nil {
			failed = append(failed, DocError{Name: d.Name, Err: err})
			continue
		}
		envs = append(envs, env)
		names = append(names, d.Name)
	}
	return envs, names, failed, nil
}

// writeBatch writes envs in one transaction. A label clash (WithUniqueLabels) does not stop
// it at once: the other documents are still checked, and every clash is reported in one
// *BatchError before the transaction is rolled back.
func (s *Store) writeBatch(ctx context.Context, envs []*Envelope, names []string, e Edit) (BatchResult, error) {
	var br BatchResult
	err := s.inWriteTx(ctx, func(w *writer) error {
		br = BatchResult{Results: make([]PutResult, 0, len(envs))}
		var clashes []DocError
		for i, env := range envs {
			res, err := w.put(ctx, env, e)
			var lc *LabelClashError
			if errors.As(err, &lc) {
				clashes = append(clashes, DocError{Name: names[i], Err: err})
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
		if len(clashes) > 0 {
			return &BatchError{Failed: clashes}
		}
		return nil
	})
	if err != nil {
		return BatchResult{}, err
	}
	return br, nil
}

// ImportPattern is the file names Import reads.
const ImportPattern = "Z*.json"

// Import stores every ImportPattern file at the top of fsys with PutBatch: one transaction,
// all or nothing, every rejected file named in a *BatchError. A file must hold the object its
// name says (Z801.json holds Z801). Other files are ignored.
func (s *Store) Import(ctx context.Context, fsys fs.FS, e Edit) (BatchResult, error) {
	names, err := fs.Glob(fsys, ImportPattern)
	if err != nil {
		return BatchResult{}, fmt.Errorf("store: import: %w", err)
	}
	sort.Strings(names)
	docs := make([]Doc, 0, len(names))
	var failed []DocError
	for _, name := range names {
		zid := strings.TrimSuffix(name, ".json")
		if !IsZID(zid) {
			failed = append(failed, DocError{Name: name, Err: fmt.Errorf("the name is not a ZID followed by .json")})
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			failed = append(failed, DocError{Name: name, Err: err})
			continue
		}
		docs = append(docs, Doc{Name: name, ZID: zid, Data: data})
	}
	if err := e.check(); err != nil {
		return BatchResult{}, err
	}
	envs, envNames, bad, err := s.prepareBatch(ctx, docs)
	if err != nil {
		return BatchResult{}, err
	}
	if failed = append(failed, bad...); len(failed) > 0 {
		sort.SliceStable(failed, func(i, j int) bool { return failed[i].Name < failed[j].Name })
		return BatchResult{}, &BatchError{Failed: failed}
	}
	return s.writeBatch(ctx, envs, envNames, e)
}

// ExportResult counts what Export did.
type ExportResult struct {
	Written   int // files created or replaced
	Unchanged int // files that already held the same bytes
}

// Export writes the latest revision of every object (or of those of one type, when typ is not
// empty) to dir as ZID.json, pretty-printed canonical JSON with tabs, the layout of the
// Wikifunctions definition files. Each file is replaced atomically (written to a temporary
// file in dir, synced, renamed); a file that already holds the same bytes is left alone.
// It reads one consistent snapshot of the store. Other files in dir are not touched.
func (s *Store) Export(ctx context.Context, dir string, typ string) (ExportResult, error) {
	var res ExportResult
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("store: export: %w", err)
	}
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("store: export: %w", err)
	}
	defer tx.Rollback()
	query := `SELECT o.zid, r.data FROM objects o JOIN revisions r ON r.id = o.rev_id`
	var args []any
	if typ != "" {
		query += ` WHERE o.type = ?`
		args = append(args, typ)
	}
	rows, err := tx.QueryContext(ctx, query+` ORDER BY o.num, o.zid`, args...)
	if err != nil {
		return res, fmt.Errorf("store: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			zid  string
			data []byte
		)
		if err := rows.Scan(&zid, &data); err != nil {
			return res, fmt.Errorf("store: export: %w", err)
		}
		pretty, err := Pretty(data)
		if err != nil {
			return res, fmt.Errorf("store: export %s: stored bytes unreadable: %w", zid, err)
		}
		path := filepath.Join(dir, zid+".json")
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, pretty) {
			res.Unchanged++
			continue
		}
		if err := writeFileAtomic(path, pretty); err != nil {
			return res, fmt.Errorf("store: export %s: %w", zid, err)
		}
		res.Written++
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("store: export: %w", err)
	}
	return res, nil
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
