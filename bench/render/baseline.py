"""Baseline for zeval's page-render benchmark: the page's calls, one execute_request each.

Reads a JSON spec on stdin: {"definitions": "<Python source defining every function>",
"calls": [["Z20001", "w17"], ...]}. Starts one ipykernel through jupyter_client, defines the
functions in it with one execute_request, then evaluates each call with its own
execute_request (the expression `Z20001('w17')`), waiting for the execute_result, the
execute_reply and the IOPub idle status, as a client of a kernel does. Prints one JSON line:
the results in call order, the wall time of the calls in seconds and of the kernel start.
"""
import ast
import json
import sys
import time

from jupyter_client.manager import start_new_kernel


def main():
    spec = json.load(sys.stdin)
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3")
    started = time.perf_counter() - t0
    try:
        def execute(code):
            msg_id = kc.execute(code)
            result = None
            replied = idle = False
            while not replied:
                msg = kc.get_shell_msg(timeout=60)
                if msg["parent_header"].get("msg_id") == msg_id:
                    replied = True
                    if msg["content"]["status"] != "ok":
                        raise RuntimeError("%s failed: %s" % (code[:60], msg["content"].get("evalue")))
            while not idle:
                msg = kc.get_iopub_msg(timeout=60)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "execute_result":
                    result = msg["content"]["data"]["text/plain"]
                elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
            return result

        execute(spec["definitions"])
        results = []
        t0 = time.perf_counter()
        for zid, arg in spec["calls"]:
            results.append(ast.literal_eval(execute("%s(%r)" % (zid, arg))))
        wall = time.perf_counter() - t0
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(json.dumps({"results": results, "wall_s": wall, "kernel_start_s": started}))


if __name__ == "__main__":
    main()
