package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
)

// Resource numbers of setrlimit(2) on Linux.
const (
	rlimitCPU   = 0
	rlimitFsize = 1
	rlimitCore  = 4
	rlimitNproc = 6
	rlimitAS    = 9
)

// Option configures New.
type Option func(*config)

type config struct {
	memory    int64   // bytes
	pids      int     // tasks (threads count) in the kernel's cgroup
	cpus      float64 // cores
	cpuTime   int64   // seconds of CPU time, 0 = unlimited
	fileSize  int64   // largest file the kernel may write
	readWrite []string
	network   bool
	python    string
	caps      *Capabilities
}

// WithMemory limits a kernel's memory (default 1 GiB): the memory cgroup where there is one
// (the kernel is OOM-killed past it), else RLIMIT_AS of the limit plus 1 GiB of address space
// (Python reserves more than it uses; a big allocation then raises MemoryError).
func WithMemory(bytes int64) Option { return func(c *config) { c.memory = bytes } }

// WithPids limits the tasks (processes and threads) of a kernel (default 128; an idle ipykernel
// has about 10).
func WithPids(n int) Option { return func(c *config) { c.pids = n } }

// WithCPUs limits a kernel to the given number of cores' time (default 1; cgroup cpu quota).
func WithCPUs(cores float64) Option { return func(c *config) { c.cpus = cores } }

// WithCPUTime sets RLIMIT_CPU, the CPU seconds a kernel may use in its life (default unlimited:
// a pooled kernel lives long; wall-clock limits per call belong to the evaluator).
func WithCPUTime(seconds int64) Option { return func(c *config) { c.cpuTime = seconds } }

// WithFileSize limits the size of a file the kernel writes (default 256 MiB; RLIMIT_FSIZE).
func WithFileSize(bytes int64) Option { return func(c *config) { c.fileSize = bytes } }

// WithReadWrite lets every kernel read and write beneath the given paths, as for the evaluator's
// call-channel directory.
func WithReadWrite(paths ...string) Option {
	return func(c *config) { c.readWrite = append(c.readWrite, paths...) }
}

// WithNetwork leaves the kernels' network alone (default: no network).
func WithNetwork() Option { return func(c *config) { c.network = true } }

// WithPython sets the interpreter of the exec shim (default /usr/bin/python3, else python3 on
// PATH). Kernels from a fork server do not use it.
func WithPython(path string) Option { return func(c *config) { c.python = path } }

// WithCapabilities uses caps instead of Detect(): to turn protections off, or in tests.
func WithCapabilities(caps Capabilities) Option { return func(c *config) { c.caps = &caps } }

// Sandbox confines kernels. Safe for concurrent use; Close removes what it made on the host.
type Sandbox struct {
	cfg     config
	caps    Capabilities
	base    string            // private temp dirs, and the applier script
	cgroups map[string]string // controller → zeval's parent cgroup for this Sandbox ("v2" for v2)

	mu   sync.Mutex
	next int
}

// New detects the host's protections (unless WithCapabilities) and prepares the parent cgroups
// and the directory of private temp dirs.
func New(opts ...Option) (*Sandbox, error) {
	cfg := config{memory: 1 << 30, pids: 128, cpus: 1, fileSize: 256 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.memory <= 0 || cfg.pids <= 0 || cfg.cpus <= 0 || cfg.cpuTime < 0 || cfg.fileSize <= 0 {
		return nil, fmt.Errorf("sandbox: limits must be positive (memory %d, pids %d, cpus %g, cpu time %d, file size %d)",
			cfg.memory, cfg.pids, cfg.cpus, cfg.cpuTime, cfg.fileSize)
	}
	for _, p := range cfg.readWrite {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("sandbox: read-write path %q is not absolute", p)
		}
	}
	if cfg.python == "" {
		cfg.python = "/usr/bin/python3"
		if _, err := os.Stat(cfg.python); err != nil {
			if p, err := exec.LookPath("python3"); err == nil {
				cfg.python = p
			}
		}
	}
	s := &Sandbox{cfg: cfg, cgroups: map[string]string{}}
	if cfg.caps != nil {
		s.caps = *cfg.caps
	} else {
		s.caps = Detect()
	}
	RemoveStaleDirs(os.TempDir(), "zeval-sandbox-")
	base, err := os.MkdirTemp("", fmt.Sprintf("zeval-sandbox-%d-*", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.base = base
	if err := os.WriteFile(filepath.Join(base, ApplierFile), ApplierSource, 0o644); err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	name := fmt.Sprintf("zeval-%d-%s", os.Getpid(), filepath.Base(base)[strings.LastIndexByte(filepath.Base(base), '-')+1:])
	for ctl, root := range s.caps.CgroupV1 {
		removeStaleCgroups(root)
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			s.Close()
			return nil, fmt.Errorf("sandbox: cgroup %s: %w", ctl, err)
		}
		s.cgroups[ctl] = dir
	}
	if s.caps.CgroupV2 != "" {
		removeStaleCgroups(s.caps.CgroupV2)
		dir := filepath.Join(s.caps.CgroupV2, name)
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+memory +pids +cpu"), 0)
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sandbox: cgroup v2 %s: %w", dir, err)
		}
		s.cgroups["v2"] = dir
	}
	return s, nil
}

// Capabilities is what Detect found (or WithCapabilities gave).
func (s *Sandbox) Capabilities() Capabilities { return s.caps }

// Close removes the parent cgroups and the temp dir base. Kernels still running keep their
// protections; their cgroups are removed when they exit.
func (s *Sandbox) Close() error {
	var errs []error
	for _, dir := range s.cgroups {
		if err := removeCgroup(dir); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: removing cgroup %s (kernels still running?): %w", dir, err))
		}
	}
	if s.base != "" {
		errs = append(errs, os.RemoveAll(s.base))
	}
	return errors.Join(errs...)
}

// Protection is one line of a Report.
type Protection struct {
	Name   string `json:"name"`
	Active bool   `json:"active"`
	How    string `json:"how"` // what enforces it, or why it is not active
}

// Report lists the protections a kernel of this Sandbox gets, active or not, with how or why not.
func (s *Sandbox) Report() []Protection {
	c := s.caps
	var r []Protection
	add := func(name string, active bool, how string) { r = append(r, Protection{name, active, how}) }
	mem := fmt.Sprintf("%d MiB", s.cfg.memory>>20)
	switch {
	case s.cgroups["memory"] != "":
		add("memory limit", true, "cgroup v1 memory.limit_in_bytes "+mem+" (OOM kill past it)")
	case s.cgroups["v2"] != "":
		add("memory limit", true, "cgroup v2 memory.max "+mem)
	default:
		add("memory limit", true, fmt.Sprintf("RLIMIT_AS %d MiB (no writable memory cgroup)", (s.cfg.memory+1<<30)>>20))
	}
	switch {
	case s.cgroups["pids"] != "":
		add("process limit", true, fmt.Sprintf("cgroup v1 pids.max %d", s.cfg.pids))
	case s.cgroups["v2"] != "":
		add("process limit", true, fmt.Sprintf("cgroup v2 pids.max %d", s.cfg.pids))
	case !c.Root:
		add("process limit", true, fmt.Sprintf("RLIMIT_NPROC %d (per user, not per kernel)", s.cfg.pids))
	default:
		add("process limit", false, "no writable pids cgroup, and RLIMIT_NPROC does not bind root")
	}
	cpu := fmt.Sprintf("%g cores", s.cfg.cpus)
	switch {
	case s.cgroups["cpu"] != "":
		add("cpu limit", true, "cgroup v1 cpu.cfs_quota_us "+cpu)
	case s.cgroups["v2"] != "":
		add("cpu limit", true, "cgroup v2 cpu.max "+cpu)
	default:
		add("cpu limit", false, "no writable cpu cgroup")
	}
	if s.cfg.cpuTime > 0 {
		add("cpu time limit", true, fmt.Sprintf("RLIMIT_CPU %ds", s.cfg.cpuTime))
	}
	add("file size limit", true, fmt.Sprintf("RLIMIT_FSIZE %d MiB, no core dumps", s.cfg.fileSize>>20))
	var net []string
	if !s.cfg.network {
		switch {
		case c.NetNS:
			net = append(net, "network namespace of its own (no interface but a down loopback)")
		default:
			if c.LandlockV >= 4 {
				net = append(net, "landlock TCP bind/connect denied")
			}
			if c.Seccomp {
				net = append(net, "seccomp: only AF_UNIX and AF_NETLINK sockets")
			}
		}
	}
	switch {
	case s.cfg.network:
		add("no network", false, "turned off (WithNetwork)")
	case len(net) == 0:
		add("no network", false, "no network namespace, landlock ≥ 4 or seccomp on this host")
	default:
		add("no network", true, strings.Join(net, "; "))
	}
	if c.LandlockV > 0 {
		add("read-only filesystem", true, fmt.Sprintf("landlock ABI %d: writes only in the private temp dir, the kernel's own directory and %d configured paths", c.LandlockV, len(s.cfg.readWrite)))
		add("other kernels' files unreadable", true, "landlock: the temp dir and kernel directories are outside the read allow-list")
	} else {
		add("read-only filesystem", false, "landlock unavailable")
		add("other kernels' files unreadable", false, "landlock unavailable")
	}
	add("private temp dir", true, "TMPDIR and HOME point to a per-kernel directory removed at exit")
	if c.Seccomp {
		add("syscall filter", true, "seccomp: ptrace, mount, bpf, unshare, setns, keyctl, module and reboot calls denied")
	} else {
		add("syscall filter", false, "seccomp unavailable")
	}
	if c.LandlockV >= 6 {
		add("no signals to other processes", true, "landlock scope (ABI ≥ 6)")
	}
	switch {
	case c.Bubblewrap != "":
		add("bubblewrap", false, "installed at "+c.Bubblewrap+" but not needed: namespaces, landlock and seccomp are applied directly (cheaper: no extra exec)")
	default:
		add("bubblewrap", false, "not installed (not needed)")
	}
	return r
}

// confinement is what one kernel got: its plan, its resources, and how to release them.
type confinement struct {
	plan    *Plan
	env     []string
	tmp     string
	cgroups []string // per-kernel cgroup directories
	v2      bool
}

// prepare makes the per-kernel temp dir and cgroups and the plan. kernelDir, when not "", is the
// kernel's own directory (its connection file and sockets), kept readable and writable.
func (s *Sandbox) prepare(kernelDir string, connFile string) (*confinement, error) {
	s.mu.Lock()
	s.next++
	n := s.next
	s.mu.Unlock()
	c := &confinement{plan: &Plan{NoNewPrivs: true}, tmp: filepath.Join(s.base, fmt.Sprintf("k%d", n))}
	if err := os.Mkdir(c.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: temp dir: %w", err)
	}
	c.env = []string{"TMPDIR=" + c.tmp, "HOME=" + c.tmp, "IPYTHONDIR=" + filepath.Join(c.tmp, ".ipython"),
		"MPLCONFIGDIR=" + filepath.Join(c.tmp, ".matplotlib"), "XDG_CACHE_HOME=" + filepath.Join(c.tmp, ".cache"),
		"JUPYTER_RUNTIME_DIR=" + filepath.Join(c.tmp, ".jupyter")}
	p := c.plan
	p.Rlimits = append(p.Rlimits, Rlimit{rlimitCore, 0, 0}, Rlimit{rlimitFsize, s.cfg.fileSize, s.cfg.fileSize})
	if err := s.makeCgroups(c, n); err != nil {
		c.release()
		return nil, err
	}
	if s.cgroups["memory"] == "" && s.cgroups["v2"] == "" {
		as := s.cfg.memory + 1<<30
		p.Rlimits = append(p.Rlimits, Rlimit{rlimitAS, as, as})
	}
	if s.cgroups["pids"] == "" && s.cgroups["v2"] == "" && !s.caps.Root {
		p.Rlimits = append(p.Rlimits, Rlimit{rlimitNproc, int64(s.cfg.pids), int64(s.cfg.pids)})
	}
	if s.cfg.cpuTime > 0 {
		p.Rlimits = append(p.Rlimits, Rlimit{rlimitCPU, s.cfg.cpuTime, s.cfg.cpuTime + 1})
	}
	if !s.cfg.network && s.caps.NetNS {
		p.UnshareNet, p.UnshareIPC, p.UnshareUTS = true, true, true
		p.UnshareUser = !s.caps.Root
	}
	if s.caps.LandlockV > 0 {
		write := append([]string{c.tmp}, s.cfg.readWrite...)
		hidden := []string{os.TempDir(), s.base}
		if kernelDir != "" {
			write = append(write, kernelDir)
			hidden = append(hidden, filepath.Dir(kernelDir))
		}
		read := readAllowList(hidden)
		var files []string
		if connFile != "" && kernelDir == "" {
			read = append(read, connFile)
		}
		files = append(files, "/dev/null", "/dev/zero", "/dev/full")
		// With a network namespace, TCP needs no further denial: the kernel's namespace has
		// only its own loopback, which is down (xeus-python aborts if TCP itself is refused).
		p.Landlock = &Landlock{Read: read, Write: write, WriteFiles: files,
			NoTCP: !s.cfg.network && !s.caps.NetNS, Scope: true}
	}
	p.Seccomp = s.caps.Seccomp
	p.SeccompUnixSockets = s.caps.Seccomp && !s.cfg.network && !s.caps.NetNS
	return c, nil
}

// readAllowList returns paths whose subtrees together cover the whole filesystem except the
// hidden directories: for each hidden path, the siblings of every directory on the way to it.
func readAllowList(hidden []string) []string {
	hide := map[string]bool{}
	onPath := map[string]bool{}
	for _, h := range hidden {
		h = filepath.Clean(h)
		if r, err := filepath.EvalSymlinks(h); err == nil {
			h = r
		}
		hide[h] = true
		for d := filepath.Dir(h); ; d = filepath.Dir(d) {
			onPath[d] = true
			if d == "/" {
				break
			}
		}
	}
	var out []string
	var walk func(dir string)
	walk = func(dir string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			switch {
			case hide[p]:
			case onPath[p]:
				walk(p)
			default:
				out = append(out, p)
			}
		}
	}
	if hide["/"] {
		return nil
	}
	walk("/")
	sort.Strings(out)
	return out
}

func (s *Sandbox) makeCgroups(c *confinement, n int) error {
	name := fmt.Sprintf("k%d", n)
	write := func(dir, file, val string) error {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(val), 0); err != nil {
			return fmt.Errorf("sandbox: cgroup %s: %w", filepath.Join(dir, file), err)
		}
		return nil
	}
	mk := func(parent string) (string, error) {
		dir := filepath.Join(parent, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", fmt.Errorf("sandbox: cgroup: %w", err)
		}
		c.cgroups = append(c.cgroups, dir)
		c.plan.CgroupProcs = append(c.plan.CgroupProcs, filepath.Join(dir, "cgroup.procs"))
		return dir, nil
	}
	mem := strconv.FormatInt(s.cfg.memory, 10)
	period := 100000
	quota := strconv.Itoa(int(s.cfg.cpus * float64(period)))
	if parent := s.cgroups["v2"]; parent != "" {
		dir, err := mk(parent)
		if err != nil {
			return err
		}
		c.v2 = true
		return errors.Join(write(dir, "memory.max", mem), write(dir, "memory.swap.max", "0"),
			write(dir, "pids.max", strconv.Itoa(s.cfg.pids)), write(dir, "cpu.max", quota+" "+strconv.Itoa(period)))
	}
	if parent := s.cgroups["memory"]; parent != "" {
		dir, err := mk(parent)
		if err != nil {
			return err
		}
		if err := write(dir, "memory.limit_in_bytes", mem); err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
			if err := write(dir, "memory.memsw.limit_in_bytes", mem); err != nil {
				return err
			}
		}
	}
	if parent := s.cgroups["pids"]; parent != "" {
		dir, err := mk(parent)
		if err != nil {
			return err
		}
		if err := write(dir, "pids.max", strconv.Itoa(s.cfg.pids)); err != nil {
			return err
		}
	}
	if parent := s.cgroups["cpu"]; parent != "" {
		dir, err := mk(parent)
		if err != nil {
			return err
		}
		if err := errors.Join(write(dir, "cpu.cfs_period_us", strconv.Itoa(period)), write(dir, "cpu.cfs_quota_us", quota)); err != nil {
			return err
		}
	}
	return nil
}

// killAll kills every process in the kernel's cgroups (children that left its process group
// too), and waits briefly until the cgroups are empty.
func (c *confinement) killAll() {
	if c.v2 && len(c.cgroups) > 0 {
		_ = os.WriteFile(filepath.Join(c.cgroups[0], "cgroup.kill"), []byte("1"), 0)
	}
	for i := 0; i < 200; i++ {
		left := 0
		for _, dir := range c.cgroups {
			b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					left++
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// release removes the kernel's cgroups and temp dir; its processes must be gone.
func (c *confinement) release() {
	for _, dir := range c.cgroups {
		removeCgroup(dir)
	}
	_ = os.RemoveAll(c.tmp)
}

// removeCgroup removes an empty cgroup. A cgroup whose last task has just been reaped can stay
// busy for a moment (EBUSY), so it tries for up to a second.
func removeCgroup(dir string) error {
	var err error
	for i := 0; i < 200; i++ {
		if err = os.Remove(dir); err == nil || os.IsNotExist(err) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return err
}

// removeStaleCgroups removes the empty cgroups that sandboxes of zeval processes no longer
// running left under root (a process that was killed does not Close).
func removeStaleCgroups(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		var pid int
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "zeval-") {
			continue
		}
		if _, err := fmt.Sscanf(e.Name(), "zeval-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // its owner still runs
		}
		parent := filepath.Join(root, e.Name())
		kids, _ := os.ReadDir(parent)
		for _, k := range kids {
			if k.IsDir() {
				_ = os.Remove(filepath.Join(parent, k.Name())) // fails, harmlessly, if populated
			}
		}
		_ = os.Remove(parent)
	}
}

// Starter returns a jupyter.Starter that starts kernels with inner, confined. A ConfinedStarter
// (the fork server) applies the plan in its child; any other gets argv wrapped in the exec shim
// `python3 -I -S zeval_sandbox.py PLAN ARGV…`, which applies the plan and execs the kernel.
func (s *Sandbox) Starter(inner jupyter.Starter) jupyter.Starter {
	if inner == nil {
		inner = jupyter.ExecStarter{}
	}
	return &starter{sb: s, inner: inner}
}

type starter struct {
	sb    *Sandbox
	inner jupyter.Starter
}

var (
	_ jupyter.Starter = (*starter)(nil)
	_ jupyter.Process = (*process)(nil)
)

// ErrNeedsIPC is returned (wrapped) when a kernel without a network is to be reached over TCP.
var ErrNeedsIPC = errors.New("sandbox: a kernel without a network needs the ipc transport (launch it with jupyter.WithIPC)")

func (st *starter) Start(ctx context.Context, argv, env []string, dir string) (jupyter.Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("sandbox: empty command")
	}
	connFile, info := findConnectionFile(argv)
	kernelDir := ""
	if info != nil && info.Transport == "ipc" {
		kernelDir = filepath.Dir(connFile)
		if filepath.Dir(info.IP) != kernelDir {
			return nil, fmt.Errorf("sandbox: ipc sockets %s are not in the connection file's directory %s", info.IP, kernelDir)
		}
	}
	if !st.sb.cfg.network && st.sb.caps.NetNS && (info == nil || info.Transport != "ipc") {
		return nil, ErrNeedsIPC
	}
	c, err := st.sb.prepare(kernelDir, connFile)
	if err != nil {
		return nil, err
	}
	env = mergeEnv(env, c.env)
	var p jupyter.Process
	if cs, ok := st.inner.(ConfinedStarter); ok {
		p, err = cs.StartConfined(ctx, argv, env, dir, c.plan)
	} else {
		shimPlan := *c.plan
		shimPlan.Keeper = true
		plan, _ := json.Marshal(&shimPlan)
		shim := append([]string{st.sb.cfg.python, "-I", "-S", filepath.Join(st.sb.base, ApplierFile), string(plan)}, argv...)
		p, err = st.inner.Start(ctx, shim, env, dir)
	}
	if err != nil {
		c.killAll()
		c.release()
		return nil, err
	}
	_, confined := st.inner.(ConfinedStarter)
	sp := &process{Process: p, c: c, keeper: !confined, released: make(chan struct{})}
	go sp.watch()
	return sp, nil
}

// findConnectionFile finds the connection file among a kernel's arguments.
func findConnectionFile(argv []string) (string, *jupyter.ConnectionInfo) {
	for _, a := range argv[1:] {
		if !strings.HasSuffix(a, ".json") {
			continue
		}
		if info, err := jupyter.ReadConnectionFile(a); err == nil {
			return a, info
		}
	}
	return "", nil
}

// mergeEnv returns env with the entries of over replacing those of the same name.
func mergeEnv(env, over []string) []string {
	drop := map[string]bool{}
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	out := make([]string, 0, len(env)+len(over))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	return append(out, over...)
}

// process is a confined kernel: Kill also kills what escaped its process group into its
// cgroup, and its cgroups and temp dir are removed once it has exited.
type process struct {
	jupyter.Process
	c        *confinement
	keeper   bool // the process is the exec shim, parent of the kernel
	released chan struct{}
}

func (p *process) watch() {
	<-p.Process.Exited()
	p.c.killAll()
	p.c.release()
	close(p.released)
}

// Exited is closed once the kernel has exited and its cgroups and temp dir are gone.
func (p *process) Exited() <-chan struct{} { return p.released }

// Kill kills the kernel and everything it started. The exec shim is asked first (SIGTERM), so
// that it kills and reaps the kernel's tree before it exits: killing its group at once would
// orphan the kernel to pid 1, which does not reap on every host.
func (p *process) Kill() {
	if p.keeper && p.Process.Signal(syscall.SIGTERM) == nil {
		t := time.NewTimer(5 * time.Second)
		defer t.Stop()
		select {
		case <-p.released:
			return
		case <-t.C:
		}
	}
	p.c.killAll()
	p.Process.Kill()
	<-p.released
}

// TempDir is the kernel's private temp dir.
func (p *process) TempDir() string { return p.c.tmp }

// RemoveStaleDirs removes dir/prefix<pid>-* directories whose process no longer runs: what a
// killed zeval left (it could not Close). The fork server names its directories the same way.
func RemoveStaleDirs(dir, prefix string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		pidText, _, found := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || !found || err != nil || pid <= 0 || !e.IsDir() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}
