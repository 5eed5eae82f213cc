package runtime

import _ "embed"

// JavaScriptExecutor is the source of javascript/zeval_executor.js: the JavaScript executor
// for Jupyter kernels (deno's). Run once in a kernel, it defines the global __zeval, which
// loads a function implementation, converts values as zeval's embedded engine does, and serves
// one call per execute_request, with nested calls and the result over the stdin channel.
//
//go:embed javascript/zeval_executor.js
var JavaScriptExecutor string
