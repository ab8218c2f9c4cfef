#!/usr/bin/env python3
"""Self time per operator in Chrome traces of one training step (docs/benchmarks.md).

Reads the traces that `./diffusion bench train --profile FILE` (libtorch's profiler through DJL) and
`benchmarks/pytorch_unet.py --profile FILE` (torch.profiler) write, and prints, for each trace, the
operators that take the most self time (an op's duration minus the durations of the ops it called), with
their share of the step's total op time and their call counts, side by side:

    python3 benchmarks/profile_summary.py jdiffusion=out/jd.json pytorch=out/py.json --top 25
"""
import argparse
import collections
import json


def summarize(path):
    with open(path) as f:
        trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    ops = [e for e in events
           if e.get("ph") == "X" and str(e.get("name", "")).startswith("aten::")
           and e.get("cat", "cpu_op") == "cpu_op"]
    by_thread = collections.defaultdict(list)
    for e in ops:
        by_thread[e.get("tid")].append(e)
    self_us = collections.Counter()
    calls = collections.Counter()
    for events in by_thread.values():
        events.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # open ops: [end time, name, duration, time spent in children]
        def close(top):
            self_us[top[1]] += top[2] - top[3]
            calls[top[1]] += 1
        for e in events:
            ts, dur = float(e["ts"]), float(e["dur"])
            while stack and ts >= stack[-1][0]:
                close(stack.pop())
            if stack:
                stack[-1][3] += dur
            stack.append([ts + dur, e["name"], dur, 0.0])
        while stack:
            close(stack.pop())
    return self_us, calls


def main():
    p = argparse.ArgumentParser()
    p.add_argument("traces", nargs="+", metavar="LABEL=FILE")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args()
    for item in args.traces:
        label, path = item.split("=", 1)
        self_us, calls = summarize(path)
        total = sum(self_us.values())
        print("%s: %s, total op self time %.0f ms" % (label, path, total / 1000))
        print("  %-42s %10s %7s %7s" % ("op", "self ms", "share", "calls"))
        for name, us in self_us.most_common(args.top):
            print("  %-42s %10.1f %6.1f%% %7d" % (name, us / 1000, 100 * us / total, calls[name]))
        print()


if __name__ == "__main__":
    main()
