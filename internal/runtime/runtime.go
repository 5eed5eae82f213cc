package runtime

import _ "embed"

// PythonExecutor is the source of zeval_executor.py: the Wikifunctions python3 executor's work
// (value conversion, running the implementation, the Z22 answer, W.Call) as a module with no
// I/O of its own. Load it into a kernel as the module ExecutorModule.
//
//go:embed python/zeval_executor.py
var PythonExecutor string

// ExecutorModule is the module name zeval's Python code imports the executor by.
const ExecutorModule = "zeval_executor"
