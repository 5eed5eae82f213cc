package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Capabilities is what the host offers to confine a process. The zero value offers nothing.
type Capabilities struct {
	Root       bool
	UserNS     bool              // an unprivileged process can create a user namespace
	NetNS      bool              // a network namespace can be created (as root, or inside a user namespace)
	LandlockV  int               // landlock ABI version, 0 when unavailable
	Seccomp    bool              // seccomp filters can be installed and the applier knows this architecture
	CgroupV1   map[string]string // controller (memory, pids, cpu) → writable hierarchy root
	CgroupV2   string            // a writable, delegated cgroup v2 directory, or ""
	Bubblewrap string            // path of bwrap, or ""
	Notes      []string          // why something is missing
}

// Detect probes the host. It starts one short-lived child process (to try namespaces) and makes
// and removes a test cgroup; it changes nothing else.
func Detect() Capabilities {
	c := Capabilities{Root: os.Geteuid() == 0, CgroupV1: map[string]string{}}
	c.UserNS = tryUnshare(syscall.CLONE_NEWUSER) == nil
	if err := tryUnshare(netFlags(c.Root)); err == nil {
		c.NetNS = true
	} else {
		c.Notes = append(c.Notes, "network namespace: "+err.Error())
	}
	if v, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, 1); e == 0 && int(v) > 0 {
		c.LandlockV = int(v)
	} else {
		c.Notes = append(c.Notes, "landlock: "+e.Error())
	}
	switch runtime.GOARCH {
	case "amd64", "arm64":
		if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err == nil {
			c.Seccomp = true
		} else {
			c.Notes = append(c.Notes, "seccomp: "+err.Error())
		}
	default:
		c.Notes = append(c.Notes, "seccomp: the applier has no syscall table for "+runtime.GOARCH)
	}
	for _, ctl := range []string{"memory", "pids", "cpu"} {
		root := filepath.Join("/sys/fs/cgroup", ctl)
		if err := probeCgroupDir(root); err == nil {
			c.CgroupV1[ctl] = root
		} else if !errors.Is(err, os.ErrNotExist) {
			c.Notes = append(c.Notes, fmt.Sprintf("cgroup v1 %s: %v", ctl, err))
		}
	}
	if len(c.CgroupV1) == 0 {
		if dir, err := findCgroupV2(); err == nil {
			c.CgroupV2 = dir
		} else {
			c.Notes = append(c.Notes, "cgroup v2: "+err.Error())
		}
	}
	if p, err := exec.LookPath("bwrap"); err == nil {
		c.Bubblewrap = p
	}
	return c
}

func netFlags(root bool) uintptr {
	if root {
		return syscall.CLONE_NEWNET
	}
	return syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET
}

// tryUnshare runs /bin/true in new namespaces.
func tryUnshare(flags uintptr) error {
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags}
	if flags&syscall.CLONE_NEWUSER != 0 {
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getuid(), HostID: os.Getuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getgid(), HostID: os.Getgid(), Size: 1}}
	}
	return cmd.Run()
}

// probeCgroupDir checks that a child cgroup can be made under root.
func probeCgroupDir(root string) error {
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		return err
	}
	d, err := os.MkdirTemp(root, "zeval-probe-")
	if err != nil {
		return err
	}
	return os.Remove(d)
}

// findCgroupV2 finds a cgroup v2 directory zeval may create children in with the memory, pids
// and cpu controllers enabled: the unified root, or the one zeval's own process is in (delegated
// by systemd).
func findCgroupV2() (string, error) {
	root := "/sys/fs/cgroup"
	if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
		return "", errors.New("no unified hierarchy at /sys/fs/cgroup")
	}
	cands := []string{root}
	if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "0::"); ok && rest != "/" {
				cands = append([]string{filepath.Join(root, rest)}, cands...)
			}
		}
	}
	var last error
	for _, dir := range cands {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
		if err != nil {
			last = err
			continue
		}
		have := strings.Fields(string(b))
		if !contains(have, "memory") || !contains(have, "pids") {
			last = fmt.Errorf("%s does not delegate memory and pids (subtree_control: %q)", dir, strings.TrimSpace(string(b)))
			continue
		}
		if err := probeCgroupDir(dir); err != nil {
			last = err
			continue
		}
		return dir, nil
	}
	return "", last
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
