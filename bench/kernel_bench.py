"""Kernel start to first result, and the round trip of a trivial cell, through a real Jupyter client.

Flowlab's kernel and IPython (Debian's python3-ipykernel) are measured side by side, A B A B, in one run, as
docs/BENCHMARKS.md asks. Prints a Markdown table.

usage: /usr/bin/python3 bench/kernel_bench.py [--starts 3] [--runs 20]
       (the flowlab kernelspec must be installed: ./flowlab kernel install, or JUPYTER_PATH pointing at one)
"""
import argparse
import os
import platform
import statistics
import subprocess
import time

from jupyter_client.manager import start_new_kernel

KERNELS = [("flowlab", "Flowlab (Java)"), ("python3", "IPython")]


def first_result(kc, code, timeout=120):
    msg_id = kc.execute(code)
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_result":
            return msg


def round_trip(kc, code):
    """Seconds from sending the request to its reply, with the kernel idle again."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        r = kc.get_shell_msg(timeout=60)
        if r["parent_header"].get("msg_id") == msg_id:
            break
    t1 = time.perf_counter()
    while True:  # drain this request's IOPub traffic so the next one starts clean
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" \
                and m["content"]["execution_state"] == "idle":
            return t1 - t0


def one_session(name, runs, warmup=5):
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name=name, startup_timeout=120)
    first_result(kc, "1+1")
    start = time.perf_counter() - t0
    try:
        for _ in range(warmup):
            round_trip(kc, "1+1")
        trips = [round_trip(kc, "1+1") for _ in range(runs)]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return start, trips


def java_version():
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()
        return out[0] if out else "?"
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=3, help="kernel starts per kernel (A B A B ...)")
    ap.add_argument("--runs", type=int, default=20, help="1+1 round trips per start, after 5 warm-up runs")
    args = ap.parse_args()
    starts = {k: [] for k, _ in KERNELS}
    trips = {k: [] for k, _ in KERNELS}
    for _ in range(args.starts):
        for name, _label in KERNELS:
            s, t = one_session(name, args.runs)
            starts[name].append(s)
            trips[name].append(statistics.median(t))
    print(f"Machine: {os.cpu_count()} cores, {platform.platform()}, {java_version()},"
          f" Python {platform.python_version()}")
    print(f"Kernel start = start_new_kernel() until the first `1+1` result arrives (median of {args.starts} starts);"
          f" round trip = execute_request to execute_reply of `1+1` (median of {args.runs} runs per start after"
          f" 5 warm-up runs, then the median over starts).")
    print()
    print("| kernel | start to first result (s) | `1+1` round trip, median (ms) |")
    print("|---|---|---|")
    for name, label in KERNELS:
        print(f"| {label} | {statistics.median(starts[name]):.2f} | {1000 * statistics.median(trips[name]):.1f} |")
    f, p = statistics.median(starts["flowlab"]), statistics.median(starts["python3"])
    rf, rp = statistics.median(trips["flowlab"]), statistics.median(trips["python3"])
    print(f"| ratio Flowlab / IPython | {f / p:.1f}x | {rf / rp:.1f}x |")


if __name__ == "__main__":
    main()
