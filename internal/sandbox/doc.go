// Package sandbox is what protects the host from a kernel: memory, CPU and process-count limits,
// no network, a read-only filesystem apart from a private temp dir, and no access to other
// kernels' directories, all applied in the kernel's own process (never in zeval's: RLIMIT_AS in
// a Go process crashes it).
//
// Detect finds what the host supports — cgroup v1 controllers or a delegated cgroup v2 tree,
// user and network namespaces, landlock (and its ABI), seccomp, rlimits, bubblewrap — and a
// Sandbox applies the strongest of each, saying in Report which protections are active and why
// the others are not. Per kernel it makes cgroups with the limits, a private temp dir (TMPDIR,
// HOME), and a Plan (pure data) that the Python applier (zeval_sandbox.py) carries out just
// before the kernel starts: in the fork server's child (forkserver is a ConfinedStarter), or
// through an exec shim for any other Starter. The shim stays as the kernel's parent, a child
// subreaper that forwards signals and reaps what the kernel leaves, so that no zombie is left on
// hosts whose pid 1 does not reap.
//
// No network means a network namespace of the kernel's own where there is one (then TCP is not
// refused as such: xeus-python aborts if it is), else landlock's TCP rules and a seccomp filter
// that allows only Unix and netlink sockets. Such a kernel reaches zeval only over Unix sockets:
// launch it with jupyter.WithIPC, whose private directory stays writable inside; WithReadWrite
// adds others (the evaluator's call channel). The read-only filesystem and the other kernels'
// files are landlock's: reads are allowed beneath every directory except the temp dir, the
// kernels' runtime directory and the sandbox's own, writes only in the kernel's directories.
//
// It owns cgroups, temp dirs and plans; it knows nothing of kernels beyond their command line and
// connection file, and nothing of pools, sessions or ZObjects.
package sandbox
