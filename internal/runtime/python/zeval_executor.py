"""zeval's Python executor: the work of the Wikifunctions python3 executor, without I/O.

zeval loads this file into a Jupyter kernel (or runs it as a script in tests) and calls it from
its call channel. It converts normal-form ZObjects to Python values, runs a function
implementation, and converts the result back, answering with a normal-form Z22 exactly as the
upstream executor (mediawiki-services-function-evaluator, executors/python3, April 2023) does.

API
    execute(request, call_hook=None, include_traceback=False) -> Z22
        The upstream contract: request is {"codeString", "functionName", "functionArguments"}.
        Every execute runs the code in a fresh namespace, as upstream does.
    load(code_string, function_name) -> Loaded
        Compiles and runs the code once. Never raises for bad user code: a broken handle
        answers every call with the error.
    call(handle, arguments, call_hook=None, include_traceback=False) -> Z22
        The hot path: deserialize the arguments, call the function, serialize the result.
    main()
        One JSON request line on stdin, one Z22 line on stdout. Nested calls go out as
        "call <Z7 JSON>" lines on stdout and come back as one Z22 JSON line on stdin.
    dumps(z) / loads(text)
        Compact JSON text for ZObjects, also those nested deeper than the json module's C
        code goes (a typed list nests one level per item: a list of 1000 items is too deep
        for json.dumps), up to MAX_JSON_DEPTH = 10000 levels, Go's encoding/json limit.
        Results never hold lone surrogates, so dumps(z).encode("utf-8") cannot fail.

User code sees W (and `import wikifunctions`) for nested calls, ZPair and ZObject.
call_hook(z7) -> Z22 evaluates a nested call; it may re-enter call() (A calls B calls A).
W.Call uses the hook of the innermost call() in progress, so calls must nest on one thread (as
in the channel's serve loop): two threads must not run call() at the same time.
KeyboardInterrupt is never caught here: the channel uses it to interrupt user code.
"""

import builtins
import json
import linecache
import re
import sys
import traceback as _traceback
import types

__all__ = [
    "Loaded",
    "WikifunctionsError",
    "Wikifunctions",
    "W",
    "ZObject",
    "ZPair",
    "call",
    "deserialize",
    "dumps",
    "execute",
    "load",
    "loads",
    "main",
    "serialize",
]


# ---------------------------------------------------------------------------------------------
# ZObject shapes


def _z9(zid):
    return {"Z1K1": "Z9", "Z9K1": zid}


def _void():
    return {"Z1K1": "Z9", "Z9K1": "Z24"}


def _error(message):
    """An executor error: a Z5 holding only a message, as upstream builds it."""
    return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z5"}, "Z5K2": {"Z1K1": "Z6", "Z6K1": _text(message)}}


def _text(s):
    """s, with lone surrogates (which UTF-8 cannot carry) replaced by U+FFFD, as a JSON decoder
    reading upstream's ASCII-escaped output would; surrogate pairs become their character."""
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return s


def _type_ref(z1k1):
    """A Z1K1 value as it may appear inside a type: a bare ZID becomes a Z9 reference."""
    if type(z1k1) is str:
        return {"Z1K1": "Z9", "Z9K1": z1k1}
    return z1k1


def _metadata_map(entries):
    """A normal-form Z883(Z6, Z1) of (name, value) entries, as upstream builds Z22K2."""
    key_type = _z9("Z6")
    value_type = _z9("Z1")
    pair_type = {"Z1K1": _z9("Z7"), "Z7K1": _z9("Z882"), "Z882K1": key_type, "Z882K2": value_type}
    list_type = {"Z1K1": _z9("Z7"), "Z7K1": _z9("Z881"), "Z881K1": pair_type}
    head = {"Z1K1": list_type}
    tail = head
    for name, value in entries:
        tail["K1"] = {"Z1K1": pair_type, "K1": {"Z1K1": "Z6", "Z6K1": name}, "K2": value}
        tail["K2"] = {"Z1K1": list_type}
        tail = tail["K2"]
    return {
        "Z1K1": {"Z1K1": _z9("Z7"), "Z7K1": _z9("Z883"), "Z883K1": key_type, "Z883K2": value_type},
        "K1": head,
    }


def _success(value):
    return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": value, "Z22K2": _void()}


def _failure(z5, traceback_text=None):
    entries = [("errors", z5)]
    if traceback_text:
        entries.append(("traceback", {"Z1K1": "Z6", "Z6K1": _text(traceback_text)}))
    return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": _void(), "Z22K2": _metadata_map(entries)}


def _type_zid(z1k1):
    """The ZID naming a type: a bare ZID, a Z9, a Z7 (generic: its function), a Z4 (its
    identity) or a Z8 (its identity). Canonical ZIDs are accepted where normal form has a Z9."""
    t = z1k1
    for _ in range(64):
        if type(t) is str:
            return t
        if type(t) is not dict:
            break
        kind = t.get("Z1K1")
        if type(kind) is dict and kind.get("Z1K1") == "Z9":
            kind = kind.get("Z9K1")
        if kind == "Z9":
            t = t.get("Z9K1")
            if type(t) is str:
                return t
            break
        if kind == "Z7":
            t = t.get("Z7K1")
        elif kind == "Z4":
            t = t.get("Z4K1")
        elif kind == "Z8":
            t = t.get("Z8K5")
        else:
            break
    raise ExecutorError("Could not determine type for {}".format(z1k1))


def _ref_zid(z):
    """The ZID of a reference, normal ({"Z1K1": "Z9", "Z9K1": ...}) or canonical ("Z41")."""
    if type(z) is str:
        return z
    if type(z) is dict and z.get("Z1K1") == "Z9":
        return z.get("Z9K1")
    return None


def _string(z, where):
    if type(z) is str:
        return z
    if type(z) is dict and z.get("Z1K1") == "Z6" and type(z.get("Z6K1")) is str:
        return z["Z6K1"]
    raise ExecutorError("Could not deserialize {}: expected a Z6, got {}".format(where, z))


class ExecutorError(Exception):
    """A value that cannot be converted; its message is the Z5's text."""


# ---------------------------------------------------------------------------------------------
# Python types for ZObjects without a native Python counterpart


class ZObject:
    """An instance of any type without a Python counterpart: keys become attributes.

    ZObject(Z1K1, **keys). Serializing it needs Z1K1 (the type, in normal form)."""

    def __init__(self, original_Z1K1=None, **kwargs):
        self._Z1K1 = original_Z1K1
        self._keys = sorted(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    @property
    def Z1K1(self):
        return self._Z1K1

    def keys(self):
        if self._Z1K1 is not None:
            yield "Z1K1"
        yield from self._keys

    def items(self):
        for key in self.keys():
            yield key, getattr(self, key)

    def __getitem__(self, key):
        return getattr(self, key, None)

    def __eq__(self, other):
        if not isinstance(other, ZObject) or self._keys != other._keys:
            return False
        return all(getattr(self, k) == getattr(other, k) for k in self._keys)

    __hash__ = None

    def __repr__(self):
        parts = ["Z1K1:{}".format(self._Z1K1)]
        parts.extend("{}:{}".format(k, getattr(self, k)) for k in self._keys)
        return "ZObject<{}>".format(",".join(parts))

    __str__ = __repr__


class ZPair:
    """A Z882 pair. Without an explicit type, the type is inferred from K1 and K2."""

    __slots__ = ("_K1", "_K2", "_Z1K1")

    def __init__(self, K1, K2, original_Z1K1=None):
        self._K1 = K1
        self._K2 = K2
        self._Z1K1 = original_Z1K1

    @property
    def K1(self):
        return self._K1

    @property
    def K2(self):
        return self._K2

    @property
    def Z1K1(self):
        if self._Z1K1 is None:
            return _pair_type(serialize(self._K1), serialize(self._K2))
        return self._Z1K1

    def items(self):
        yield "K1", self._K1
        yield "K2", self._K2

    def __eq__(self, other):
        return isinstance(other, ZPair) and self._K1 == other._K1 and self._K2 == other._K2

    __hash__ = None

    def __repr__(self):
        return "ZPair<Z1K1:{},K1:{},K2:{}>".format(self._Z1K1, self._K1, self._K2)

    __str__ = __repr__


# ---------------------------------------------------------------------------------------------
# Deserialization: normal ZObject -> Python


def _deserialize_list(z):
    out = []
    tail = z
    while True:
        if type(tail) is not dict:
            raise ExecutorError("Could not deserialize a typed list: bad tail {}".format(tail))
        head = tail.get("K1")
        if head is None:
            return out
        out.append(deserialize(head))
        tail = tail.get("K2")


def _deserialize_pair(z):
    if "K1" not in z or "K2" not in z:
        raise ExecutorError("Could not deserialize a Z882 pair without K1 and K2: {}".format(z))
    return ZPair(deserialize(z["K1"]), deserialize(z["K2"]), z.get("Z1K1"))


def _deserialize_map(z):
    pairs = z.get("K1")
    if pairs is None:
        return {}
    result = {}
    for pair in _deserialize_list(pairs):
        if not isinstance(pair, ZPair):
            raise ExecutorError("Could not deserialize a Z883 map entry that is not a pair: {}".format(pair))
        result[pair.K1] = pair.K2
    return result


def _deserialize_boolean(z):
    zid = _ref_zid(z.get("Z40K1"))
    if zid is None:
        raise ExecutorError("Could not deserialize a Z40 without Z40K1: {}".format(z))
    return zid == "Z41"


def _deserialize_object(z):
    z1k1 = z.get("Z1K1")
    if z1k1 == "Z9" and type(z.get("Z9K1")) is str:
        return ZObject("Z9", Z9K1=z["Z9K1"])
    kwargs = {}
    for key, value in z.items():
        if key != "Z1K1":
            kwargs[key] = deserialize(value)
    return ZObject(z1k1, **kwargs)


_DESERIALIZERS = {
    "Z6": lambda z: _string(z, "a Z6"),
    "Z21": lambda z: None,
    "Z39": lambda z: _string(z.get("Z39K1"), "Z39K1"),
    "Z40": _deserialize_boolean,
    "Z86": lambda z: _string(z.get("Z86K1"), "Z86K1"),
    "Z881": _deserialize_list,
    "Z882": _deserialize_pair,
    "Z883": _deserialize_map,
}


def deserialize(z):
    """Converts a normal ZObject to Python: Z6 -> str, Z40 -> bool, Z21 -> None, Z39 and Z86 ->
    str, Z881 -> list, Z882 -> ZPair, Z883 -> dict, anything else -> ZObject."""
    if type(z) is dict:
        z1k1 = z.get("Z1K1")
        if z1k1 == "Z6":
            value = z.get("Z6K1")
            if type(value) is str:
                return value
        if z1k1 is None:
            raise ExecutorError("Could not determine type for {}".format(z))
        converter = _DESERIALIZERS.get(_type_zid(z1k1), _deserialize_object)
        return converter(z)
    if type(z) is str:
        return z
    if type(z) is list and z:
        # A canonical typed list, [item type, items...]: accepted so that a hook answering in
        # canonical form is not misread.
        return [deserialize(item) for item in z[1:]]
    raise ExecutorError("Could not deserialize input ZObject: {!r}".format(z))


# ---------------------------------------------------------------------------------------------
# Serialization: Python -> normal ZObject


def _common_type(zobjects):
    """The one Z1K1 shared by all zobjects (as a type), else Z1, as upstream infers list types."""
    if not zobjects:
        return _z9("Z1")
    first = zobjects[0]["Z1K1"]
    for z in zobjects:
        if z["Z1K1"] != first:
            return _z9("Z1")
    return _type_ref(first)


def _list_type(item_type):
    return {"Z1K1": _z9("Z7"), "Z7K1": _z9("Z881"), "Z881K1": item_type}


def _pair_type(k1, k2):
    return {
        "Z1K1": _z9("Z7"),
        "Z7K1": _z9("Z882"),
        "Z882K1": _type_ref(k1["Z1K1"]),
        "Z882K2": _type_ref(k2["Z1K1"]),
    }


def _typed_list(elements):
    list_type = _list_type(_common_type(elements))
    head = {"Z1K1": list_type}
    tail = head
    for element in elements:
        tail["K1"] = element
        nxt = {"Z1K1": list_type}
        tail["K2"] = nxt
        tail = nxt
    return head


def _unserializable(obj):
    text = repr(obj)
    if len(text) > 10000:
        text = text[:10000] + "..."
    return ExecutorError("Could not serialize input Python object: {}".format(text))


def _is_type_data(z):
    """Whether z can be a Z1K1 in JSON: a ZID, or objects and arrays of them with string keys."""
    t = type(z)
    if t is str:
        return True
    if t is dict:
        return all(type(k) is str and _is_type_data(v) for k, v in z.items())
    if t is list:
        return all(_is_type_data(v) for v in z)
    return False


def _serialize_object(obj):
    z1k1 = getattr(obj, "Z1K1", None)
    if z1k1 is None or not _is_type_data(z1k1):
        raise _unserializable(obj)
    result = {"Z1K1": z1k1}
    terminal = z1k1 in ("Z6", "Z9")
    for key, value in obj.items():
        if key == "Z1K1":
            continue
        if terminal and type(value) is str:
            result[key] = _text(value)  # Z6K1 / Z9K1 hold the raw string
        else:
            result[key] = serialize(value)
    return result


def _serialize_pair(pair):
    k1 = serialize(pair.K1)
    k2 = serialize(pair.K2)
    z1k1 = pair._Z1K1
    if z1k1 is None:
        z1k1 = _pair_type(k1, k2)
    elif not _is_type_data(z1k1):
        raise _unserializable(pair)
    return {"Z1K1": z1k1, "K1": k1, "K2": k2}


def _serialize_map(mapping):
    keys = []
    values = []
    pairs = []
    for key, value in mapping.items():
        k = serialize(key)
        v = serialize(value)
        keys.append(k)
        values.append(v)
        pairs.append({"Z1K1": _pair_type(k, v), "K1": k, "K2": v})
    return {
        "Z1K1": {
            "Z1K1": _z9("Z7"),
            "Z7K1": _z9("Z883"),
            "Z883K1": _common_type(keys),
            "Z883K2": _common_type(values),
        },
        "K1": _typed_list(pairs),
    }


def serialize(obj):
    """Converts a Python value to a normal ZObject: str -> Z6, bool -> Z40, None -> Z21,
    ZPair -> Z882, dict -> Z883, other iterables -> Z881 (item type: the one common type,
    else Z1), ZObject -> its type. Anything else raises ExecutorError."""
    t = type(obj)
    if t is str:
        return {"Z1K1": "Z6", "Z6K1": obj if obj.isascii() else _text(obj)}
    if t is bool:
        return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z40"}, "Z40K1": {"Z1K1": "Z9", "Z9K1": "Z41" if obj else "Z42"}}
    if obj is None:
        return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z21"}}
    # The order of these checks follows upstream: ZObject before the iterable test.
    if isinstance(obj, ZObject):
        return _serialize_object(obj)
    if isinstance(obj, str):
        return {"Z1K1": "Z6", "Z6K1": _text(str.__str__(obj))}
    if isinstance(obj, ZPair):
        return _serialize_pair(obj)
    if isinstance(obj, dict):
        return _serialize_map(obj)
    try:
        iterator = iter(obj)
    except TypeError:
        raise _unserializable(obj) from None
    return _typed_list([serialize(element) for element in iterator])


# ---------------------------------------------------------------------------------------------
# Nested calls


_HOOKS = []  # the call hook of each call() in progress, innermost last


class WikifunctionsError(Exception):
    """A nested call failed. z5 is the error (a normal Z5); z22 is the whole answer, if any.

    Uncaught in user code, the function's own answer carries z5 unchanged."""

    def __init__(self, message, z5=None, z22=None):
        super().__init__(message)
        self.z5 = z5 if z5 is not None else _error(message)
        self.z22 = z22


def _z22_error(z22):
    """The error of a Z22 (the "errors" entry of its Z22K2 map, or a bare Z5), or None."""
    meta = z22.get("Z22K2")
    if type(meta) is not dict:
        return None
    if _type_zid_or_none(meta.get("Z1K1")) == "Z5":
        return meta
    for entry in _list_items(meta.get("K1")):
        if type(entry) is dict:
            key = entry.get("K1")
            name = key if type(key) is str else key.get("Z6K1") if type(key) is dict else None
            if name == "errors":
                value = entry.get("K2")
                if value is None or _ref_zid(value) == "Z24":
                    return None
                return value
    return None


def _list_items(z):
    """The items of a typed list, normal (K1/K2 cells) or canonical ([type, items...])."""
    if type(z) is list:
        yield from z[1:]
        return
    while type(z) is dict and z.get("K1") is not None:
        yield z["K1"]
        z = z.get("K2")


def _type_zid_or_none(z1k1):
    try:
        return _type_zid(z1k1)
    except ExecutorError:
        return None


def _z5_text(z5):
    """A short human text for a Z5: its message, or its error type and content."""
    if type(z5) is not dict:
        return repr(z5)
    detail = z5.get("Z5K2")
    if type(detail) is dict and detail.get("Z1K1") == "Z6" and type(detail.get("Z6K1")) is str:
        return detail["Z6K1"]
    kind = _ref_zid(z5.get("Z5K1"))
    texts = []
    if type(detail) is dict:
        for key, value in detail.items():
            if key != "Z1K1":
                if type(value) is dict and value.get("Z1K1") == "Z6":
                    value = value.get("Z6K1")
                if type(value) is str:
                    texts.append(value)
    text = "; ".join(texts) or json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
    if len(text) > 500:
        text = text[:500] + "..."
    return "{}: {}".format(kind, text) if kind else text


class Wikifunctions:
    """W.Call("Z802", Z802K1=True, ...) evaluates another function through the call hook.

    Wikifunctions(call_hook) binds a hook; the default W uses the hook of the call() in progress.
    """

    def __init__(self, call_hook=None):
        self._hook = call_hook

    def Call(self, function_zid, **kwargs):
        if type(function_zid) is not str or not function_zid:
            raise WikifunctionsError("W.Call: the function must be a ZID string like 'Z802', not {!r}".format(function_zid))
        hook = self._hook
        if hook is None and _HOOKS:
            hook = _HOOKS[-1]
        if hook is None:
            raise WikifunctionsError("W.Call({}): nested function calls are not available here (no call hook)".format(function_zid))
        z7 = {"Z1K1": "Z7", "Z7K1": function_zid}
        for key, value in kwargs.items():
            z7[key] = serialize(value)
        z22 = hook(z7)
        if type(z22) is not dict or "Z22K1" not in z22:
            raise WikifunctionsError("W.Call({}): the call hook answered {!r}, not a Z22".format(function_zid, z22))
        z5 = _z22_error(z22)
        if z5 is not None:
            raise WikifunctionsError("W.Call({}) failed: {}".format(function_zid, _z5_text(z5)), z5, z22)
        value = z22["Z22K1"]
        if _ref_zid(value) == "Z24":
            return None
        return deserialize(value)


W = Wikifunctions()


def _wikifunctions_module():
    """The module user code gets from `import wikifunctions`: W's Call, plus the Z types."""
    module = sys.modules.get("wikifunctions")
    if getattr(module, "__zeval__", False) is not True:
        if module is not None:
            return module  # someone else's module of that name: leave it alone
        module = types.ModuleType("wikifunctions", "Nested Wikifunctions calls (zeval).")
        module.__zeval__ = True
        sys.modules["wikifunctions"] = module
    module.Call = W.Call
    module.W = W
    module.Wikifunctions = Wikifunctions
    module.WikifunctionsError = WikifunctionsError
    module.ZObject = ZObject
    module.ZPair = ZPair
    return module


# ---------------------------------------------------------------------------------------------
# Running code


class Loaded:
    """A function implementation loaded once and called many times.

    A handle with error set answers every call with that error. Handles are independent: each
    has its own namespace. call() on one handle may be re-entered from a call hook."""

    __slots__ = ("function_name", "function", "namespace", "error", "error_traceback", "_filename", "_code")

    def __init__(self, function_name, filename, code):
        self.function_name = function_name
        self.function = None
        self.namespace = None
        self.error = None
        self.error_traceback = None
        self._filename = filename
        self._code = code if type(code) is str else ""


def _message(e):
    """The Z5 text for an exception: upstream's e.args[0], made safe for empty or non-str args."""
    if isinstance(e, WikifunctionsError) or isinstance(e, ExecutorError):
        return str(e)
    if e.args and type(e.args[0]) is str:
        return e.args[0]
    text = str(e)
    return text if text else type(e).__name__


def _format_traceback(handle, e):
    """The traceback of e from the first frame of user code on, with the user's source lines."""
    frames = []
    started = False
    lines = None
    for frame, lineno in _traceback.walk_tb(e.__traceback__):
        filename = frame.f_code.co_filename
        if filename == handle._filename:
            started = True
        if not started:
            continue
        if filename == handle._filename:
            if lines is None:
                lines = handle._code.splitlines()
            line = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
        else:
            line = linecache.getline(filename, lineno).strip()
        frames.append('  File "{}", line {}, in {}\n'.format(filename, lineno, frame.f_code.co_name))
        if line:
            frames.append("    {}\n".format(line))
    head = ["Traceback (most recent call last):\n"] if frames else []
    return "".join(head + frames + _traceback.format_exception_only(type(e), e))


def _fail_from(handle, e, include_traceback):
    z5 = e.z5 if isinstance(e, WikifunctionsError) else _error(_message(e))
    return _failure(z5, _format_traceback(handle, e) if include_traceback else None)


# Upstream compiles the implementation followed by its own calling code, so a syntax error that
# runs to the end of the implementation (an unclosed bracket) is reported at that calling code:
# CPython 3.9 says "invalid syntax" there, not "unexpected EOF while parsing". When the code
# alone does not compile, it is compiled again followed by statements of the same shape, so the
# error (message and position) is the one upstream reports on the same interpreter.
_UPSTREAM_TAIL = """


_zeval_arguments = dict()
for _zeval_key, _zeval_value in _ZEVAL_ARGUMENTS.items():
    _zeval_arguments[_zeval_key] = _zeval_value


_ZEVAL_RESULT['{name}K0'] = _ZEVAL_OUT(
    {name}(**_zeval_arguments)
)
"""


def _compile(code_string, function_name, filename):
    try:
        return compile(code_string, filename, "exec")
    except SyntaxError as alone:
        try:
            compile(code_string + _UPSTREAM_TAIL.replace("{name}", function_name), filename, "exec")
        except SyntaxError as with_tail:
            raise with_tail from None
        raise alone


def load(code_string, function_name):
    """Compiles and runs code_string in a fresh namespace and finds function_name in it."""
    filename = "<zeval {}>".format(function_name)
    handle = Loaded(function_name, filename, code_string)
    if type(function_name) is not str:
        handle.error = _error("Function call did not provide functionName.")
        return handle
    if type(code_string) is not str:
        handle.error = _error("Function call did not provide codeString.")
        return handle
    namespace = {
        "__name__": "__zeval__",
        "__builtins__": builtins,
        "W": W,
        "WikifunctionsError": WikifunctionsError,
        "ZObject": ZObject,
        "ZPair": ZPair,
    }
    handle.namespace = namespace
    try:
        _wikifunctions_module()
        exec(_compile(code_string, function_name, filename), namespace)
        if function_name not in namespace:
            raise NameError("name '{}' is not defined".format(function_name))
        handle.function = namespace[function_name]
    except (Exception, SystemExit) as e:
        handle.error = _error(_message(e))
        handle.error_traceback = _format_traceback(handle, e)
    return handle


def call(handle, arguments, call_hook=None, include_traceback=False):
    """Calls the loaded function with keyword arguments {key: normal ZObject}; returns a Z22.

    A failure in user code or in conversion is an error inside the Z22, never an exception
    (except KeyboardInterrupt, which interrupts). include_traceback adds a "traceback" entry to
    the metadata of a failed call."""
    if type(handle) is not Loaded:
        return _failure(_error("call: {!r} is not a function loaded by load()".format(handle)))
    if handle.error is not None:
        return _failure(handle.error, handle.error_traceback if include_traceback else None)
    if type(arguments) is not dict:
        return _failure(_error("functionArguments must be an object of key: ZObject, not {}".format(type(arguments).__name__)))
    _HOOKS.append(call_hook)
    try:
        kwargs = {}
        for key, value in arguments.items():
            kwargs[key] = deserialize(value)
        return _success(serialize(handle.function(**kwargs)))
    except (Exception, SystemExit) as e:
        return _fail_from(handle, e, include_traceback)
    finally:
        _HOOKS.pop()


def execute(request, call_hook=None, include_traceback=False):
    """Runs one upstream request {"codeString", "functionName", "functionArguments"}."""
    if type(request) is not dict:
        return _failure(_error("Function call must be an object, not {}".format(type(request).__name__)))
    function_name = request.get("functionName")
    if function_name is None:
        return _failure(_error("Function call did not provide functionName."))
    arguments = request.get("functionArguments")
    if arguments is None:
        arguments = {}
    code_string = request.get("codeString")
    if code_string is None:
        return _failure(_error("Function call did not provide codeString."))
    return call(load(code_string, function_name), arguments, call_hook, include_traceback)


# ---------------------------------------------------------------------------------------------
# JSON for deep ZObjects

# A typed list nests one object per element, so a list of a thousand items is deeper than the
# json module's C code goes by default. Go's encoding/json stops at 10000 levels; nothing
# deeper is worth writing.
MAX_JSON_DEPTH = 10000

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_decode = json.JSONDecoder().decode
_encode_string = json.encoder.encode_basestring
_encode_number = json.JSONEncoder().encode


class _Token(str):
    """Literal JSON text on the encoder's stack (as opposed to a value to encode)."""


_OPEN_OBJECT = _Token("{")
_CLOSE_OBJECT = _Token("}")
_OPEN_ARRAY = _Token("[")
_CLOSE_ARRAY = _Token("]")
_COMMA = _Token(",")


def _encode_deep(z):
    """json.dumps(z, ensure_ascii=False, separators=(",", ":")) without recursion."""
    parts = []
    stack = [z]
    depth = 0
    while stack:
        v = stack.pop()
        t = type(v)
        if t is _Token:
            parts.append(v)
            if v is _CLOSE_OBJECT or v is _CLOSE_ARRAY:
                depth -= 1
        elif t is str:
            parts.append(_encode_string(v))
        elif t is dict:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError("ZObject nested more than {} levels deep".format(MAX_JSON_DEPTH))
            parts.append(_OPEN_OBJECT)
            stack.append(_CLOSE_OBJECT)
            items = list(v.items())
            for i in range(len(items) - 1, -1, -1):
                key, value = items[i]
                if type(key) is not str:
                    raise TypeError("keys must be str, not {}".format(type(key).__name__))
                stack.append(value)
                stack.append(_Token(("," if i else "") + _encode_string(key) + ":"))
        elif t is list or t is tuple:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError("ZObject nested more than {} levels deep".format(MAX_JSON_DEPTH))
            parts.append(_OPEN_ARRAY)
            stack.append(_CLOSE_ARRAY)
            for i in range(len(v) - 1, -1, -1):
                stack.append(v[i])
                if i:
                    stack.append(_COMMA)
        elif v is None or v is True or v is False or t is int or t is float:
            parts.append(_encode_number(v))
        else:
            raise TypeError("Object of type {} is not JSON serializable".format(t.__name__))
    return "".join(parts)


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_scan_string = json.decoder.scanstring
_LITERALS = (("true", True), ("false", False), ("null", None))


def _decode_deep(s):
    """json.loads(s) for standard JSON, without recursion."""
    skip = _WHITESPACE.match
    idx = skip(s, 0).end()
    stack = []  # [container, key]: the open arrays and objects, innermost last

    def member_key(idx):
        if s[idx : idx + 1] != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", s, idx)
        key, idx = _scan_string(s, idx + 1)
        idx = skip(s, idx).end()
        if s[idx : idx + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", s, idx)
        return key, skip(s, idx + 1).end()

    while True:
        c = s[idx : idx + 1]
        if c == "{" or c == "[":
            if len(stack) >= MAX_JSON_DEPTH:
                raise ValueError("JSON nested more than {} levels deep".format(MAX_JSON_DEPTH))
            idx = skip(s, idx + 1).end()
            if s[idx : idx + 1] == ("}" if c == "{" else "]"):
                value = {} if c == "{" else []
                idx += 1
            else:
                if c == "{":
                    key, idx = member_key(idx)
                    stack.append([{}, key])
                else:
                    stack.append([[], None])
                continue
        elif c == '"':
            value, idx = _scan_string(s, idx + 1)
        else:
            for word, literal in _LITERALS:
                if s.startswith(word, idx):
                    value = literal
                    idx += len(word)
                    break
            else:
                m = _NUMBER.match(s, idx)
                if m is None:
                    raise json.JSONDecodeError("Expecting value", s, idx)
                integer, fraction, exponent = m.groups()
                value = float(m.group()) if fraction or exponent else int(integer)
                idx = m.end()
        # A value is complete: store it in its container, closing the containers it ends.
        while True:
            if not stack:
                idx = skip(s, idx).end()
                if idx != len(s):
                    raise json.JSONDecodeError("Extra data", s, idx)
                return value
            top = stack[-1]
            container = top[0]
            if type(container) is list:
                container.append(value)
            else:
                container[top[1]] = value
            idx = skip(s, idx).end()
            c = s[idx : idx + 1]
            if c == ",":
                idx = skip(s, idx + 1).end()
                if type(container) is dict:
                    top[1], idx = member_key(idx)
                break
            if c == ("]" if type(container) is list else "}"):
                stack.pop()
                value = container
                idx += 1
                continue
            raise json.JSONDecodeError("Expecting ',' delimiter", s, idx)


def dumps(z):
    """Compact JSON text (not ASCII-escaped) for a ZObject nested up to MAX_JSON_DEPTH levels."""
    try:
        return _encode(z)
    except RecursionError:
        return _encode_deep(z)


def loads(text):
    """Parses the JSON text of a ZObject nested up to MAX_JSON_DEPTH levels."""
    try:
        return _decode(text)
    except RecursionError:
        return _decode_deep(text)


# ---------------------------------------------------------------------------------------------
# Script mode


def _ascii(z):
    """JSON text escaped to ASCII, as upstream's main writes it."""
    try:
        return json.dumps(z)
    except RecursionError:
        text = _encode_deep(z)
    if text.isascii():
        return text
    # Outside strings JSON text is ASCII, so escaping every other character is safe.
    return "".join(c if c < "\x80" else json.dumps(c)[1:-1] for c in text)


def main(stdin=None, stdout=None):
    """Reads one request line, writes one Z22 line. User output goes to stderr."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout

    def hook(z7):
        stdout.write("call " + _ascii(z7) + "\n")
        stdout.flush()
        line = stdin.readline()
        if not line:
            raise WikifunctionsError("W.Call: stdin closed before the answer to a nested call")
        return loads(line)

    z22 = None
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = loads(line)
        except ValueError as e:  # json.JSONDecodeError is a ValueError
            z22 = _failure(_error("Could not parse the request: {}".format(e)))
        else:
            saved = sys.stdout
            sys.stdout = sys.stderr
            try:
                z22 = execute(request, hook)
            finally:
                sys.stdout = saved
        break
    if z22 is None:
        z22 = _failure(_error("No request on stdin."))
    try:
        text = _ascii(z22)
    except ValueError as e:
        text = json.dumps(_failure(_error("Could not encode the result: {}".format(e))))
    stdout.write(text + "\n")
    stdout.flush()


if __name__ == "__main__":
    main()
