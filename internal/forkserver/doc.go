// Package forkserver starts fresh ipykernel kernels in tens of milliseconds instead of half a
// second: a long-lived Python process (zeval_forkserver.py, run with the kernelspec's own Python)
// imports ipykernel and its heavy modules once, builds an InteractiveShell once, and forks a
// child per kernel that becomes a real IPKernelApp for the connection file it is given, with a
// private copy of everything (copy-on-write).
//
// A Server is a jupyter.Starter: jupyter.Launch(ctx, spec, jupyter.WithStarter(srv)) gives a
// kernel that behaves like an exec'd one. Its Process has its own session and process group
// (Kill kills the group), writes stdout and stderr to a per-kernel log that StderrTail reads, and
// reports its exit status as os/exec does ("exit status 3", "signal: killed"), because the server
// reaps its children and reports each exit. Two differences from a plain ipykernel: IPython's
// history is kept in memory (kernels share no history file), and the profile and config files
// are those the server loaded at its start, and its startup files and exec_lines run once, in
// the server, whose user namespace every kernel inherits (a kernelspec with arguments beyond
// `-f FILE` gets its shell and config built in the child, as a plain kernel does). The server
// also builds the application's Session once (each kernel gives it its own id, key and pid) and
// runs a message through it, so that what the first request builds on first use is inherited.
// A forked kernel starts no parent poller: the server's death kills it (PDEATHSIG).
//
// The Python side is two processes: a keeper, a child subreaper that Go starts, and the worker it
// forks, which imports and forks kernels. Orphans (a kernel's own children, or the kernels of a
// worker that died, which die with it by PDEATHSIG) are reparented to the keeper and reaped, so no
// zombie is left even where pid 1 does not reap. If the worker dies, pending starts fail, the
// kernels die, and a new server is started (at once in the background, and by the next Start at
// the latest).
//
// It owns the server processes, the request/event protocol and the kernels' logs. It applies a
// sandbox.Plan in the child when given one (StartConfined; joining cgroups is done by the server
// while the child initializes, since a cgroup v1 migration can take 20 ms) but does not decide
// what the plan is: that is the sandbox package's. It knows nothing of pools, sessions or
// ZObjects; CanUse tells the caller whether a kernelspec may use a fork server at all — any other
// kernelspec keeps plain launching.
package forkserver
