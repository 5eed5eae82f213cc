// Package quota decides who is calling and how much they may ask for: the HTTP middleware
// in front of the API.
//
// Identity: a caller is the name of an API token (Authorization: Bearer TOKEN), else the
// value of a trusted header set by a front end (X-Zeval-User, say — trusted only when the
// operator names the header with WithTrustedHeader), else the client's IP address. A
// request that presents a token the server does not know is refused (401), even a read:
// a wrong token is a mistake the client should hear about. Tokens come from a file or the
// environment (ParseTokens, LoadTokens), are kept only as SHA-256 digests, compared in
// constant time, and never logged.
//
// Writes (PUT, PATCH, DELETE by default) need a valid token; with no tokens configured
// they are refused unless the operator allows anonymous writes. The token's name becomes
// the X-Zeval-Author of the write, so a client cannot write under someone else's name.
//
// Limits, in the order they apply:
//   - body size: a declared Content-Length over the limit is refused (413) before the body
//     is read, and the body is wrapped in http.MaxBytesReader;
//   - rate: a token bucket per caller (rate per second, burst); an empty bucket answers
//     429 with Retry-After (seconds until a token) and a Z5 of type Z570 (upstream's
//     "reached rate limit in orchestrator") in the body;
//   - concurrent evaluations per caller: one over the limit answers 429 at once;
//   - evaluation slots for the whole server: when every slot is taken, a request waits in
//     line. When the wait it can expect (the line ahead of it times the average time a slot
//     is held) exceeds the queue budget, or the line is full, it is shed at once with 503
//     and Retry-After; a request that still waits the whole budget is shed then. Shedding
//     early keeps the admitted requests' latency near the unloaded figure. When the line
//     has not emptied for a whole budget (it stands: arrivals outpace the slots), waits are
//     cut to the queue target and the newest request is served first (CoDel's standing-queue
//     test with adaptive LIFO), so admitted requests wait little and the excess is shed
//     within the target; a full standing line pushes out its oldest request. Background work
//     that requests will need (zeval serve's kernel starts that refill the Python pool) takes
//     slots too (Occupy), never the last one;
//   - time: every request's context gets the request budget as its deadline.
//
// Every refusal is a JSON body {"error": message, "status": code, "z5": Z5}, the shape of
// the object API's errors, and is counted through the hook of WithRejectHook with a short
// reason (RejectReasons lists them).
//
// Harden sets an http.Server's timeouts against slow clients (slowloris).
//
// The package owns identity and admission. It must not know routes beyond the predicates
// that say which requests are writes and which are evaluations, what an evaluation is, or
// how objects are stored. Time comes from an injected Clock, so tests need no sleeps.
package quota
