// Package tester runs the testers (Z20) of a function against each of its implementations
// (Z14) and ranks the implementations, as Wikifunctions does.
//
// For a function it finds the implementations (Z8K4, and every Z14 whose Z14K1 names the
// function) and the testers (Z8K3, and every Z20 whose Z20K1 names it), then for every pair it
// evaluates the tester's call (Z20K2) with each call of the function in it (the call itself,
// or one nested in it as in upstream's Z8021) calling instead the function whose Z8K4 holds
// only that implementation, and applies the tester's validator (Z20K3) to the result, which goes in
// as the validator's first argument (upstream's rule). A tester passes when the call succeeds
// and the validator answers true (Z41). All calls of one Run share one evaluator session, so a
// Python implementation's kernel is loaded once per run.
//
// API: Run(ctx, orch, lib, zid, opts...) → Report for one function; RunAll for many, some at
// once; Rank orders implementations; WriteTable and Sum print reports for people (zeval
// test). StoreLibrary reads the objects from a *store.Store.
//
// Implementations are ranked by failures, then by the time their tester calls took (less is
// better); the time of an implementation's first call includes loading its code.
//
// It owns the run and the report. It must not know how calls are evaluated (the orchestrator
// does that) nor where objects are stored: it reads them through a Library, with
// StoreLibrary as the adapter for the store.
package tester
