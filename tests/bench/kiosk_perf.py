#!/usr/bin/env python3
"""The kiosk screen's figures (issue 8, "Speed and memory"), printed, never asserted: under Xvfb
with Mesa, on the demo data (real SQLite stores, the real Gatekeeper with its durable audit row):
  - exec -> first frame presented (median and max of 5 starts; target <= 400 ms), and the same for
    gl_start_floor (the Mesa/GL part alone: GLFW, the OpenGL 3 context, Dear ImGui's backend, one
    frame; and --bare: a window cleared and swapped), which the kiosk cannot go below
  - RSS with the Japanese fonts loaded, once the full atlas is in (target <= 150 MB), and the peak
  - idle CPU over 30 s on the idle screen (target <= 1 % of a core)
  - card event on the queue -> decision frame presented, p50/p99/max over 100 taps (target p99
    <= 50 ms), taps alternating a granted and a refused card through the simulated reader.
Usage: kiosk_perf.py BUILD_DIR [--idle-seconds S] [--taps N]"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from xvfb_display import XvfbDisplay  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pct(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))]


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def floor_ms(program, args, env, starts=5):
    """exec -> first frame of gl_start_floor, median over `starts`; None if it is not built."""
    if not os.path.exists(program):
        return None
    ms = []
    for _ in range(starts):
        t0 = time.monotonic_ns()
        p = subprocess.run([program] + args, capture_output=True, text=True, env=env, timeout=60)
        for line in p.stdout.splitlines():
            if line.startswith("trace first_frame_ns="):
                ms.append((int(line.split("=")[1]) - t0) / 1e6)
    return statistics.median(ms) if ms else None


def wait_line(proc, prefix, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line.strip()
    raise RuntimeError(f"kiosk printed no '{prefix}' (rc={proc.poll()})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--idle-seconds", type=float, default=30)
    ap.add_argument("--taps", type=int, default=100)
    ap.add_argument("--nice", type=int, default=None,
                    help="run the kiosk at this nice value (and I/O priority 0 of best effort): "
                         "what a kiosk unit with Nice= would get on a busy machine")
    a = ap.parse_args()
    prefix = [] if a.nice is None else ["nice", "-n", str(a.nice), "ionice", "-c", "2", "-n", "0"]
    kiosk = os.path.join(a.build, "bin", "kiosk")
    kioskctl = os.path.join(a.build, "bin", "kioskctl")
    with tempfile.TemporaryDirectory(prefix="kiosk-perf-") as tmp, XvfbDisplay() as x:
        subprocess.run([kioskctl, "--data-dir", tmp + "/data", "demo-data", "--out", tmp],
                       check=True, capture_output=True)
        data = tmp + "/data"
        base = prefix + [kiosk, "--trace", "--data-dir", data]

        # The Mesa/GL floor, then exec -> first frame, and RSS once the full atlas is in.
        floor = prefix + [os.path.join(a.build, "bin", "gl_start_floor")]
        floor_imgui = floor_ms(floor[-1], [], x.env()) if not prefix else None
        floor_bare = floor_ms(floor[-1], ["--bare"], x.env()) if not prefix else None
        starts, cpu_starts, rss, peak, full_ms = [], [], [], [], []
        for _ in range(5):
            t0 = time.monotonic_ns()
            p = subprocess.Popen(base, stdout=subprocess.PIPE, text=True, env=x.env())
            first = int(wait_line(p, "trace first_frame_ns=").split("=")[1])
            cpu_starts.append(cpu_ticks(p.pid) * 1000 / CLK_TCK)
            starts.append((first - t0) / 1e6)
            full = wait_line(p, "trace full_fonts ")
            kv = dict(w.split("=") for w in full.split()[2:])
            full_ms.append((int(kv["installed_ns"]) - t0) / 1e6)
            time.sleep(0.5)
            rss.append(rss_mb(p.pid))
            peak.append(peak_rss_mb(p.pid))
            p.terminate()
            p.wait(10)

        # Idle CPU over idle_seconds, after the first frames have settled.
        p = subprocess.Popen(base, stdout=subprocess.PIPE, text=True, env=x.env())
        wait_line(p, "trace first_frame_ns=")
        time.sleep(3)
        c0, t0 = cpu_ticks(p.pid), time.monotonic()
        time.sleep(a.idle_seconds)
        c1, t1 = cpu_ticks(p.pid), time.monotonic()
        idle_cpu = 100.0 * (c1 - c0) / CLK_TCK / (t1 - t0)
        p.terminate()
        p.wait(10)

        # Card event -> decision frame over N taps (the script runner waits for each to settle).
        script = tmp + "/taps.script"
        with open(script, "w") as f:
            for i in range(a.taps):
                f.write("tap 04D0000000000001\n" if i % 2 == 0 else "tap 04D0000000000005\n")
            f.write("quit\n")
        p = subprocess.run(base + ["--script", script],
                           capture_output=True, text=True, env=x.env(), timeout=600)
        if p.returncode != 0:
            sys.exit(f"kiosk_perf: the tap script failed: {p.stderr}")
        lat, worker, draw = [], [], []
        for line in p.stdout.splitlines():
            if line.startswith("trace decision_frame"):
                kv = dict(w.split("=") for w in line.split()[2:])
                lat.append((int(kv["presented_ns"]) - int(kv["queued_ns"])) / 1e6)
                worker.append((int(kv["answered_ns"]) - int(kv["queued_ns"])) / 1e6)
                draw.append((int(kv["presented_ns"]) - int(kv["answered_ns"])) / 1e6)
        lat.sort()
        worker.sort()
        draw.sort()
        p99 = pct(lat, 0.99)

    load = os.getloadavg()
    print(f"kiosk_perf (Xvfb + Mesa, demo data, {os.cpu_count()} cores, nice "
          f"{0 if a.nice is None else a.nice}, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})")
    print(f"  exec -> first frame: median {statistics.median(starts):.0f} ms, max "
          f"{max(starts):.0f} ms over {len(starts)} starts (target <= 400 ms); CPU time used by "
          f"then: median {statistics.median(cpu_starts):.0f} ms")
    if floor_imgui is not None and floor_bare is not None:
        print(f"    Mesa/GL floor (gl_start_floor, median of 5): GLFW + OpenGL 3 context + Dear ImGui's "
              f"backend + one frame {floor_imgui:.0f} ms; a bare GLFW window cleared and swapped "
              f"{floor_bare:.0f} ms")
    print(f"    full atlas (Japanese + CP932) in after: median {statistics.median(full_ms):.0f} ms")
    print(f"  RSS with the Japanese fonts (full atlas in, +0.5 s): {max(rss):.0f} MB "
          f"(target <= 150 MB); peak during start-up {max(peak):.0f} MB")
    print(f"  idle CPU over {a.idle_seconds:.0f} s: {idle_cpu:.2f} % of a core (target <= 1 %)")
    print(f"  card event -> decision frame over {len(lat)} taps: p50 "
          f"{statistics.median(lat):.1f} ms, p99 {p99:.1f} ms, max {max(lat):.1f} ms "
          f"(target p99 <= 50 ms)")
    print(f"    of which queue -> decision back from the worker (Gatekeeper, durable audit row): "
          f"p50 {statistics.median(worker):.1f} ms, p99 {pct(worker, 0.99):.1f} ms; "
          f"answer -> frame presented: p50 {statistics.median(draw):.1f} ms, "
          f"p99 {pct(draw, 0.99):.1f} ms")


if __name__ == "__main__":
    main()
