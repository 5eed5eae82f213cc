"""zeval's fork server: imports ipykernel once, then forks a fresh kernel per request.

Run by the Go forkserver package as `python3 zeval_forkserver.py SANDBOX_PY PRELOAD_PY`, with fd 3
the request pipe (Go → server) and fd 4 the event pipe (server → Go), one JSON object per line.

Requests:  {"op": "spawn", "id": N, "argv": [...], "env": ["K=V", ...], "dir": "...", "log": "...",
            "plan": {...} or null}
Events:    {"ready": true, "pid": P, "preloaded": B}   once, after the imports (P: the worker;
                                                      B: the preload file ran without an error)
           {"id": N, "pid": P}                        the child is running (its sandbox applied)
           {"id": N, "error": "..."}                  the child could not be started
           {"exit": P, "code": C} or {"exit": P, "signal": S}   a child ended and was reaped
           {"worker_exit": P, ...code or signal}        the worker died; its kernels die with it

Two processes: the keeper, which Go starts, makes itself a child subreaper and forks the worker,
which does the imports and the forking. When a kernel's own children are orphaned, or when the
worker dies and its kernels die with it (PDEATHSIG), they are reparented to the keeper, which
reaps them and reports their exits: no zombie is left even where pid 1 does not reap orphans. The
keeper exits once the worker is gone and it has no child left, which closes the event pipe.

The server creates no threads and no ZeroMQ context before forking (both would be broken in the
child). It forks each child ahead of its request (one standby child, waiting for its request on a
pipe), so that a request does not wait for the fork, and forks the next standby as soon as it has
handed a request over: children set up (their sandbox) side by side while the server serves on,
and it answers each request when its child reports. Each child: new session (so its pid is its
process group), SIGKILL when the server dies, stdin from /dev/null, stdout and stderr to its log,
the sandbox plan applied, then ipykernel's IPKernelApp with the request's argv. The server itself exits when its request pipe closes,
killing its children's groups.
"""
import json
import os
import signal
import sys
import selectors

REQ_FD, EV_FD = 3, 4

# Lean kernels: without the debugger (debugpy), the completion engine (jedi) and the terminal
# IPython (prompt_toolkit, behind IPython.embed) the imports take half the time and a kernel
# holds 540 modules instead of 960. A None in sys.modules makes an import fail, which ipykernel
# and IPython's completer take as "not installed".
if os.environ.get("ZEVAL_FORKSERVER_LEAN") == "1":
    import types

    sys.modules["debugpy"] = None
    sys.modules["jedi"] = None
    _embed = types.ModuleType("IPython.terminal.embed")

    def _no_embed(*args, **kwargs):
        raise RuntimeError("IPython.embed is not available in a lean zeval kernel")

    _embed.embed = _no_embed
    sys.modules["IPython.terminal.embed"] = _embed

# The heavy imports, once. Importing these starts no thread.
import ipykernel.kernelapp  # noqa: E402
import ipykernel.ipkernel  # noqa: E402,F401
import ipykernel.zmqshell  # noqa: E402,F401
import ipykernel.iostream  # noqa: E402,F401
import ipykernel.heartbeat  # noqa: E402,F401
import ipykernel.parentpoller  # noqa: E402,F401
import jupyter_client.session  # noqa: E402,F401
import IPython.core.interactiveshell  # noqa: E402,F401
import IPython.core.completer  # noqa: E402,F401
import tornado.ioloop  # noqa: E402,F401
import zmq.eventloop.zmqstream  # noqa: E402,F401
import asyncio  # noqa: E402,F401
import ctypes  # noqa: E402
import gc  # noqa: E402
import random  # noqa: E402

try:
    import ipykernel.debugger  # noqa: F401  (pulls debugpy in, the slowest import)
except Exception:  # noqa: BLE001  debugpy is optional
    pass

_SERVER_PATH = list(sys.path)
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[1])))
import zeval_sandbox  # noqa: E402

sys.path[:] = [p for p in _SERVER_PATH if p != os.path.dirname(os.path.abspath(__file__))]

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


class _Kernel(ipykernel.ipkernel.IPythonKernel):
    """IPythonKernel that adopts the InteractiveShell the server built before forking."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # shell_class.instance() returned the prebuilt shell and ignored its arguments.
        self.shell.kernel = self
        self.shell.init_environment()  # env vars the shell sets were replaced by the request's


def _prebuild_shell():
    """Builds the InteractiveShell (about half of a kernel's start) once, in the server: every
    forked kernel gets a private copy of it. It starts no thread: history is kept in memory (a
    file would be shared by every kernel). Returns an error message, or None."""
    try:
        from ipykernel.compiler import XCachingCompiler
        from traitlets.config import Config

        # The application's profile and config files, as IPKernelApp.initialize would load them.
        app = ipykernel.kernelapp.IPKernelApp.instance()
        app.init_profile_dir()
        app.init_config_files()
        app.load_config_file()
        cfg = Config(app.config)
        cfg.HistoryManager.hist_file = ":memory:"
        shell = ipykernel.zmqshell.ZMQInteractiveShell.instance(
            config=cfg, profile_dir=app.profile_dir, compiler_class=XCachingCompiler)
        # The shell's extensions and startup code (profile startup files, exec_lines), which
        # the application would run after building its kernel: once, here.
        app.shell = shell
        app.init_extensions()
        app.init_code()
        # The application's Session (each kernel gives it its own id, pid and key), and code
        # every kernel runs once, run here first: what it builds or caches on first use (dateutil's
        # parser tables for message dates, asyncio's loop machinery) every kernel inherits.
        app.session  # noqa: B018  built by its default
        _warm_up()
        # A cell's first transformation compiles tokenize's patterns (~4 ms, cached for the
        # process): each kernel's first execute_request paid it.
        shell.transform_cell("pass\n")
        return None
    except Exception as e:  # noqa: BLE001  the kernels then build their own
        ipykernel.zmqshell.ZMQInteractiveShell.clear_instance()
        ipykernel.kernelapp.IPKernelApp.clear_instance()
        return "%s: %s" % (type(e).__name__, e)


def _warm_up():
    """Signs, serializes and parses a message and opens and closes an event loop, as every kernel
    does when it starts and answers its first request. Starts no thread."""
    from jupyter_client.session import Session
    session = Session(key=b"zeval-warm-up")
    msg = session.msg("kernel_info_request", content={})
    _, frames = session.feed_identities(session.serialize(msg))
    session.deserialize(frames)  # extract_dates: the header's date through dateutil
    loop = asyncio.new_event_loop()
    loop.close()


def _preload():
    """Runs the preload file (code every kernel inherits), once, in a namespace of its own.
    Returns whether there was code and it ran without an error."""
    path = sys.argv[2] if len(sys.argv) > 2 else ""
    if not path:
        return False
    try:
        with open(path) as f:
            src = f.read()
        if not src.strip():
            return False
        exec(compile(src, "<zeval preload>", "exec"), {"__name__": "__zeval_preload__"})
        return True
    except BaseException:  # noqa: BLE001  kernels then define what they need themselves
        import traceback
        sys.stderr.write("zeval fork server: preload failed:\n" + traceback.format_exc())
        return False


def _emit(obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        n = os.write(EV_FD, data)
        data = data[n:]


def _child(req_r, status_w, go_r, server_pid, other_fds):
    """Runs in the forked child; never returns. The child is forked ahead of its request (a
    standby): it does what does not depend on the request, then waits for the request on req_r.
    other_fds are the server's (its pipes, and those of other children it is starting), which
    the child closes: a child holding another's go pipe would keep it from seeing its end."""
    # No collection while the kernel starts: it would walk the server's whole heap, copying
    # every page it touches, for no garbage.
    gc.disable()
    code = 1
    log_fd = 2
    try:
        os.setsid()
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != server_pid:
            os._exit(1)  # the server died between fork and prctl
        signal.set_wakeup_fd(-1)
        for s in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(s, signal.SIG_DFL)
        for fd in other_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        data = b""
        while True:
            try:
                b = os.read(req_r, 65536)
            except InterruptedError:
                continue
            if not b:
                break
            data += b
        os.close(req_r)
        if not data:
            os._exit(0)  # the server is closing
        req = json.loads(data)
        log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        log_fd = log  # kept (close-on-exec) for errors after ipykernel captured fds 1 and 2
        if req.get("dir"):
            os.chdir(req["dir"])
        env = {}
        for kv in req.get("env") or []:
            k, _, v = kv.partition("=")
            env[k] = v
        os.environ.clear()
        os.environ.update(env)
        random.seed()  # the server's state would be shared by every child otherwise
        plan = dict(req.get("plan") or {})
        plan.pop("cgroup_procs", None)  # the server moves us, while we initialize
        if plan:
            zeval_sandbox.apply(plan)
        os.write(status_w, b"ok")
        os.close(status_w)
        status_w = -1
        argv = req["argv"]
        # argv is [python, -m, ipykernel_launcher, args...]; the app parses sys.argv[1:].
        sys.argv = [argv[0]] + list(argv[3:])
        app = ipykernel.kernelapp.IPKernelApp.instance()
        # No parent poller (a thread that exits when the kernel's parent is pid 1): our parent
        # is the server, whose death kills us (PDEATHSIG), and an orphan of ours is reparented
        # to the keeper, not to pid 1.
        app.parent_handle = 0
        prebuilt = ipykernel.zmqshell.ZMQInteractiveShell.initialized()
        if prebuilt and not (len(argv) == 5 and argv[3] == "-f"):
            # Options on the command line could configure the application and the shell: build
            # both anew.
            ipykernel.zmqshell.ZMQInteractiveShell.clear_instance()
            ipykernel.kernelapp.IPKernelApp.clear_instance()
            app = ipykernel.kernelapp.IPKernelApp.instance()
            app.parent_handle = 0
            prebuilt = False
        if prebuilt:
            app.kernel_class = _Kernel
            # The server loaded the profile and config files and ran the startup code already;
            # with no options on the command line, there is no configuration to merge again.
            app.init_profile_dir = app.init_config_files = app.load_config_file = lambda: None
            app.init_extensions = app.init_code = lambda: None
            app.update_config = lambda config: None
            # The server built the Session: it becomes this kernel's (the connection file
            # gives it its key).
            app.session.session = jupyter_client.session.new_id()
            app.session.pid = os.getpid()
        if len(argv) == 5 and argv[3] == "-f":
            # The usual `-f FILE` alone: skip building traitlets' argument parser for every
            # configurable class (~7 ms of the child's ~45 ms start).
            conn = argv[4]

            def parse_command_line(argv=None):
                app.connection_file = conn

            app.parse_command_line = parse_command_line
            # A connection file that gives every port (the client's do) needs no writing back.
            try:
                with open(conn) as f:
                    info = json.load(f)
                complete = all(info.get(p) for p in
                               ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"))
            except (OSError, ValueError, AttributeError):
                complete = False
            if complete:
                app.write_connection_file = lambda: None
        app.initialize()
        # Serve no request before the server has put us in our cgroups (and said so).
        while True:
            try:
                ok = os.read(go_r, 2)
                break
            except InterruptedError:
                continue
        os.close(go_r)
        if ok != b"go":
            os._exit(1)
        gc.enable()
        app.start()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:  # noqa: BLE001  report anything, in the log or to the server
        msg = "%s: %s" % (type(e).__name__, e)
        if status_w >= 0:
            try:
                os.write(status_w, ("error " + msg).encode())
            except OSError:
                pass
        else:
            # ipykernel has replaced sys.stderr and fd 2 by now: write to the log itself.
            import traceback
            try:
                os.write(log_fd, traceback.format_exc().encode(errors="replace"))
            except OSError:
                pass
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass
        os._exit(code)


PR_SET_CHILD_SUBREAPER = 36


def _kill(pid):
    """Kills a child's process group, or the child itself if it has no group of its own yet."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _status(status):
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"code": os.WEXITSTATUS(status)}


def keeper():
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = os.fork()
    if worker == 0:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        return serve()
    os.close(REQ_FD)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        ev = _status(status)
        if pid == worker:
            ev["worker_exit"] = pid
        else:
            ev["exit"] = pid
        _emit(ev)


def serve():
    server_pid = os.getpid()
    os.set_blocking(REQ_FD, False)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    children = set()
    sel = selectors.DefaultSelector()
    sel.register(REQ_FD, selectors.EVENT_READ, "req")
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    err = _prebuild_shell()
    if err:
        sys.stderr.write("zeval fork server: kernels build their own shell: %s\n" % err)
    preloaded = _preload()
    # Everything imported so far is permanent: kernels' collections skip it instead of walking
    # (and so copying) the pages they share with the server. (A collection first would take
    # 15-20 ms for little garbage.)
    gc.freeze()
    _emit({"ready": True, "pid": server_pid, "preloaded": preloaded})
    buf = b""
    closed = False

    def reap():
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            if standby and standby[0][0] == pid:
                drop_standby()
            for fd, st in list(setting_up.items()):
                if st[1] == pid:  # its answer goes first: the client learns the pid from it
                    os.set_blocking(fd, True)
                    while fd in setting_up:
                        set_up(fd, reaped=True)
            if os.WIFSIGNALED(status):
                _emit({"exit": pid, "signal": os.WTERMSIG(status)})
            else:
                _emit({"exit": pid, "code": os.WEXITSTATUS(status)})

    standby = []  # at most one child, forked ahead: (pid, req_w, status_r, go_w)
    # Children handed a request, setting up (their sandbox) while the server serves on:
    # status_r -> [req, pid, go_w, bytes read so far].
    setting_up = {}

    def fork_standby():
        """Forks the child for the next request, so that a request does not wait for the fork
        (a few milliseconds: the server's page tables are copied)."""
        fds = []
        try:
            for _ in range(3):
                fds.extend(os.pipe())
            req_r, req_w, status_r, status_w, go_r, go_w = fds
            pid = os.fork()
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        if pid == 0:
            others = [req_w, status_r, go_w, REQ_FD, EV_FD, wake_r, wake_w]
            for fd, st in setting_up.items():
                others += [fd, st[2]]
            _child(req_r, status_w, go_r, server_pid, others)
        for fd in (req_r, status_w, go_r):
            os.close(fd)
        children.add(pid)
        standby.append((pid, req_w, status_r, go_w))

    def drop_standby():
        pid, req_w, status_r, go_w = standby.pop()
        for fd in (req_w, status_r, go_w):
            os.close(fd)
        _kill(pid)

    def hand(req):
        """Gives req to the standby child (forking one if there is none, or if it died).
        Returns (pid, status_r, go_w), or raises OSError."""
        for _ in range(2):
            if not standby:
                fork_standby()
            pid, req_w, status_r, go_w = standby[0]
            try:
                data = json.dumps(req).encode()
                while data:
                    data = data[os.write(req_w, data):]
            except OSError:  # EPIPE: the standby died
                drop_standby()
                continue
            standby.pop()
            os.close(req_w)
            return pid, status_r, go_w
        raise OSError("standby children die at once")

    def spawn(req):
        """Hands req to the standby child and forks the next one; the child's report that it is
        set up is read by the loop (set_up), so that children set up side by side."""
        try:
            pid, status_r, go_w = hand(req)
        except OSError as e:
            _emit({"id": req.get("id"), "error": "fork: %s" % e})
            return
        os.set_blocking(status_r, False)
        setting_up[status_r] = [req, pid, go_w, b""]
        sel.register(status_r, selectors.EVENT_READ, "status")
        try:
            fork_standby()
        except OSError:
            pass  # the next request forks its own

    def set_up(status_r, reaped=False):
        """Reads a child's report; at its end, answers the request and lets the child go.
        reaped: the child has exited and been reaped (its pid may be reused: not signalled,
        not moved to cgroups)."""
        st = setting_up[status_r]
        try:
            b = os.read(status_r, 4096)
        except (BlockingIOError, InterruptedError):
            return
        if b:
            st[3] += b
            return
        sel.unregister(status_r)
        del setting_up[status_r]
        os.close(status_r)
        req, pid, go_w, msg = st
        if msg != b"ok":
            os.close(go_w)
            err = msg.decode(errors="replace")[len("error "):] if msg.startswith(b"error ") else \
                "the child exited before it was set up"
            if not reaped:
                _kill(pid)
            _emit({"id": req.get("id"), "error": err, "pid": pid})
            return
        _emit({"id": req.get("id"), "pid": pid})
        if reaped:
            os.close(go_w)
            return
        # Joining a cgroup v1 takes 1-20 ms (an RCU grace period): do it here, while the child
        # initializes ipykernel, rather than in the child before it starts.
        try:
            for path in (req.get("plan") or {}).get("cgroup_procs") or []:
                with open(path, "w") as f:
                    f.write(str(pid))
            os.write(go_w, b"go")
        except OSError as e:
            try:
                with open(req["log"], "a") as f:
                    f.write("zeval fork server: joining cgroup: %s\n" % e)
            except OSError:
                pass
            _kill(pid)
        finally:
            os.close(go_w)

    try:
        fork_standby()
    except OSError:
        pass  # the first request forks its own
    while not closed:
        try:
            events = sel.select()
        except InterruptedError:
            continue
        for key, _ in events:
            if key.data == "status":
                set_up(key.fd)
                continue
            if key.data == "wake":
                try:
                    while os.read(wake_r, 512):
                        pass
                except (BlockingIOError, InterruptedError):
                    pass
                reap()
                continue
            try:
                chunk = os.read(REQ_FD, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            if not chunk:
                closed = True
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    req = json.loads(line)
                except ValueError as e:
                    _emit({"id": None, "error": "bad request: %s" % e})
                    continue
                if req.get("op") == "spawn":
                    spawn(req)
                else:
                    _emit({"id": req.get("id"), "error": "unknown op %r" % req.get("op")})
        reap()
    while standby:
        drop_standby()
    for fd, st in list(setting_up.items()):
        os.close(fd)
        os.close(st[2])
    setting_up.clear()
    for pid in list(children):
        _kill(pid)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    while children:  # reap them all, so that none is left as a zombie
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        children.discard(pid)
        _emit({"exit": pid, "signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else
              {"exit": pid, "code": os.WEXITSTATUS(status)})
    return 0


if __name__ == "__main__":
    code = keeper()
    # No interpreter finalization (a large heap, and the prebuilt shell's atexit hooks): it took
    # half a second, and there is nothing to flush but the standard streams.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)
