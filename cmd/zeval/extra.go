package main

// extraCommands lists the subcommands of the other parts (store, orchestrator, server, ...).
// Each part adds its line here; the file exists so that parts do not edit the same lines of main.go.
func extraCommands() []command {
	return []command{
		{"import", "load a folder of Z*.json objects into the store", runImport},
		{"export", "write the stored objects to a folder as Z*.json", runExport},
	}
}
