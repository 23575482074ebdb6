#!/usr/bin/env python3
"""Staff mode's speed on the real kiosk program, with the frame (issue 11, "from the PIN entered to
the override session on screen <= 1 s"), printed, never asserted: under Xvfb with Mesa, on the demo
data (real kiosk.db, Argon2id at the shipped [staff] cost, the workspace gate), each run a fresh
`kiosk --trace --script`: a refused tap, the staff card, the PIN typed with Enter, a reason typed
with Enter. From the kiosk's `trace staff_submit` lines (the frame in which Enter was read -> the
first frame presented showing what it led to):
  - PIN Enter -> the Override page presented (sign-in: Argon2id, the attempt's row and audit)
  - the override's Enter -> the override session presented (decision, session row, gate, audit)
  - their sum: the kiosk's own time from the PIN entered to the override session on screen
    (the staff member's reading and typing of the reason in between is not the kiosk's),
and of each, the part until the worker's answer reached the main loop (the rest is drawing and
presenting the frame).
Usage: staff_perf.py BUILD_DIR [--runs N]"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from xvfb_display import XvfbDisplay  # noqa: E402

STAFF_CARD, STAFF_PIN = "04FA000000000001", "246813"


def summary(name, ms):
    ms = sorted(ms)
    print(f"{name}: median {statistics.median(ms):.0f} ms, min {ms[0]:.0f}, max {ms[-1]:.0f} "
          f"({len(ms)} runs)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    kiosk, kioskctl = os.path.join(build, "bin", "kiosk"), os.path.join(build, "bin", "kioskctl")
    signin, override, total, signin_worker, override_worker = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="staff-perf-") as tmp, XvfbDisplay() as x:
        demo = tmp + "/demo"
        subprocess.run([kioskctl, "demo-data", "--out", demo, "--trainees", "20"], check=True,
                       capture_output=True)
        with open(demo + "/cards.csv", encoding="utf-8") as f:
            refused = next(c for c in csv.DictReader(f)
                           if c["expect"].split()[0] == "deny" and "ORDER_VIOLATION" in c["expect"])
        script = tmp + "/override.script"
        with open(script, "w") as f:
            f.write(f"tap {refused['card_uid']}\ntap {STAFF_CARD}\ntype {STAFF_PIN}\\n\n"
                    "type benchmark override\\n\nquit\n")
        for _ in range(a.runs):
            # Each start's recover() closes the last run's override session (cause restart).
            r = subprocess.run([kiosk, "--data-dir", demo + "/data", "--windowed", "--trace",
                                "--script", script], capture_output=True, text=True, env=x.env(),
                               timeout=120)
            if r.returncode != 0:
                sys.exit(f"kiosk failed: {r.stderr[-500:]}")
            got = {}
            for line in r.stdout.splitlines():
                if line.startswith("trace staff_submit "):
                    kv = dict(p.split("=", 1) for p in line.split()[2:])
                    got[(kv["from"], kv["to"])] = (
                        (int(kv["presented_ns"]) - int(kv["submitted_ns"])) / 1e6,
                        (int(kv["answered_ns"]) - int(kv["submitted_ns"])) / 1e6)
            s = got.get(("staff/pin", "staff/override"))
            o = got.get(("staff/override", "session"))
            if s is None or o is None:
                sys.exit(f"missing trace lines: {got}\n{r.stdout[-800:]}")
            signin.append(s[0])
            signin_worker.append(s[1])
            override.append(o[0])
            override_worker.append(o[1])
            total.append(s[0] + o[0])
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"kiosk staff override, {a.runs} runs, load average {load}")
    summary("PIN Enter -> Override page presented", signin)
    summary("  of which until the sign-in's answer (Argon2id, attempt row, audit)", signin_worker)
    summary("override Enter -> session presented", override)
    summary("  of which until the override's answer (decision, gate, session, audit)",
            override_worker)
    summary("PIN entered -> override session on screen (sum; target <= 1000 ms)", total)


main()
