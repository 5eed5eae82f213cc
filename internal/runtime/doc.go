// Package runtime holds the language runtime shims zeval loads into kernels, as source text
// embedded in the binary.
//
// It owns python/zeval_executor.py, the Python half of the Wikifunctions executor: it converts
// normal-form ZObjects to Python values and back the way upstream's python3 executor does
// (mediawiki-services-function-evaluator, April 2023), runs a function implementation, and
// answers with a normal Z22, a failure being a Z5 inside it. Its entry points, called by the
// channel loop in the kernel:
//
//	execute(request, call_hook=None, include_traceback=False) -> Z22   upstream's contract
//	load(code_string, function_name) -> handle                         compile and run once
//	call(handle, arguments, call_hook=None, include_traceback=False) -> Z22   the hot path
//	main()                                                             one request line in, one Z22 line out
//
// User code calls other functions with W.Call("Z802", Z802K1=...), which goes through
// call_hook(z7) -> Z22; hooks may re-enter call().
//
// It also owns javascript/zeval_executor.js (JavaScriptExecutor), the JavaScript executor for
// Jupyter kernels such as deno's: loaded once into a kernel, it defines __zeval (setup, then
// fallbackCall once per call), converts values as the embedded engine (package js) does, and
// sends nested calls and the result through prompt(), an input request on the stdin channel.
//
// It must not know: sockets, the Jupyter protocol, kernels or pools (package evaluator and the
// channel loop do the I/O), nor how nested calls are evaluated (the orchestrator). The Go side
// is only the embedded source.
package runtime
