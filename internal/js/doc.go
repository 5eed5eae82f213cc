// Package js runs JavaScript function implementations (Z16 code in javascript) inside the zeval
// process, in the pure-Go engine goja: no install, no kernel, no child process.
//
// It owns: the JavaScript VM of one function in one session (VM), the conversion of values
// between ZObjects and JavaScript exactly as upstream's JavaScript executor does it
// (function-evaluator executors/javascript: serialization.js, ztypes.js, utils.js at the
// corpus commit), W.Call for nested calls, per-call time and memory limits, and Execute, the
// upstream executor contract on {"codeString","functionName","functionArguments"}.
//
// It must not know: how functions are resolved or implementations chosen (orchestrator), how
// sessions are kept (evaluator), kernels, or HTTP. Nested calls leave through the Caller
// interface declared here.
//
// # API
//
//	vm, err := js.NewVM(code, "Z1000", js.WithMemoryLimit(64<<20))  // compiles; no code runs
//	// err is a *js.CodeError (errors.Is(err, js.ErrCode)) for a syntax error or a bad
//	// function name: a failure of the user's code, whose Envelope() is the Z22 to answer.
//	z22, err := vm.Call(ctx, []zobject.Field{...}, caller)   // Z22; err only if the platform failed
//	z22, err := js.Execute(ctx, requestJSON, caller)        // upstream's execute(), fresh VM
//
// The first Call runs the code's top level (under that call's deadline) and finds the
// function by name; later calls reuse it, so top-level state lives as long as the VM (one
// session). A failure of the top level (an exception) is kept: every call answers its Z5.
// The function is called with the arguments sorted by key: Z1000(Z1000K1, Z1000K2).
//
// # Results
//
// Call returns what upstream's executor returns (makeMappedResultEnvelope): Z22K1 the value
// and Z22K2 void, or Z22K1 void and Z22K2 a Z883 map whose "errors" entry is the Z5. The
// Z5s of user code have upstream's shape {"Z1K1":"Z5","Z5K2":message} with upstream's
// message text: the exception's message, "Could not serialize input JS object: <what
// util.inspect prints>", "Function call did not provide functionName.", ... The limits answer
// Z507 errors like the evaluator's: "Function Z1000 exceeded the time limit and was stopped.",
// "... the memory limit of 256 MiB ...".
//
// Conversions (upstream's deserialize / serialize):
//
//	Z6 ↔ string (a String object too)      Z40 ↔ boolean (a Boolean object is always Z41)
//	Z21 ↔ null; undefined → Z21           Z881 ↔ Array (out: items' common type, else Z1)
//	Z882 ↔ ZPair {Z1K1, K1, K2}           Z883 ↔ Map (out: key/value types inferred)
//	anything else ↔ ZObject {Z1K1, keys}  — its Z1K1 kept as plain JSON in normal form, and
//	any object with a Z1K1 (a ZID string or JSON) converts back the same way.
//
// Numbers, symbols, functions, class instances, Sets, pending promises and objects without a
// Z1K1 fail with "Could not serialize input JS object: ...". Where zeval differs from
// upstream, on purpose: undefined becomes Z21 (upstream fails reading its Z1K1); a bare
// reference argument becomes ZObject {Z1K1: "Z9", Z9K1: "Z41"} and converts back to the
// reference (upstream recurses until the stack overflows); a settled promise (an async
// function) gives its value or its rejection (upstream fails on any promise); arguments are
// sorted by key number (upstream sorts key strings, so Z1K10 would come before Z1K2);
// a thrown non-Error gives its string (upstream reports undefined); cyclic values fail with
// "Maximum call stack size exceeded" as V8's recursion would. util.inspect output is
// reproduced for one-line values only (Node wraps long ones).
//
// # Nested calls
//
// User code calls W.Call("Z802", {Z802K1: true, Z802K2: "a", Z802K3: "b"}) (also
// W.Call("Z802", true, "a", "b"), keys numbered in order; Wikifunctions is an alias of W).
// Upstream's JavaScript executor at the corpus commit has no W.Call; the keyword object
// mirrors the Python executor's W.Call("Z802", Z802K1=True, ...). The arguments are
// converted, the Z7 {"Z1K1":"Z7","Z7K1":"Z802",...} goes to the Caller of the innermost call,
// and W.Call returns the converted Z22K1 or throws an Error whose message is the Z5's. A
// Caller error (the platform failed) stops the JavaScript call uncatchably and Call returns
// that error. Calls are re-entrant on one goroutine (A → B → A through the Caller); one VM
// may be re-entered at most 200 levels deep, past which the call answers a Z507.
//
// # Limits and isolation
//
// Time: each Call watches its ctx; when the deadline passes the runtime is interrupted
// (goja's Interrupt, checked between instructions, so a loop stops within microseconds), the
// call answers the time-limit Z5 and the VM's next call starts from a fresh runtime. A
// cancelled ctx is a platform error (ctx.Err()). In re-entrant calls an interrupt for an inner
// call is cleared when it ends unless an enclosing call was interrupted too (then it keeps
// unwinding). The top level runs under the first call's deadline.
//
// Memory: goja allocates on the shared Go heap and has no per-runtime accounting, so the
// limit is a heap-growth check: while a call runs longer than 5 ms, the process heap
// (runtime/metrics /memory/classes/heap/objects:bytes) is sampled every 5 ms against its
// value at the first sample; when it grew by more than the limit (default 256 MiB), a
// collection confirms it and the call is interrupted with the memory-limit Z5. What this
// cannot do: attribute memory to one VM (other goroutines' allocations count, so concurrent
// heavy calls can trip each other), see the first 5 ms of a call, or stop one huge
// allocation in progress (a string doubled past a gigabyte is allocated before the next
// instruction sees the interrupt, so the peak can reach a few times the limit).
//
// goja checks the interrupt between JavaScript instructions only: one native builtin runs to
// its end. So the prelude makes the builtins that can build something huge in a single native
// step refuse it, as V8 refuses some of them: strings over 2^29-24 code units from repeat,
// padStart and padEnd ("Invalid string length"), and more than 2^26 elements from
// Array(n) / new Array(n), Array.prototype.fill and Array.from with a length
// ("Invalid array length"; V8 would allow the holey array, then die filling it). JavaScript
// recursion is bounded (10,000 frames: "Maximum call stack size exceeded"), and so is the
// nesting of converted values (4,096 levels).
//
// Not bounded: a holey array made another way (a.length = 1e9, or a[1e9] = x) can still be
// walked by one native call (join, spread, map) that neither the time limit nor the memory
// watch can stop until it ends: join over 10^9 holes takes about two minutes, and a spread
// of it would exhaust the process's memory. Upstream runs each executor in its own process;
// here only those guards stand between such code and the zeval process.
//
// Host access: goja gives the code nothing of the host: no require, no modules (import()
// does not compile), no process, fs, network (fetch, XMLHttpRequest, WebSocket) or timers;
// console exists and discards its output. TestNoHostAccess checks this. The code still shares
// the process: a VM is not a sandbox against bugs in goja itself.
//
// # Why goja (measured 2026-11-23, AMD EPYC, 2 cores, Go 1.26)
//
// A side-by-side probe of goja v0.0.0-20260917113740-793a2a65c13b and modernc.org/quickjs
// v0.27.0 (both pure Go; quickjs is QuickJS transpiled to Go), same code in both:
//
//	                                         goja            quickjs
//	new VM + compile a two-function script   20–39 µs        178–228 µs
//	trivial call (a + b on two strings)      0.39–0.47 µs    4.0–4.9 µs
//	1 MiB string: reverse, upper-case, len   144–156 ms      191–216 ms
//	1 MiB string argument, toUpperCase       7.2 ms          18.0 ms
//
// goja is 5–10× faster to create and to call, and faster on strings; its parser reports
// syntax errors in V8's words ("Unexpected end of input", "X is not defined"), which the
// corpus pins; values stay Go values (no copying into a C heap); and it has an interrupt. Its
// cost is the missing per-VM memory limit that quickjs has natively (SetMemoryLimit),
// replaced by the heap-growth check above.
//
// zeval's own figures (go test -run XXX -bench . -benchmem ./internal/js/), measured on a
// quiet machine before the array guards were added to the prelude: a trivial warm call
// through VM.Call, conversions and Z22 included, 4.5 µs and 25 allocations (6.3 µs with a
// deadline armed); a fresh VM with its first call 134 µs (806 allocations); a 1 MiB string in
// and out 3.4 ms; a list of 1,000 strings in and out 0.74 ms; a W.Call round trip 7.3 µs.
// With the guards, under a load average of 20 on the 2 cores: warm call 4.7–7.7 µs (25
// allocations), fresh VM 0.28–0.46 ms (1,461 allocations, 110 KB), 1 MiB string 4.7–8.6 ms.
//
// # Concurrency
//
// A VM is used by one goroutine at a time (re-entrant calls happen on that goroutine).
// Separate VMs are independent and may run in parallel. The only package-level values are
// constants, compiled regular expressions and the compiled prelude, all immutable.
package js
