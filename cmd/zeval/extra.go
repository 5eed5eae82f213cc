package main

// extraCommands lists the subcommands of the other parts (store, orchestrator, server, ...).
// Each part adds its line here; the file exists so that parts do not edit the same lines of main.go.
func extraCommands() []command {
	return []command{
		{"import", "load a folder of Z*.json objects into the store", runImport},
		{"export", "write the stored objects to a folder as Z*.json", runExport},
		{"eval", "evaluate a function call (Z7) from a file or stdin and print the Z22", runEval},
		{"doctor", "check kernels (plain, fork server, sandboxed) and report the active protections", runDoctor},
		{"serve", "serve the orchestrator API (POST /{domain}/v1/evaluate/) and the object API", runServe},
		{"render", "render a page with {{#function:...}} calls to HTML", runRender},
		{"call", "call a function with arguments written as text and print the result", runCall},
		{"functions", "list the functions with their labels", runFunctions},
		{"test", "run the testers of functions against every implementation and rank the implementations", runTest},
	}
}
