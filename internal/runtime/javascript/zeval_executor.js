// zeval's JavaScript executor for Jupyter kernels (deno's, or any kernel whose language is
// JavaScript or TypeScript and that offers prompt() over the stdin channel).
//
// zeval sends this file once to every kernel of the JavaScript pool. It defines one global,
// __zeval, and nothing else:
//
//   __zeval.setup(code, functionName)   compile the implementation and run its top level once
//   await __zeval.fallbackCall(argsJSON) one call: {key: normal ZObject} in; the Z22 goes out
//                                        through prompt("zeval-result:" + {"z22": ...})
//
// Results leave through prompt() (an input_request on the stdin channel), not through display
// data: deno publishes display data from a queue that may drain after the request has gone
// idle, while an input_request blocks the code until zeval has answered it.
//
// Nested calls: W.Call("Z802", {Z802K1: true, ...}) or W.Call("Z802", true, "a", "b") sends
// prompt("zeval-zcall:" + Z7) and gets {"z22": ...}, or {"call": args} when a call of this very
// function arrives meanwhile (A -> B -> A): that call is run on top and its Z22 sent with
// prompt("zeval-result:" + ...), which is answered like the zcall. This is the protocol of
// zeval_channel.py's fallback_call.
//
// Conversions are those of zeval's embedded engine (internal/js, upstream's JavaScript
// executor): Z6 <-> string, Z40 <-> boolean, Z21 <-> null (undefined -> Z21), Z881 <-> Array
// (out: the items' common type, else Z1), Z882 <-> ZPair, Z883 <-> Map, anything else <->
// ZObject with its Z1K1 kept as given. Values going out are JSON that zeval's parser reads
// (normal form, with typed lists as canonical arrays [item type, items...] so that a long list
// is not nested deeply).
(() => {
  "use strict";
  if (globalThis.__zeval !== undefined) {
    return;
  }
  const ask = globalThis.prompt; // kept: user code may replace the global
  const inspect = typeof Deno !== "undefined" && typeof Deno.inspect === "function"
    ? (v) => Deno.inspect(v)
    : (v) => String(v);
  const toStringTag = Object.prototype.toString;
  const MAX_DEPTH = 4096;
  const REFERENCE = /^[A-JL-Z][1-9][0-9]*$/;
  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

  const ref = (zid) => ({ Z1K1: "Z9", Z9K1: zid });
  const text = (s) => ({ Z1K1: "Z6", Z6K1: s });
  const tooDeep = () => new RangeError("Maximum call stack size exceeded");
  const cannot = (v) => new Error("Could not serialize input JS object: " + inspect(v));
  const tag = (o) => toStringTag.call(o).slice(8, -1);

  class ZObject {
    constructor(kwargs, originalZ1K1 = null) {
      this.Z1K1 = originalZ1K1;
      if (kwargs !== undefined && kwargs !== null) {
        for (const [key, value] of kwargs.entries()) {
          this[key] = value;
        }
      }
    }
  }

  class ZPair {
    constructor(K1, K2, originalZ1K1 = null) {
      if (originalZ1K1 === null) {
        originalZ1K1 = pairType(typeOf(serialize(K1)), typeOf(serialize(K2)));
      }
      this.Z1K1 = originalZ1K1;
      this.K1 = K1;
      this.K2 = K2;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Types

  // refID is the ZID of a reference, canonical ("Z41") or normal ({Z1K1: "Z9", Z9K1: "Z41"}).
  function refID(t) {
    if (typeof t === "string") {
      return t;
    }
    if (t !== null && typeof t === "object" && t.Z1K1 === "Z9" && typeof t.Z9K1 === "string") {
      return t.Z9K1;
    }
    return "";
  }

  // typeZID is upstream's getZID: the ZID a type stands for (a reference, the function of a
  // generic type call, the identity of a Z4 or Z8), or "".
  function typeZID(t) {
    for (let i = 0; i < MAX_DEPTH; i++) {
      if (typeof t === "string") {
        return t;
      }
      if (t === null || typeof t !== "object" || Array.isArray(t)) {
        return "";
      }
      const kind = refID(t.Z1K1);
      if (kind === "Z9" || kind === "Z6") {
        return typeof t[kind + "K1"] === "string" ? t[kind + "K1"] : "";
      } else if (kind === "Z7") {
        t = t.Z7K1;
      } else if (kind === "Z4") {
        t = t.Z4K1;
      } else if (kind === "Z8") {
        t = t.Z8K5;
      } else {
        return "";
      }
    }
    return "";
  }

  // typeOf is the type of a value serialize made, as a type reference or object.
  function typeOf(z) {
    if (Array.isArray(z)) {
      return listType(z.length > 0 ? z[0] : ref("Z1"));
    }
    const t = z.Z1K1;
    if (typeof t === "string") {
      return REFERENCE.test(t) ? ref(t) : t;
    }
    return t === undefined || t === null ? ref("Z1") : t;
  }

  // typeKey makes types comparable: references in either form are the same key.
  function typeKey(t, depth = 0) {
    if (depth > MAX_DEPTH) {
      throw tooDeep();
    }
    const id = refID(t);
    if (id !== "" && (typeof t === "string" || Object.keys(t).length === 2)) {
      return id;
    }
    if (Array.isArray(t)) {
      return "[" + t.map((x) => typeKey(x, depth + 1)).join(",") + "]";
    }
    if (t !== null && typeof t === "object") {
      return "{" + Object.keys(t).sort().map((k) => JSON.stringify(k) + ":" + typeKey(t[k], depth + 1)).join(",") + "}";
    }
    return JSON.stringify(t);
  }

  // commonType is upstream's getListType: the type all items share, else Z1 (also for none).
  function commonType(items) {
    if (items.length === 0) {
      return ref("Z1");
    }
    const first = typeOf(items[0]);
    const key = typeKey(first);
    for (let i = 1; i < items.length; i++) {
      if (typeKey(typeOf(items[i])) !== key) {
        return ref("Z1");
      }
    }
    return first;
  }

  const listType = (item) => ({ Z1K1: ref("Z7"), Z7K1: ref("Z881"), Z881K1: item });
  const pairType = (k, v) => ({ Z1K1: ref("Z7"), Z7K1: ref("Z882"), Z882K1: k, Z882K2: v });
  const mapType = (k, v) => ({ Z1K1: ref("Z7"), Z7K1: ref("Z883"), Z883K1: k, Z883K2: v });

  // isTypeData reports whether a Z1K1 kept from user code is JSON zeval can read: strings,
  // and objects and arrays of them.
  function isTypeData(v, depth = 0) {
    if (depth > MAX_DEPTH) {
      return false;
    }
    if (typeof v === "string") {
      return true;
    }
    if (v === null || typeof v !== "object") {
      return false;
    }
    const values = Array.isArray(v) ? v : Object.values(v);
    return values.every((x) => isTypeData(x, depth + 1));
  }

  // ---------------------------------------------------------------------------------------
  // Deserialization: normal ZObject -> JavaScript

  // consItems returns the items of a typed list: a chain of K1/K2 records, a canonical array,
  // or a chain whose tail is an array.
  function consItems(l) {
    const out = [];
    while (l !== null && typeof l === "object") {
      if (Array.isArray(l)) {
        return out.concat(l.slice(1));
      }
      if (!("K1" in l)) {
        break;
      }
      out.push(l.K1);
      l = l.K2;
    }
    return out;
  }

  function optional(z, depth) {
    return z === undefined ? undefined : deserialize(z, depth + 1);
  }

  function deserialize(z, depth = 0) {
    if (depth > MAX_DEPTH) {
      throw tooDeep();
    }
    if (typeof z === "string") {
      if (REFERENCE.test(z)) {
        return zobject("Z9", { Z9K1: z });
      }
      return z;
    }
    if (Array.isArray(z)) {
      return z.slice(1).map((x) => deserialize(x, depth + 1));
    }
    if (z === null || typeof z !== "object" || Object.keys(z).length === 0) {
      throw new Error("Could not deserialize an empty ZObject");
    }
    const t = z.Z1K1;
    if (t === "Z6") {
      return typeof z.Z6K1 === "string" ? z.Z6K1 : optional(z.Z6K1, depth);
    }
    if (t === "Z9" && typeof z.Z9K1 === "string") {
      return zobject("Z9", { Z9K1: z.Z9K1 });
    }
    switch (typeZID(t)) {
      case "Z6":
        return typeof z.Z6K1 === "string" ? z.Z6K1 : optional(z.Z6K1, depth);
      case "Z21":
        return null;
      case "Z40":
        return refID(z.Z40K1) === "Z41";
      case "Z881":
        return consItems(z).map((x) => deserialize(x, depth + 1));
      case "Z882": {
        const p = Object.create(ZPair.prototype);
        p.Z1K1 = t;
        p.K1 = optional(z.K1, depth);
        p.K2 = optional(z.K2, depth);
        return p;
      }
      case "Z883": {
        const m = new Map();
        for (const p of consItems(z.K1)) {
          m.set(optional(p.K1, depth + 1), optional(p.K2, depth + 1));
        }
        return m;
      }
    }
    const o = Object.create(ZObject.prototype);
    o.Z1K1 = t === undefined ? null : t;
    for (const key of Object.keys(z)) {
      if (key !== "Z1K1") {
        o[key] = deserialize(z[key], depth + 1);
      }
    }
    return o;
  }

  function zobject(z1k1, fields) {
    const o = Object.create(ZObject.prototype);
    o.Z1K1 = z1k1;
    return Object.assign(o, fields);
  }

  // ---------------------------------------------------------------------------------------
  // Serialization: JavaScript -> ZObject

  function serialize(v, depth = 0) {
    if (depth > MAX_DEPTH) {
      throw tooDeep();
    }
    if (v === undefined || v === null) {
      return { Z1K1: ref("Z21") };
    }
    switch (typeof v) {
      case "string":
        return text(v);
      case "boolean":
        return { Z1K1: ref("Z40"), Z40K1: ref(v ? "Z41" : "Z42") };
      case "object":
      case "function":
        break;
      default:
        throw cannot(v);
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === ZPair.prototype || proto === ZObject.prototype) {
      return record(v, depth);
    }
    switch (tag(v)) {
      case "String":
        return text(String(v));
      case "Boolean":
        return { Z1K1: ref("Z40"), Z40K1: ref("Z41") }; // upstream tests the object's truthiness
      case "Array": {
        const items = [];
        for (let i = 0; i < v.length; i++) {
          items.push(serialize(v[i], depth + 1));
        }
        return [commonType(items), ...items];
      }
      case "Map":
        return serializeMap(v, depth);
    }
    return record(v, depth);
  }

  function record(o, depth) {
    const raw = o.Z1K1;
    if (raw === undefined || raw === null || !isTypeData(raw)) {
      throw cannot(o);
    }
    const keys = Object.keys(o);
    const id = refID(raw);
    if (keys.length === 2 && (id === "Z6" || id === "Z9") && (typeof raw === "string" || Object.keys(raw).length === 2)) {
      const value = o[id + "K1"];
      if (typeof value === "string") {
        return id === "Z6" ? text(value) : ref(value);
      }
    }
    const out = { Z1K1: raw };
    for (const key of keys) {
      if (key !== "Z1K1") {
        out[key] = serialize(o[key], depth + 1);
      }
    }
    return out;
  }

  function serializeMap(m, depth) {
    const keys = [];
    const values = [];
    const pairs = [];
    for (const [k, v] of Map.prototype.entries.call(m)) {
      const zk = serialize(k, depth + 1);
      const zv = serialize(v, depth + 1);
      keys.push(zk);
      values.push(zv);
      pairs.push({ Z1K1: pairType(typeOf(zk), typeOf(zv)), K1: zk, K2: zv });
    }
    return { Z1K1: mapType(commonType(keys), commonType(values)), K1: [commonType(pairs), ...pairs] };
  }

  // ---------------------------------------------------------------------------------------
  // Results

  function success(value) {
    return { Z1K1: ref("Z22"), Z22K1: value, Z22K2: ref("Z24") };
  }

  function failure(message) {
    const pt = pairType(ref("Z6"), ref("Z1"));
    const z5 = { Z1K1: ref("Z5"), Z5K2: text(message) };
    return {
      Z1K1: ref("Z22"),
      Z22K1: ref("Z24"),
      Z22K2: { Z1K1: mapType(ref("Z6"), ref("Z1")), K1: [pt, { Z1K1: pt, K1: text("errors"), K2: z5 }] },
    };
  }

  // message is the Z5 text of an exception: its message, as upstream reports e.message.
  function message(e) {
    if (e !== null && typeof e === "object" && e.message !== undefined) {
      return String(e.message);
    }
    return String(e);
  }

  // ---------------------------------------------------------------------------------------
  // Nested calls

  const hooks = []; // the hook of each call in progress, innermost last

  function isKeywordObject(o) {
    if (o === null || typeof o !== "object" || tag(o) !== "Object") {
      return false;
    }
    const proto = Object.getPrototypeOf(o);
    return proto !== ZObject.prototype && proto !== ZPair.prototype && o.Z1K1 === undefined;
  }

  // errorMessage is the text of the error W.Call throws for a failed nested call.
  function errorMessage(zid, z5) {
    const m = z5 !== null && typeof z5 === "object" ? z5.Z5K2 : undefined;
    if (m !== undefined && m !== null && typeof m === "object" && m.Z1K1 === "Z6" && typeof m.Z6K1 === "string") {
      return m.Z6K1;
    }
    const type = z5 !== null && typeof z5 === "object" ? refID(z5.Z5K1) : "";
    const arg = type !== "" && m !== null && typeof m === "object" ? m[type + "K1"] : undefined;
    if (arg !== undefined && arg !== null && arg.Z1K1 === "Z6" && typeof arg.Z6K1 === "string") {
      return arg.Z6K1;
    }
    return "W.Call(" + zid + ") failed: " + JSON.stringify(z5);
  }

  // envelopeError is upstream's getError: the value under "errors" in the Z22K2 map.
  function envelopeError(z22) {
    const meta = z22 !== null && typeof z22 === "object" ? z22.Z22K2 : undefined;
    if (meta === null || typeof meta !== "object") {
      return undefined;
    }
    for (const p of consItems(meta.K1)) {
      if (p !== null && typeof p === "object" && deserialize(p.K1) === "errors") {
        return refID(p.K2) === "Z24" ? undefined : p.K2;
      }
    }
    return undefined;
  }

  function Call(zid, ...args) {
    if (typeof zid !== "string" || !REFERENCE.test(zid)) {
      throw new TypeError('W.Call: the first argument must be a ZID such as "Z802"');
    }
    const z7 = { Z1K1: ref("Z7"), Z7K1: ref(zid) };
    if (args.length === 1 && isKeywordObject(args[0])) {
      for (const key of Object.keys(args[0])) {
        z7[key] = serialize(args[0][key]);
      }
    } else {
      args.forEach((a, i) => {
        z7[zid + "K" + (i + 1)] = serialize(a);
      });
    }
    const hook = hooks[hooks.length - 1];
    if (hook === undefined) {
      throw new Error("W.Call: nested function calls are not available here");
    }
    const z22 = hook(z7);
    const err = envelopeError(z22);
    if (err !== undefined) {
      throw new Error(errorMessage(zid, err));
    }
    return z22.Z22K1 === undefined ? undefined : deserialize(z22.Z22K1);
  }

  const W = Object.freeze({ Call });
  const silentConsole = Object.freeze({
    log() {},
    info() {},
    warn() {},
    error() {},
    debug() {},
    trace() {},
  });

  // ---------------------------------------------------------------------------------------
  // Loading and calling

  // load compiles code as the body of a function whose parameters are what user code sees
  // (as the embedded engine does, so a missing brace is "Unexpected end of input"), runs it
  // once and finds the function. A failure is kept: every call answers it.
  function load(code, name) {
    const h = { name, fn: null, error: null };
    if (typeof name !== "string" || !IDENTIFIER.test(name)) {
      h.error = "Function name " + JSON.stringify(name) + " is not a JavaScript identifier.";
      return h;
    }
    if (typeof code !== "string") {
      h.error = "Function call did not provide codeString.";
      return h;
    }
    try {
      // Strict eval: the loader is a declaration local to this eval, not a global.
      const loader = (0, eval)(
        '"use strict";\nfunction __zeval_load(ZObject, ZPair, W, Wikifunctions, console) {\n' + code +
          "\n;return " + name + ";\n}\n__zeval_load",
      );
      const fn = loader(ZObject, ZPair, W, W, silentConsole);
      if (typeof fn !== "function") {
        h.error = name + " is not a function";
      } else {
        h.fn = fn;
      }
    } catch (e) {
      h.error = message(e);
    }
    return h;
  }

  // keyOrder sorts argument keys by ZID number, then key number (Z1000K2 before Z1000K10).
  function splitKey(s) {
    const m = /^(?:Z([1-9][0-9]*))?K([1-9][0-9]*)$/.exec(s);
    return m === null ? null : [m[1] === undefined ? 0 : Number(m[1]), Number(m[2])];
  }

  function keyOrder(a, b) {
    const x = splitKey(a);
    const y = splitKey(b);
    if (x !== null && y !== null && (x[0] !== y[0] || x[1] !== y[1])) {
      return x[0] !== y[0] ? x[0] - y[0] : x[1] - y[1];
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  // call runs the function on args ({key: normal ZObject}) and returns the Z22, or a promise
  // of it when the function returned a promise and settle is true.
  function call(h, args, hook, settle) {
    if (h.error !== null) {
      return failure(h.error);
    }
    hooks.push(hook);
    let out;
    try {
      const values = Object.keys(args).sort(keyOrder).map((k) => deserialize(args[k]));
      out = h.fn(...values);
    } catch (e) {
      return failure(message(e));
    } finally {
      hooks.pop();
    }
    if (out !== null && typeof out === "object" && tag(out) === "Promise" && settle) {
      return out.then((v) => result(v), (e) => failure(message(e)));
    }
    return result(out);
  }

  function result(v) {
    try {
      return success(serialize(v));
    } catch (e) {
      return failure(message(e));
    }
  }

  let current = null; // the handle of the function this kernel serves

  function setup(code, name) {
    current = load(code, name);
  }

  // hook sends a nested call through the stdin channel and serves calls of this function that
  // arrive while it waits.
  function hook(z7) {
    let reply = JSON.parse(ask("zeval-zcall:" + JSON.stringify(z7)));
    while (reply.call !== undefined) {
      const z22 = call(current, reply.call, hook, false);
      reply = JSON.parse(ask("zeval-result:" + JSON.stringify({ z22 })));
    }
    return reply.z22;
  }

  async function fallbackCall(argsJSON) {
    if (current === null) {
      throw new Error("zeval: no function is loaded in this kernel");
    }
    let z22;
    try {
      z22 = await call(current, JSON.parse(argsJSON), hook, true);
    } catch (e) {
      z22 = failure(message(e));
    }
    ask("zeval-result:" + JSON.stringify({ z22 }));
  }

  Object.defineProperty(globalThis, "__zeval", {
    value: Object.freeze({ setup, fallbackCall, load, call, serialize, deserialize }),
    enumerable: false,
  });
})();
