// Package forkserver starts fresh ipykernel kernels in a few milliseconds: a long-lived Python
// process (zeval_forkserver.py, run with the kernelspec's own Python) imports ipykernel and its
// heavy modules once, and forks a child per kernel that becomes a real IPKernelApp for the
// connection file it is given.
//
// A Server is a jupyter.Starter: jupyter.Launch(ctx, spec, jupyter.WithStarter(srv)) gives a
// kernel that behaves like an exec'd one. Its Process has its own session and process group
// (Kill kills the group), writes stdout and stderr to a per-kernel log that StderrTail reads, and
// reports its exit status as os/exec does ("exit status 3", "signal: killed"), because the server
// reaps its children and reports each exit. If the server dies its children die with it
// (PR_SET_PDEATHSIG, and the Go side kills their groups too), pending starts fail, and the next
// start runs a new server.
//
// It owns the server process, the request/event protocol and the kernels' logs. It applies a
// sandbox.Plan in the child when given one (StartConfined) but does not decide what the plan is:
// that is the sandbox package's. It knows nothing of pools, sessions or ZObjects; CanUse tells
// the caller whether a kernelspec may use a fork server at all — any other kernelspec keeps
// plain launching.
package forkserver
