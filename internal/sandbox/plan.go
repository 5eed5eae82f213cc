package sandbox

import (
	"context"
	_ "embed"

	"github.com/zeval/zeval/internal/jupyter"
)

// ApplierSource is zeval_sandbox.py, the Python that applies a Plan inside a kernel's process:
// imported by the fork server (forkserver) and run as an exec shim for plainly started kernels.
//
//go:embed zeval_sandbox.py
var ApplierSource []byte

// ApplierFile is the file name under which ApplierSource must be written to be imported.
const ApplierFile = "zeval_sandbox.py"

// Plan says what to apply to one kernel's process before the kernel starts. It is data only; the
// Python applier (ApplierSource) carries it out, in this order: join cgroups, set rlimits, unshare
// namespaces, landlock, seccomp. The JSON form is what the applier reads.
type Plan struct {
	// CgroupProcs are cgroup.procs files the process writes itself into.
	CgroupProcs []string `json:"cgroup_procs,omitempty"`
	Rlimits     []Rlimit `json:"rlimits,omitempty"`
	// UnshareUser is needed by an unprivileged process to create the other namespaces.
	UnshareUser bool `json:"unshare_user,omitempty"`
	// UnshareNet gives the kernel a network namespace of its own: no interface but a down loopback.
	UnshareNet bool      `json:"unshare_net,omitempty"`
	UnshareIPC bool      `json:"unshare_ipc,omitempty"`
	UnshareUTS bool      `json:"unshare_uts,omitempty"`
	Landlock   *Landlock `json:"landlock,omitempty"`
	// Seccomp installs a filter that refuses syscalls a kernel has no use for (ptrace, mount,
	// bpf, unshare, setns, keyctl, ...) with EPERM; with SeccompUnixSockets it also refuses
	// sockets other than AF_UNIX and AF_NETLINK (for hosts without network namespaces).
	Seccomp            bool `json:"seccomp,omitempty"`
	SeccompUnixSockets bool `json:"seccomp_unix_sockets,omitempty"`
	// Keeper (exec shim only): the shim forks the kernel and stays as its parent, a child
	// subreaper that forwards signals and reaps the kernel's orphans, then ends as the kernel did.
	Keeper     bool `json:"keeper,omitempty"`
	NoNewPrivs bool `json:"no_new_privs,omitempty"`
}

// Rlimit is one resource limit; -1 means unlimited.
type Rlimit struct {
	Resource int   `json:"resource"`
	Soft     int64 `json:"soft"`
	Hard     int64 `json:"hard"`
}

// Landlock lists what the process may still reach once restricted. Everything not listed is
// denied for every access right the kernel's landlock ABI knows.
type Landlock struct {
	Read       []string `json:"read,omitempty"`        // read and execute, beneath each path
	Write      []string `json:"write,omitempty"`       // every right, beneath each path
	WriteFiles []string `json:"write_files,omitempty"` // read and write of single files (/dev/null)
	NoTCP      bool     `json:"no_tcp,omitempty"`      // deny TCP bind and connect (ABI ≥ 4)
	Scope      bool     `json:"scope,omitempty"`       // no signals or abstract sockets out of the domain (ABI ≥ 6)
}

// ConfinedStarter is a jupyter.Starter that can apply a Plan inside the kernel's process itself
// (the fork server does, in its forked child). Starters without it get the plan through an exec
// shim (python3 -I -S zeval_sandbox.py PLAN ARGV…).
type ConfinedStarter interface {
	StartConfined(ctx context.Context, argv, env []string, dir string, plan *Plan) (jupyter.Process, error)
}
