package main

// jupyterCommands lists the subcommands that drive kernels directly.
func jupyterCommands() []command {
	return []command{}
}
