// Package evaluator runs code implementations (Z14K3) for the orchestrator: Python in real
// Jupyter kernels, one kernel per function per session.
//
// The path of a call: the session (carried in the context) looks up its instance of the
// function; the first call leases a prepared kernel from the pool. Preparing a kernel loaded
// zeval's runtime modules into it and started one execute_request that stays running as the
// kernel side of the fast call channel: it connected to the evaluator's Unix socket ("parked")
// and serves length-prefixed JSON frames, with no execute_request and no IOPub traffic. The
// lease sends the function's code in a load frame (a kernel that could not park loads it with an
// execute_request that then serves the channel the same way). Payloads over 64 KiB travel through a file in /dev/shm. A kernel that cannot
// open the channel serves each call with an execute_request instead (result as display data,
// nested calls over the stdin channel): slower, same results. While few evaluations are under
// way, both ends of the channel poll for the next frame for up to 50 µs before they sleep
// (spin.go): a wake-up across CPUs costs more than a quick call on this kind of host.
//
// With Config.ForkServer, ipykernel kernels are forked from a server that has imported
// ipykernel and zeval's runtime once (forkserver.WithPreload), lean (no debugpy, jedi or
// terminal IPython; forkserver.WithLeanKernels), started in the background
// (forkserver.WithBackgroundStart): a kernel from it needs no execute_request to define the
// runtime, only the one that parks it. Kernels a session is done with are killed, not shut down
// (their state is thrown away; a shutdown_request would cost the kernel its exit work).
//
// Nested calls (W.Call in user code) come back over the same channel and go to the CallFunc
// (the orchestrator), under the session of the outer call, so they may run in other kernels of
// the session; the kernel keeps serving calls that arrive while it waits, so A → B → A works.
// A depth limit turns runaway recursion into a Z5.
//
// JavaScript runs in the embedded engine (package js) unless Config.JavaScriptKernel names a
// kernelspec (deno's): then it runs in pooled kernels as Python does, with runtime's
// zeval_executor.js loaded when the pool prepares a kernel. That runtime has no call channel:
// every call is an execute_request, and its result and nested calls travel as input requests on
// the stdin channel (deno publishes display data from a queue that may drain after the request
// went idle). deno's kernel takes no ipc transport, so it is reached over TCP, and a sandbox
// without network cannot hold it: New refuses that. It dies of the interrupt a time limit sends;
// the call answers the time-limit Z5 as usual.
//
// Limits: each call has a wall-clock limit. When it runs out the kernel is interrupted; if the
// code does not stop within a second the kernel is killed. Either way the call answers a Z5 and
// the function's next call in the session gets a fresh kernel.
//
// It knows the orchestrator only as a CallFunc and the ZObject model as values to convert; it
// does not resolve functions or choose implementations.
package evaluator
