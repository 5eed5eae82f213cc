package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Validator decides whether a Z2 may be stored. The store calls it with the canonical JSON it
// is about to write; a non-nil error rejects the write and reaches the caller wrapped in an
// *InvalidError (errors.As finds the original, such as a Z5 error from zobject).
// Validate may be called concurrently.
type Validator interface {
	Validate(ctx context.Context, z2 []byte) error
}

// ValidatorFunc adapts a function to a Validator.
type ValidatorFunc func(ctx context.Context, z2 []byte) error

// Validate calls f.
func (f ValidatorFunc) Validate(ctx context.Context, z2 []byte) error { return f(ctx, z2) }

// Canonicalizer is an optional interface of a Validator. When the validator has it, the store
// hands it the raw body first and stores (after its own key ordering) what it returns, so a
// body in normal or mixed form is kept in canonical form.
type Canonicalizer interface {
	Canonicalize(ctx context.Context, z2 []byte) ([]byte, error)
}

// Defaults of the options.
const (
	DefaultMaxObjectBytes = 4 << 20
	DefaultBusyTimeout    = 10 * time.Second
	DefaultListLimit      = 100
	MaxListLimit          = 10000
	maxAuthorBytes        = 255
	maxCommentBytes       = 4096
)

// Option sets an optional setting of Open.
type Option func(*config)

type config struct {
	validator   Validator
	maxBytes    int
	busyTimeout time.Duration
	readers     int
	now         func() time.Time
	logger      *slog.Logger
	uniqueLbl   bool
}

// WithValidator sets the validator every write runs. Without one the store checks only the
// Z2 envelope (see ParseZ2).
func WithValidator(v Validator) Option { return func(c *config) { c.validator = v } }

// WithMaxObjectBytes limits the size of one object's JSON (DefaultMaxObjectBytes).
func WithMaxObjectBytes(n int) Option { return func(c *config) { c.maxBytes = n } }

// WithBusyTimeout sets how long a write waits for another process's write to finish
// (DefaultBusyTimeout).
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithReaders sets how many connections serve reads at once (default 4).
func WithReaders(n int) Option { return func(c *config) { c.readers = n } }

// WithClock sets the clock that stamps revisions (time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithUniqueLabels makes writes keep labels unique, as Wikifunctions does: an object may not
// take a label (Z2K3, not an alias) that another object has in the same language. Such a
// write fails with a *LabelClashError.
func WithUniqueLabels() Option { return func(c *config) { c.uniqueLbl = true } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Memory is the path that Open takes for a private in-memory store, for tests. It lives as
// long as the Store and is served by a single connection, so reads wait for writes. (A
// shared-cache in-memory database would allow parallel readers, but SQLite answers
// SQLITE_LOCKED rather than waiting when they meet a writer; one connection is simpler and
// always correct.)
const Memory = ":memory:"

// Store is a set of persistent ZObjects with their revisions, in one SQLite file.
//
// A Store is safe for concurrent use: reads run in parallel on their own connections (WAL
// mode: a read never waits for a write and sees a committed state), writes are serialized on
// one connection, and each write is one transaction. Other processes may open the same file;
// their writes wait for each other up to the busy timeout. A write survives a crash of the
// process once Put returns; a power loss may lose the last writes (synchronous=NORMAL in WAL
// mode) but does not corrupt the file. The zero Store is not usable: call Open.
type Store struct {
	path      string
	read      *sql.DB
	write     *sql.DB
	validator Validator
	maxBytes  int
	now       func() time.Time
	logger    *slog.Logger
	unique    bool // WithUniqueLabels
	// Statements of the hot reads, prepared once: the orchestrator resolves references with
	// them on every call.
	fetchStmt, versionStmt, generationStmt *sql.Stmt
}

// Open opens (creating it if needed) the store in the SQLite file at path, or a private
// in-memory store when path is Memory.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{
		maxBytes:    DefaultMaxObjectBytes,
		busyTimeout: DefaultBusyTimeout,
		readers:     4,
		now:         time.Now,
		logger:      slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if cfg.maxBytes <= 0 || cfg.readers <= 0 || cfg.busyTimeout < 0 || cfg.now == nil || cfg.logger == nil {
		return nil, errors.New("store: invalid option value")
	}
	s := &Store{path: path, validator: cfg.validator, maxBytes: cfg.maxBytes, now: cfg.now, logger: cfg.logger, unique: cfg.uniqueLbl}
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", cfg.busyTimeout.Milliseconds())
	var err error
	if path == Memory {
		// A private :memory: database exists once per connection: keep exactly one, forever.
		s.write, err = sql.Open("sqlite", "file::memory:?_txlock=immediate&_pragma=foreign_keys(1)&"+busy)
		if err != nil {
			return nil, fmt.Errorf("store: open in-memory database: %w", err)
		}
		s.write.SetMaxOpenConns(1)
		s.write.SetMaxIdleConns(1)
		s.write.SetConnMaxLifetime(0)
		s.write.SetConnMaxIdleTime(0)
		s.read = s.write
	} else {
		uri := "file:" + escapePath(path)
		s.write, err = sql.Open("sqlite", uri+"?_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&"+busy)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		s.write.SetMaxOpenConns(1)
		s.write.SetMaxIdleConns(1)
	}
	if err := s.migrate(ctx); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if path != Memory {
		s.read, err = sql.Open("sqlite", "file:"+escapePath(path)+"?_pragma=query_only(1)&"+busy)
		if err != nil {
			s.write.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		s.read.SetMaxOpenConns(cfg.readers)
		s.read.SetMaxIdleConns(cfg.readers)
	}
	if err := s.prepareReads(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

// escapePath makes a file name safe inside a file: URI.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// schemaVersion is PRAGMA user_version of the layout below.
const schemaVersion = 1

// The layout. revisions holds every revision's canonical bytes; objects points at the latest
// one and carries what listing needs; labels and refs index the latest revision only.
// revisions.id never repeats (AUTOINCREMENT), so it identifies a version of an object across
// the whole store and caches can key on it.
const schema = `
CREATE TABLE revisions (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	zid      TEXT    NOT NULL,
	revision INTEGER NOT NULL,
	author   TEXT    NOT NULL,
	comment  TEXT    NOT NULL,
	created  INTEGER NOT NULL,
	data     BLOB    NOT NULL,
	UNIQUE (zid, revision)
);
CREATE TABLE objects (
	zid      TEXT    PRIMARY KEY,
	num      INTEGER NOT NULL,
	type     TEXT    NOT NULL,
	revision INTEGER NOT NULL,
	rev_id   INTEGER NOT NULL REFERENCES revisions (id)
) WITHOUT ROWID;
CREATE INDEX objects_by_num  ON objects (num, zid);
CREATE INDEX objects_by_type ON objects (type, num, zid);
CREATE TABLE labels (
	zid   TEXT    NOT NULL REFERENCES objects (zid),
	alias INTEGER NOT NULL,
	lang  TEXT    NOT NULL,
	text  TEXT    NOT NULL,
	fold  TEXT    NOT NULL
);
CREATE INDEX labels_by_zid  ON labels (zid);
CREATE INDEX labels_by_text ON labels (text);
CREATE INDEX labels_by_fold ON labels (fold);
CREATE TABLE refs (
	zid    TEXT NOT NULL REFERENCES objects (zid),
	key    TEXT NOT NULL,
	target TEXT NOT NULL,
	PRIMARY KEY (key, target, zid)
) WITHOUT ROWID;
CREATE INDEX refs_by_zid ON refs (zid);
`

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	switch {
	case version == schemaVersion:
		return nil
	case version > schemaVersion:
		return fmt.Errorf("database layout version %d is newer than this zeval understands (%d)", version, schemaVersion)
	case version != 0:
		return fmt.Errorf("unknown database layout version %d", version)
	}
	var tables int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'").Scan(&tables); err != nil {
		return err
	}
	if tables != 0 {
		return errors.New("the file is an SQLite database of something else")
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) prepareReads(ctx context.Context) error {
	var err error
	if s.fetchStmt, err = s.read.PrepareContext(ctx, `SELECT r.data FROM objects o JOIN revisions r ON r.id = o.rev_id WHERE o.zid = ?`); err != nil {
		return err
	}
	if s.versionStmt, err = s.read.PrepareContext(ctx, `SELECT rev_id FROM objects WHERE zid = ?`); err != nil {
		return err
	}
	// Plain max(id), without coalesce, so that SQLite reads it off the end of the index.
	s.generationStmt, err = s.read.PrepareContext(ctx, `SELECT max(id) FROM revisions`)
	return err
}

// Close closes the database. Calls after Close fail; Close itself may be called once.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.fetchStmt, s.versionStmt, s.generationStmt} {
		if st != nil {
			st.Close()
		}
	}
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Edit says who writes and why. Time is when; the zero Time means now.
type Edit struct {
	Author  string
	Comment string
	Time    time.Time
	// BaseRevision, when not zero, makes the write fail with ErrConflict unless the object's
	// latest revision is this one (use -1 for "the object must not exist yet").
	BaseRevision int64
}

var (
	// ErrConflict is returned (wrapped) when Edit.BaseRevision is not the latest revision.
	ErrConflict = errors.New("store: edit conflict")
	// ErrBadEdit is returned (wrapped) when an Edit's author or comment is unusable.
	ErrBadEdit = errors.New("store: bad edit")
	// ErrTooLarge is returned (wrapped) when an object's JSON is over the size limit
	// (WithMaxObjectBytes).
	ErrTooLarge = errors.New("store: object too large")
)

func (e Edit) check() error {
	switch {
	case strings.TrimSpace(e.Author) == "":
		return fmt.Errorf("%w: an edit needs an author", ErrBadEdit)
	case len(e.Author) > maxAuthorBytes || !utf8.ValidString(e.Author) || strings.ContainsAny(e.Author, "\x00\n\r"):
		return fmt.Errorf("%w: the author must be one line of valid UTF-8 of at most %d bytes", ErrBadEdit, maxAuthorBytes)
	case len(e.Comment) > maxCommentBytes || !utf8.ValidString(e.Comment) || strings.ContainsRune(e.Comment, 0):
		return fmt.Errorf("%w: the comment must be valid UTF-8 of at most %d bytes", ErrBadEdit, maxCommentBytes)
	}
	return nil
}

// Revision describes one revision of an object.
type Revision struct {
	ZID      string
	Revision int64 // 1 for the first write of the object, then 2, 3, ...
	// ID identifies this version of this object in the whole store and grows with every
	// write: a cache that keys on it never serves a stale object.
	ID      int64
	Author  string
	Comment string
	Time    time.Time
}

// Object is one revision of an object with its canonical JSON.
type Object struct {
	Revision
	Type   string // the type of its value (see ParseZ2)
	Latest bool   // whether this is the latest revision
	Data   []byte // compact canonical JSON of the Z2
}

// PutResult says what a write did.
type PutResult struct {
	Revision
	Created bool // the object did not exist before
	Changed bool // a new revision was written; false when the object was already stored as is
}

// Put stores z2 as a new revision of the object zid (zid may be empty: the object's Z2K1
// says). It canonicalizes the JSON, checks the envelope, runs the validator, and writes the
// revision, the object's indexes and its latest pointer in one transaction; on any error the
// store is unchanged. Writing the bytes the latest revision already has writes nothing and
// returns that revision with Changed false, so repeating a write is harmless.
func (s *Store) Put(ctx context.Context, zid string, z2 []byte, e Edit) (PutResult, error) {
	if err := e.check(); err != nil {
		return PutResult{}, err
	}
	env, err := s.prepare(ctx, zid, z2)
	if err != nil {
		return PutResult{}, err
	}
	var res PutResult
	err = s.inWriteTx(ctx, func(w *writer) error {
		var err error
		res, err = w.put(ctx, env, e)
		return err
	})
	if err != nil {
		return PutResult{}, err
	}
	if res.Changed {
		s.logger.LogAttrs(ctx, slog.LevelInfo, "object stored", slog.String("zid", res.ZID),
			slog.Int64("revision", res.Revision.Revision), slog.String("author", e.Author))
	}
	return res, nil
}

// prepare turns a body into the envelope to store, running the validator: everything a write
// does before it touches the database.
func (s *Store) prepare(ctx context.Context, zid string, z2 []byte) (*Envelope, error) {
	if len(z2) > s.maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrTooLarge, len(z2), s.maxBytes)
	}
	if c, ok := s.validator.(Canonicalizer); ok {
		// Text that is not JSON at all gets the store's own syntax error (ErrMalformed), the
		// same with or without a canonicalizer.
		if !json.Valid(z2) || !utf8.Valid(z2) {
			if _, err := ParseZ2(z2, zid); err != nil {
				return nil, err
			}
		}
		canon, err := guard("canonicalizer", func() ([]byte, error) { return c.Canonicalize(ctx, z2) })
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &InvalidError{ZID: zid, Err: err}
		}
		z2 = canon
	}
	env, err := ParseZ2(z2, zid)
	if err != nil {
		return nil, err
	}
	if s.validator != nil {
		_, err := guard("validator", func() ([]byte, error) { return nil, s.validator.Validate(ctx, env.Canonical) })
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &InvalidError{ZID: env.ZID, Err: err}
		}
	}
	return env, nil
}

// ErrValidatorPanic is wrapped by the error of a write whose validator or canonicalizer
// panicked: the object is refused, the panic goes no further.
var ErrValidatorPanic = errors.New("store: the validator panicked")

// guard calls f, turning a panic into an error, so that a bug in the injected validator costs
// one refused write and not the process.
func guard(what string, f func() ([]byte, error)) (b []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			b, err = nil, fmt.Errorf("%w: %s: %v", ErrValidatorPanic, what, v)
		}
	}()
	return f()
}

// inWriteTx runs f in one write transaction, committing when f returns nil.
func (s *Store) inWriteTx(ctx context.Context, f func(*writer) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin write: %w", err)
	}
	w := &writer{tx: tx, now: s.now, unique: s.unique}
	defer w.close()
	if err := f(w); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// writer does the statements of one write transaction, preparing each once.
type writer struct {
	tx     *sql.Tx
	now    func() time.Time
	unique bool // refuse labels that other objects have
	stmts  map[string]*sql.Stmt
}

func (w *writer) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if w.stmts == nil {
		w.stmts = make(map[string]*sql.Stmt)
	}
	w.stmts[query] = st
	return st, nil
}

func (w *writer) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (w *writer) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

func (w *writer) put(ctx context.Context, env *Envelope, e Edit) (PutResult, error) {
	fail := func(err error) (PutResult, error) {
		return PutResult{}, fmt.Errorf("store: write %s: %w", env.ZID, err)
	}
	st, err := w.stmt(ctx, `SELECT r.id, r.revision, r.author, r.comment, r.created, r.data
		FROM objects o JOIN revisions r ON r.id = o.rev_id WHERE o.zid = ?`)
	if err != nil {
		return fail(err)
	}
	var cur Object
	var created int64
	err = st.QueryRowContext(ctx, env.ZID).Scan(&cur.ID, &cur.Revision.Revision, &cur.Author, &cur.Comment, &created, &cur.Data)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fail(err)
	}
	switch {
	case e.BaseRevision == -1 && exists:
		return PutResult{}, fmt.Errorf("%w: %s already exists (revision %d)", ErrConflict, env.ZID, cur.Revision.Revision)
	case e.BaseRevision > 0 && cur.Revision.Revision != e.BaseRevision:
		return PutResult{}, fmt.Errorf("%w: %s is at revision %d, not %d", ErrConflict, env.ZID, cur.Revision.Revision, e.BaseRevision)
	}
	if exists && bytes.Equal(cur.Data, env.Canonical) {
		cur.ZID = env.ZID
		cur.Time = time.Unix(0, created).UTC()
		return PutResult{Revision: cur.Revision}, nil
	}
	if w.unique {
		if err := w.checkLabels(ctx, env); err != nil {
			return PutResult{}, err
		}
	}
	when := e.Time
	if when.IsZero() {
		when = w.now()
	}
	rev := Revision{ZID: env.ZID, Revision: cur.Revision.Revision + 1, Author: e.Author, Comment: e.Comment, Time: when.UTC()}
	res, err := w.exec(ctx, `INSERT INTO revisions (zid, revision, author, comment, created, data) VALUES (?, ?, ?, ?, ?, ?)`,
		env.ZID, rev.Revision, rev.Author, rev.Comment, rev.Time.UnixNano(), env.Canonical)
	if err != nil {
		return fail(err)
	}
	if rev.ID, err = res.LastInsertId(); err != nil {
		return fail(err)
	}
	if _, err := w.exec(ctx, `INSERT INTO objects (zid, num, type, revision, rev_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (zid) DO UPDATE SET type = excluded.type, revision = excluded.revision, rev_id = excluded.rev_id`,
		env.ZID, env.num, env.Type, rev.Revision, rev.ID); err != nil {
		return fail(err)
	}
	if exists {
		if _, err := w.exec(ctx, `DELETE FROM labels WHERE zid = ?`, env.ZID); err != nil {
			return fail(err)
		}
		if _, err := w.exec(ctx, `DELETE FROM refs WHERE zid = ?`, env.ZID); err != nil {
			return fail(err)
		}
	}
	for _, l := range env.Labels {
		if _, err := w.exec(ctx, `INSERT INTO labels (zid, alias, lang, text, fold) VALUES (?, ?, ?, ?, ?)`,
			env.ZID, l.Alias, l.Language, l.Text, fold(l.Text)); err != nil {
			return fail(err)
		}
	}
	for _, r := range env.Refs {
		if _, err := w.exec(ctx, `INSERT INTO refs (zid, key, target) VALUES (?, ?, ?)`, env.ZID, r.Key, r.Target); err != nil {
			return fail(err)
		}
	}
	return PutResult{Revision: rev, Created: !exists, Changed: true}, nil
}

// LabelClashError is a write refused under WithUniqueLabels: the object's label is already
// the label of another object in the same language (Wikifunctions' error Z554). It unwraps to
// ErrInvalid.
type LabelClashError struct {
	ZID      string // the object being written
	Other    string // the object that has the label
	Language string
	Label    string
}

func (e *LabelClashError) Error() string {
	return fmt.Sprintf("store: %s: the label %q in %s is already the label of %s", e.ZID, e.Label, e.Language, e.Other)
}

// Unwrap returns ErrInvalid.
func (e *LabelClashError) Unwrap() error { return ErrInvalid }

// checkLabels refuses labels of env that another object has in the same language. It writes
// nothing, so a batch can go on checking the documents after a clash.
func (w *writer) checkLabels(ctx context.Context, env *Envelope) error {
	st, err := w.stmt(ctx, `SELECT zid FROM labels WHERE text = ? AND lang = ? AND alias = 0 AND zid <> ? LIMIT 1`)
	if err != nil {
		return fmt.Errorf("store: write %s: %w", env.ZID, err)
	}
	for _, l := range env.Labels {
		if l.Alias {
			continue
		}
		var other string
		err := st.QueryRowContext(ctx, l.Text, l.Language, env.ZID).Scan(&other)
		if err == nil {
			return &LabelClashError{ZID: env.ZID, Other: other, Language: l.Language, Label: l.Text}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: write %s: %w", env.ZID, err)
		}
	}
	return nil
}

// fold is the form of a label that prefix search compares: Unicode case folding (so "STRASSE"
// finds "Straße") of the NFC form (so a precomposed "é" finds a decomposed one). A Caser
// keeps state, so each call makes its own.
func fold(s string) string { return cases.Fold().String(norm.NFC.String(s)) }

// Fetch returns the canonical JSON of the latest revision of the object zid, or an error
// wrapping ErrNotFound. It is the read the orchestrator resolves references with.
func (s *Store) Fetch(ctx context.Context, zid string) ([]byte, error) {
	var data []byte
	err := s.fetchStmt.QueryRowContext(ctx, zid).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, zid)
	}
	if err != nil {
		return nil, fmt.Errorf("store: fetch %s: %w", zid, err)
	}
	return data, nil
}

// Version returns the store-wide revision ID of the latest revision of zid (Revision.ID), a
// cheap key for caches of anything derived from the object.
func (s *Store) Version(ctx context.Context, zid string) (int64, error) {
	var id int64
	err := s.versionStmt.QueryRowContext(ctx, zid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: %s", ErrNotFound, zid)
	}
	if err != nil {
		return 0, fmt.Errorf("store: version of %s: %w", zid, err)
	}
	return id, nil
}

// Generation returns the ID of the newest revision in the store (0 when empty). It changes
// with every write, so a cache can drop everything when it does.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.generationStmt.QueryRowContext(ctx).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: generation: %w", err)
	}
	return id.Int64, nil
}

// Get returns the latest revision of zid.
func (s *Store) Get(ctx context.Context, zid string) (Object, error) {
	return s.get(ctx, zid, 0)
}

// GetRevision returns revision rev (1, 2, ...) of zid.
func (s *Store) GetRevision(ctx context.Context, zid string, rev int64) (Object, error) {
	if rev <= 0 {
		return Object{}, fmt.Errorf("%w: %s has no revision %d", ErrNotFound, zid, rev)
	}
	return s.get(ctx, zid, rev)
}

func (s *Store) get(ctx context.Context, zid string, rev int64) (Object, error) {
	var (
		o       Object
		created int64
		err     error
	)
	const cols = `r.id, r.revision, r.author, r.comment, r.created, r.data, o.type, r.id = o.rev_id`
	if rev == 0 {
		err = s.read.QueryRowContext(ctx, `SELECT `+cols+` FROM objects o JOIN revisions r ON r.id = o.rev_id WHERE o.zid = ?`, zid).
			Scan(&o.ID, &o.Revision.Revision, &o.Author, &o.Comment, &created, &o.Data, &o.Type, &o.Latest)
	} else {
		err = s.read.QueryRowContext(ctx, `SELECT `+cols+` FROM revisions r JOIN objects o ON o.zid = r.zid WHERE r.zid = ? AND r.revision = ?`, zid, rev).
			Scan(&o.ID, &o.Revision.Revision, &o.Author, &o.Comment, &created, &o.Data, &o.Type, &o.Latest)
	}
	if errors.Is(err, sql.ErrNoRows) {
		if rev == 0 {
			return Object{}, fmt.Errorf("%w: %s", ErrNotFound, zid)
		}
		return Object{}, fmt.Errorf("%w: %s revision %d", ErrNotFound, zid, rev)
	}
	if err != nil {
		return Object{}, fmt.Errorf("store: get %s: %w", zid, err)
	}
	o.ZID = zid
	o.Time = time.Unix(0, created).UTC()
	if !o.Latest {
		// The type column describes the latest revision; an older one may differ.
		if env, err := ParseZ2(o.Data, zid); err == nil {
			o.Type = env.Type
		}
	}
	return o, nil
}

// History returns the revisions of zid, newest first, or an error wrapping ErrNotFound.
func (s *Store) History(ctx context.Context, zid string) ([]Revision, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, revision, author, comment, created FROM revisions WHERE zid = ? ORDER BY revision DESC`, zid)
	if err != nil {
		return nil, fmt.Errorf("store: history of %s: %w", zid, err)
	}
	defer rows.Close()
	var revs []Revision
	for rows.Next() {
		r := Revision{ZID: zid}
		var created int64
		if err := rows.Scan(&r.ID, &r.Revision, &r.Author, &r.Comment, &created); err != nil {
			return nil, fmt.Errorf("store: history of %s: %w", zid, err)
		}
		r.Time = time.Unix(0, created).UTC()
		revs = append(revs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: history of %s: %w", zid, err)
	}
	if len(revs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, zid)
	}
	return revs, nil
}
