"""Baseline for zeval's Jupyter client benchmark: N execute round trips through jupyter_client.

Connects to a running kernel from its connection file, runs the code N times (each waits for the
execute_reply and the IOPub idle status of its request, exactly as zeval's client does) and prints
one JSON line: per-call latencies in microseconds and the client's CPU seconds.
"""
import json
import resource
import sys
import time

from jupyter_client import BlockingKernelClient


def main():
    conn_file, n, code = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    kc = BlockingKernelClient(connection_file=conn_file)
    kc.load_connection_file()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)

    def once():
        msg_id = kc.execute(code)
        replied = idle = False
        while not replied:
            msg = kc.get_shell_msg(timeout=30)
            if msg["parent_header"].get("msg_id") == msg_id:
                replied = True
        while not idle:
            msg = kc.get_iopub_msg(timeout=30)
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"):
                idle = True

    for _ in range(20):  # warm up
        once()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    lat = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        once()
        lat.append((time.perf_counter_ns() - t0) / 1000.0)
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    kc.stop_channels()
    print(json.dumps({"latencies_us": lat, "cpu_s": cpu}))


if __name__ == "__main__":
    main()
