"""Confines the calling process (a kernel about to start) according to a plan from zeval's Go
sandbox package.

Used two ways: imported by the fork server, whose forked child calls apply(plan) before it becomes
an ipykernel; and run as a script, `python3 -I -S zeval_sandbox.py PLAN_JSON ARGV...`, which applies
the plan and then execs ARGV (for kernels started the plain way). Either way the process must be
single-threaded (unshare of a user namespace requires it) and must not have started the kernel yet.

Only the standard library (os, ctypes, struct, json, resource): it runs with -I -S.
"""
import ctypes
import json
import os
import platform
import resource
import struct
import sys

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

# Syscall numbers per architecture: landlock trio, then the ones the seccomp filter refuses.
_ARCH = {
    "x86_64": {
        "audit": 0xC000003E,
        "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
        "socket": 41,
        "deny": {"ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "swapon": 167,
                 "swapoff": 168, "reboot": 169, "kexec_load": 246, "init_module": 175,
                 "finit_module": 313, "delete_module": 176, "bpf": 321, "perf_event_open": 298,
                 "keyctl": 250, "add_key": 248, "request_key": 249, "userfaultfd": 323,
                 "setns": 308, "unshare": 272, "process_vm_readv": 310, "process_vm_writev": 311},
        "x32_bit": 0x40000000,
    },
    "aarch64": {
        "audit": 0xC00000B7,
        "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
        "socket": 198,
        "deny": {"ptrace": 117, "mount": 40, "umount2": 39, "pivot_root": 41, "swapon": 224,
                 "swapoff": 225, "reboot": 142, "kexec_load": 104, "init_module": 105,
                 "finit_module": 273, "delete_module": 106, "bpf": 280, "perf_event_open": 241,
                 "keyctl": 219, "add_key": 217, "request_key": 218, "userfaultfd": 282,
                 "setns": 268, "unshare": 97, "process_vm_readv": 270, "process_vm_writev": 271},
        "x32_bit": 0,
    },
}


class SandboxError(Exception):
    """A protection the plan asked for could not be applied."""


def _arch():
    return _ARCH.get(platform.machine())


def _check(ret, what):
    if ret < 0:
        e = ctypes.get_errno()
        raise SandboxError("%s: %s" % (what, os.strerror(e)))
    return ret


def _write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


# --- landlock -------------------------------------------------------------------------------
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1


def landlock_abi():
    a = _arch()
    if a is None:
        return 0
    r = _libc.syscall(a["landlock_create_ruleset"], None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return r if r > 0 else 0


def _fs_rights(abi):
    r = (1 << 13) - 1
    if abi >= 2:
        r |= FS_REFER
    if abi >= 3:
        r |= FS_TRUNCATE
    if abi >= 5:
        r |= FS_IOCTL_DEV
    return r


def _landlock(ll):
    a = _arch()
    abi = landlock_abi()
    if abi < 1:
        raise SandboxError("landlock: not supported by this kernel")
    handled = _fs_rights(abi)
    read = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    file_rights = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | (FS_TRUNCATE if abi >= 3 else 0) | (
        FS_IOCTL_DEV if abi >= 5 else 0)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 and ll.get("no_tcp") else 0
    scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX if abi >= 6 and ll.get("scope") else 0
    if abi >= 6:
        attr = struct.pack("=QQQ", handled, net, scoped)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled, net)
    else:
        attr = struct.pack("=Q", handled)
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = _check(_libc.syscall(a["landlock_create_ruleset"], buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)),
                "landlock_create_ruleset")
    try:
        def add(path, rights):
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                return  # an allowed path that does not exist grants nothing
            try:
                if not os.path.isdir(path):
                    rights &= file_rights
                rule = ctypes.create_string_buffer(struct.pack("=Qi", rights & handled, pfd), 12)
                _check(_libc.syscall(a["landlock_add_rule"], ctypes.c_int(fd), ctypes.c_int(1), rule,
                                     ctypes.c_uint32(0)), "landlock_add_rule %s" % path)
            finally:
                os.close(pfd)

        for p in ll.get("read") or []:
            add(p, read)
        for p in ll.get("write") or []:
            add(p, handled)
        for p in ll.get("write_files") or []:
            add(p, file_rights)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        _check(_libc.syscall(a["landlock_restrict_self"], ctypes.c_int(fd), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(fd)
    return abi


# --- seccomp --------------------------------------------------------------------------------
_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL = 0x80000000
_EPERM = 1
_AF_UNIX = 1
_AF_NETLINK = 16  # libzmq lists interfaces (getifaddrs); in a network namespace it sees only lo


def _seccomp(unix_only):
    a = _arch()
    if a is None:
        raise SandboxError("seccomp: no syscall table for %s" % platform.machine())
    prog = []

    def ins(code, jt, jf, k):
        prog.append(struct.pack("=HBBI", code, jt, jf, k))

    deny = sorted(a["deny"].values())
    # [0] load arch; foreign arch → kill.
    ins(_BPF_LD_W_ABS, 0, 0, 4)
    ins(_BPF_JEQ_K, 1, 0, a["audit"])
    ins(_BPF_RET_K, 0, 0, _RET_KILL)
    ins(_BPF_LD_W_ABS, 0, 0, 0)  # syscall number
    if a["x32_bit"]:
        ins(_BPF_JGE_K, 0, 1, a["x32_bit"])
        ins(_BPF_RET_K, 0, 0, _RET_ERRNO | _EPERM)
    if unix_only:
        # socket(): only AF_UNIX and AF_NETLINK.
        ins(_BPF_JEQ_K, 0, 5, a["socket"])
        ins(_BPF_LD_W_ABS, 0, 0, 16)  # args[0], low 32 bits (little endian)
        ins(_BPF_JEQ_K, 1, 0, _AF_UNIX)
        ins(_BPF_JEQ_K, 0, 1, _AF_NETLINK)
        ins(_BPF_RET_K, 0, 0, _RET_ALLOW)
        ins(_BPF_RET_K, 0, 0, _RET_ERRNO | _EPERM)
    n = len(deny)
    for i, nr in enumerate(deny):
        # match → jump to the ERRNO return after the remaining compares and the ALLOW.
        ins(_BPF_JEQ_K, n - i, 0, nr)
    ins(_BPF_RET_K, 0, 0, _RET_ALLOW)
    ins(_BPF_RET_K, 0, 0, _RET_ERRNO | _EPERM)
    code = b"".join(prog)
    filt = ctypes.create_string_buffer(code, len(code))
    fprog = ctypes.create_string_buffer(struct.pack("@HP", len(prog), ctypes.addressof(filt)))
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0), "prctl(SECCOMP)")


# --- plan -----------------------------------------------------------------------------------
def apply(plan):
    """Applies plan (a dict as written by the Go sandbox package) to this process."""
    for path in plan.get("cgroup_procs") or []:
        try:
            _write(path, "0")
        except OSError as e:
            raise SandboxError("joining cgroup %s: %s" % (path, e))
    for r in plan.get("rlimits") or []:
        soft = resource.RLIM_INFINITY if r["soft"] < 0 else r["soft"]
        hard = resource.RLIM_INFINITY if r["hard"] < 0 else r["hard"]
        try:
            resource.setrlimit(r["resource"], (soft, hard))
        except (OSError, ValueError) as e:
            raise SandboxError("setrlimit(%d): %s" % (r["resource"], e))
    flags = 0
    if plan.get("unshare_user"):
        flags |= CLONE_NEWUSER
    if plan.get("unshare_net"):
        flags |= CLONE_NEWNET
    if plan.get("unshare_ipc"):
        flags |= CLONE_NEWIPC
    if plan.get("unshare_uts"):
        flags |= CLONE_NEWUTS
    if flags:
        uid, gid = os.getuid(), os.getgid()
        _check(_libc.unshare(ctypes.c_int(flags)), "unshare")
        if flags & CLONE_NEWUSER:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", "%d %d 1" % (uid, uid))
            _write("/proc/self/gid_map", "%d %d 1" % (gid, gid))
    if plan.get("landlock"):
        _landlock(plan["landlock"])
    if plan.get("seccomp"):
        _seccomp(bool(plan.get("seccomp_unix_sockets")))
    elif plan.get("no_new_privs"):
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


PR_SET_CHILD_SUBREAPER = 36
_FORWARD = ("SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH")


def _kill_children():
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            try:
                os.kill(int(entry), 9)
            except OSError:
                pass


def _keep(child):
    """Waits for child (the kernel) as its keeper: forwards signals to it (SIGTERM kills it),
    reaps orphans that are reparented here (this process is a child subreaper), and when the
    kernel has exited kills and reaps whatever it left, then ends the way the kernel ended."""
    import signal

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass

    def kill(_signum, _frame):
        try:
            os.kill(child, signal.SIGKILL)
        except OSError:
            pass

    for name in _FORWARD:
        signal.signal(getattr(signal, name), forward)
    # SIGTERM means: kill the kernel (and then its tree), reap everything, exit.
    signal.signal(signal.SIGTERM, kill)
    status = None
    while status is None:
        try:
            pid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == child:
            status = st
    # The kernel is gone: kill what is left of its tree (reparented to us) until nothing is.
    import time
    while True:
        _kill_children()
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.005)
    if status is None:
        return 1
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    return os.WEXITSTATUS(status)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: zeval_sandbox.py PLAN_JSON ARGV...\n")
        return 2
    try:
        plan = json.loads(argv[1])
        apply(plan)
    except (SandboxError, ValueError, KeyError, TypeError) as e:
        sys.stderr.write("zeval sandbox: %s\n" % e)
        return 126
    if plan.get("keeper"):
        # Stay as the kernel's parent: a kernel's orphans are reaped here, not left to a pid 1
        # that may not reap them.
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        child = os.fork()
        if child != 0:
            return _keep(child)
    try:
        os.execvp(argv[2], argv[2:])
    except OSError as e:
        sys.stderr.write("zeval sandbox: exec %s: %s\n" % (argv[2], e))
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv))
