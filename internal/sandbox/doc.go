// Package sandbox is what protects the host from a kernel: memory, CPU and process-count limits,
// no network, a read-only filesystem apart from a private temp dir, and no access to other
// kernels' directories, all applied in the kernel's own process (never in zeval's: RLIMIT_AS in
// a Go process crashes it).
//
// Detect finds what the host supports — cgroup v1 controllers or a delegated cgroup v2 tree,
// user and network namespaces, landlock (and its ABI), seccomp, rlimits, bubblewrap — and a
// Sandbox applies the strongest of each, saying in Report which protections are active and why
// the others are not. Per kernel it makes a Plan (pure data) that the Python applier
// (zeval_sandbox.py) carries out just before the kernel starts: in the fork server's child
// (forkserver, a ConfinedStarter) or through an exec shim for any other Starter.
//
// A kernel without a network reaches zeval only over Unix sockets: launch it with
// jupyter.WithIPC, whose private directory the sandbox keeps writable; every other path zeval
// uses for kernels (the temp dir, other kernels' directories and logs) is unreadable inside.
//
// It owns cgroups, temp dirs and plans; it knows nothing of kernels beyond their command line and
// connection file, and nothing of pools, sessions or ZObjects.
package sandbox
