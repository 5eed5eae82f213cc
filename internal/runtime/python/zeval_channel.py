"""zeval's fast call channel, the kernel side.

Loaded into a Jupyter kernel by an execute_request together with zeval_executor. serve() connects
to the evaluator's Unix socket and answers calls of the one function loaded in this kernel, as
length-prefixed JSON frames, without execute_request or IOPub traffic. It runs inside the
execute_request that started it and returns when the evaluator closes the socket.

Frames: a 4-byte big-endian length, then UTF-8 JSON. A frame {"shm": path, "size": n} means the
real frame is in the shared-memory file path (large payloads); the reader unlinks it.

From zeval: {"op": "call", "id": n, "args": {key: normal ZObject}}, {"op": "zresult", "id": s,
"z22": ...} (the answer to a nested call), {"op": "load", "id": n, "args": {"code": s, "name": s}}
(to a parked kernel: the function to load; answered by a result with z22 null). To zeval:
{"op": "hello", "token": t, "pid": p}, {"op": "result", "id": n, "z22": ..., "interrupted": bool,
"stdout": s}, {"op": "zcall", "id": s, "z7": ...}. While a nested call waits for its answer, calls that arrive are served on top of
it, so A -> B -> A works.

In fallback mode (no socket), fallback_call() serves one call per execute_request: the result
goes out as display data of type text/x-zeval (JSON text), and nested calls go through
input() on the stdin channel.
"""

import io
import json
import os
import signal
import socket
import struct
import sys
import time

SHM_THRESHOLD = 64 * 1024
STDOUT_LIMIT = 8 * 1024
# While it waits for the next frame, the kernel polls the socket for up to SPIN seconds before
# it sleeps in recv: waking a sleeping process on another CPU costs ~20 us under a hypervisor,
# more than a quick call. It spins only when zeval's last call frame allowed it ("spin": zeval
# has few calls in flight; with many, the CPUs are needed for work). A kernel called seldom
# spends SPIN of CPU per call that way; a rule "sleep at once after a long wait" never spun
# again once tripped, since a wait that sleeps is longer than SPIN by its wake-up.
SPIN = 50e-6


class _Bounded(io.TextIOBase):
    """Keeps the first STDOUT_LIMIT characters written; drops the rest."""

    def __init__(self):
        self.parts = []
        self.size = 0
        self.dropped = 0

    def writable(self):
        return True

    def write(self, s):
        n = len(s)
        room = STDOUT_LIMIT - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(n, room)
        if n > room:
            self.dropped += n - max(room, 0)
        return n

    def value(self):
        out = "".join(self.parts)
        if self.dropped:
            out += "\n[zeval: %d more characters dropped]" % self.dropped
        # Lone surrogates cannot be encoded as UTF-8: replace them.
        return out.encode("utf-8", "replace").decode("utf-8")


class Channel:
    def __init__(self, executor, handle, code, function_name, shm_dir):
        self.executor = executor
        self.handle = handle
        self.code = code
        self.function_name = function_name
        self.shm_dir = shm_dir
        self.stash = {}
        self.seq = 0
        self.sock = None
        self.buf = bytearray()
        self.spin = False  # the last call frame allowed polling
        self.interruptible = 0  # > 0 while user code runs: SIGINT raises only then
        self.calls = []  # ids of the calls running, innermost last: a nested call names its parent

    # -- framing ---------------------------------------------------------
    def connect(self, path, token):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        self.sock = s
        self.send({"op": "hello", "token": token, "pid": os.getpid()})

    def send(self, msg):
        # The executor's dumps/loads handle ZObjects nested deeper than the json module allows
        # (a typed list nests one level per item in normal form).
        data = self.executor.dumps(msg).encode("utf-8")
        if len(data) > SHM_THRESHOLD and self.shm_dir:
            self.seq += 1
            path = os.path.join(self.shm_dir, "zeval-%d-%d" % (os.getpid(), self.seq))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            data = json.dumps({"shm": path, "size": len(data)}).encode("utf-8")
        self.sock.sendall(struct.pack(">I", len(data)) + data)

    def _read(self):
        """Appends what the socket has to self.buf (polling first when the last call allowed it).
        Returns False at the end of the stream."""
        began = time.perf_counter()
        data = None
        if self.spin:
            end = began + SPIN
            while True:
                try:
                    data = self.sock.recv(1 << 16, socket.MSG_DONTWAIT)
                    break
                except (BlockingIOError, InterruptedError):
                    if time.perf_counter() > end:
                        break
        if data is None:
            data = self.sock.recv(1 << 16)
        if not data:
            return False
        self.buf += data
        return True

    def _take(self, n):
        """Returns the next n bytes of the stream, or None at its end."""
        while len(self.buf) < n:
            if not self._read():
                return None
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def recv(self):
        head = self._take(4)
        if head is None:
            return None
        (n,) = struct.unpack(">I", head)
        data = self._take(n)
        if data is None:
            return None
        msg = self.executor.loads(data.decode("utf-8"))
        if "shm" in msg:
            path = msg["shm"]
            with open(path, "rb") as f:
                body = f.read()
            os.unlink(path)
            msg = self.executor.loads(body.decode("utf-8"))
        return msg

    # -- calls -----------------------------------------------------------
    def run_call(self, args, hook):
        """Runs the function on args; returns (z22, interrupted, stdout)."""
        out = _Bounded()
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = out
        self.interruptible += 1
        try:
            if self.handle is not None:
                z22 = self.executor.call(self.handle, args, hook)
            else:
                z22 = self.executor.execute(
                    {"codeString": self.code, "functionName": self.function_name, "functionArguments": args},
                    hook,
                )
            return z22, False, out.value()
        except KeyboardInterrupt:
            return None, True, out.value()
        finally:
            self.interruptible -= 1
            sys.stdout, sys.stderr = old_out, old_err

    def hook(self, z7):
        """Sends a nested call to zeval and serves frames until its answer arrives."""
        saved = self.interruptible
        self.interruptible = 0
        try:
            self.seq += 1
            key = "n%d" % self.seq
            self.send({"op": "zcall", "id": key, "parent": self.calls[-1] if self.calls else None, "z7": z7})
            while key not in self.stash:
                msg = self.recv()
                if msg is None:
                    raise RuntimeError("zeval closed the call channel during a nested call")
                self.dispatch(msg)
            return self.stash.pop(key)
        finally:
            self.interruptible = saved

    def dispatch(self, msg):
        op = msg.get("op")
        if op == "call":
            self.spin = bool(msg.get("spin"))
            self.calls.append(msg["id"])
            try:
                z22, interrupted, stdout = self.run_call(msg.get("args") or {}, self.hook)
            finally:
                self.calls.pop()
            reply = {"op": "result", "id": msg["id"], "z22": z22, "interrupted": interrupted}
            if stdout:
                reply["stdout"] = stdout
            self.send(reply)
        elif op == "load":
            self.load(msg)
        elif op == "zresult":
            self.stash[msg["id"]] = msg["z22"]
        elif op == "ping":
            self.send({"op": "pong", "id": msg.get("id")})

    def load(self, msg):
        """Loads the function a parked kernel is leased for, and answers once it is ready. Its
        top level's output is dropped, as a call's beyond the limit is: nobody reads it."""
        args = msg.get("args") or {}
        self.code, self.function_name = args.get("code"), args.get("name")
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = _Bounded()
        try:
            self.handle = self.executor.load(self.code, self.function_name)
        except Exception:  # reported on every call, as setup does
            self.handle = None
        finally:
            sys.stdout, sys.stderr = old_out, old_err
        self.send({"op": "result", "id": msg["id"], "z22": None, "interrupted": False})

    def serve(self):
        def on_sigint(signum, frame):
            if self.interruptible > 0:
                raise KeyboardInterrupt
            # A late interrupt between calls is dropped: it must not break the framing.

        old = signal.signal(signal.SIGINT, on_sigint)
        try:
            while True:
                try:
                    msg = self.recv()
                    if msg is None:
                        return
                    self.dispatch(msg)
                except KeyboardInterrupt:
                    continue
        finally:
            signal.signal(signal.SIGINT, old)
            try:
                self.sock.close()
            except OSError:
                pass


_channel = None


def setup(executor, code, function_name, shm_dir=""):
    """Loads the function; returns the channel (the load error, if any, is answered per call)."""
    global _channel
    try:
        handle = executor.load(code, function_name)
    except Exception:  # the executor reports the error on every call, as upstream does
        handle = None
    _channel = Channel(executor, handle, code, function_name, shm_dir)
    return _channel


def serve(path, token):
    """Connects and serves until zeval closes the socket. Returns False if it cannot connect."""
    try:
        _channel.connect(path, token)
    except OSError as e:
        print("zeval: call channel unavailable, using execute_request: %s" % e, file=sys.__stderr__)
        return False
    _channel.serve()
    return True


def park(executor, path, token, shm_dir=""):
    """Connects before any function is loaded (a pooled kernel waiting for its lease) and
    serves until zeval closes the socket; the function comes in a load frame, so that a lease
    needs no execute_request. Returns False if it cannot connect."""
    global _channel
    _channel = Channel(executor, None, None, None, shm_dir)
    return serve(path, token)


def fallback_call(args_json):
    """Serves one call through the Jupyter protocol: nested calls over stdin, result as display data."""
    from IPython.display import display

    ex = _channel.executor

    def hook(z7):
        reply = ex.loads(input("zeval-zcall:" + ex.dumps(z7)))
        while "call" in reply:  # a call into this kernel made while we wait: serve it on top
            z22, interrupted, stdout = _channel.run_call(reply["call"], hook)
            result = {"z22": z22, "interrupted": interrupted, "stdout": stdout}
            reply = ex.loads(input("zeval-result:" + ex.dumps(result)))
        return reply["z22"]

    z22, interrupted, stdout = _channel.run_call(ex.loads(args_json), hook)
    # As text: the display machinery's own JSON encoding cannot take deeply nested ZObjects.
    display({"text/x-zeval": ex.dumps({"z22": z22, "interrupted": interrupted, "stdout": stdout})}, raw=True)
