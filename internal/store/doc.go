// Package store keeps persistent ZObjects (Z2) with their revisions in one SQLite file
// (modernc.org/sqlite, pure Go, WAL mode), and imports and exports folders of Z*.json files.
//
// It owns: the database layout; revisions (author, time, comment, a number per object and a
// store-wide ID that caches key on); the canonical bytes of each revision (compact JSON, keys
// in canonical order); the Z2 envelope (Z2K1 ZID, Z2K2 value, Z2K3 labels, Z2K4 aliases,
// Z2K5 descriptions); the indexes for look-up by ZID, by label in any language (exact and
// case-insensitive prefix), by the value's type and by the references a value's top-level
// keys hold (the implementations of a function via Z14K1, its testers via Z20K1).
//
// It must not know: the meaning of a ZObject value beyond its envelope. Whether a value is a
// valid ZObject is decided by a Validator that the caller injects (the zobject package), and
// its error (a Z5) reaches the caller unchanged inside an *InvalidError. It knows nothing of
// HTTP, of evaluation or of kernels.
//
// Every write is one transaction: a rejected or failed write leaves the store as it was, and
// writing an object's current bytes again writes nothing.
//
// Import (zeval import DIR) is all or nothing: every Z*.json file is read and checked first,
// every rejected file is reported with its reason in one *BatchError, and only when none is
// rejected are all of them written, in one transaction. PutBatch is the same for documents
// from anywhere (the object API's batch route): each may carry its own base revision, and a
// dry run checks everything in the write transaction and rolls it back. Export (zeval export
// DIR) writes ZID.json files in the tab-indented layout of the Wikifunctions definitions,
// each replaced atomically, from one Snapshot (a read transaction, which the object API's
// export route streams from too). The zeval commands open the file named by --db, else
// $ZEVAL_DB, else zeval.db in the working directory.
package store
