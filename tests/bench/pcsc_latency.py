#!/usr/bin/env python3
"""Issue 4 "Speed": card-reader figures with the real pcscd + vpcd and the test card emulator.

    python3 tests/bench/pcsc_latency.py BUILD_DIR [--taps 200] [--idle 60] [--recoveries 5]

Prints (no assertions; the target for the first is p99 <= 5 ms):
  - reader latency: queued_at - detected_at per tap (connect + GET UID + queue push), p50/p99/max;
  - pcscd's own insert -> event latency (card connects to vpcd -> SCardGetStatusChange returns);
  - idle CPU of the "pcsc-reader" thread (and the whole probe) over --idle seconds;
  - recovery: pcscd ready -> ReaderAvailable, and pcscd ready -> first tap read (card inserted
    at once when pcscd is ready; includes pcscd's 400 ms vpcd poll).
"""
import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pcscd_fixture import Pcscd  # noqa: E402
from reader_probe import Probe  # noqa: E402
from vpcd_card import ATR_FELICA, ATR_MIFARE_1K, VirtualCard  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s))) - 1))]


def summary(name, values, unit):
    print(f"{name:<42} n={len(values):<4} p50={pct(values, 50):8.3f} {unit}  "
          f"p99={pct(values, 99):8.3f} {unit}  max={max(values):8.3f} {unit}  "
          f"mean={statistics.mean(values):8.3f} {unit}")


def cpu_ticks(pid, thread_name=None):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            if thread_name and comm != thread_name:
                continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total


def taps(build, n):
    probe = Probe(build)
    reader_ms, pcscd_ms, uid_read_ms = [], [], []
    try:
        probe.expect("reader-available")
        cards = [VirtualCard("04A1B2C3D4E5F6", ATR_MIFARE_1K),
                 VirtualCard("0123456789ABCDEF", ATR_FELICA)]
        for i in range(n):
            card = cards[i % 2]
            # pcscd polls vpcd every 400 ms: insert at a random phase of that poll.
            time.sleep(random.uniform(0, 0.4))
            inserted = card.insert()
            e = probe.expect("card-presented")
            reader_ms.append(e["latency_us"] / 1000)
            detected = e["detected_mono_us"] / 1e6
            pcscd_ms.append((detected - inserted) * 1000)
            uid_read_ms.append((card.last_get_uid_at - detected) * 1000)
            card.remove()
            probe.expect("card-removed")
        probe.stop()
    finally:
        probe.kill()
    summary("reader latency (queued - detected)", reader_ms, "ms")
    summary("  of which detected -> GET UID at card", uid_read_ms, "ms")
    summary("pcscd insert -> event", pcscd_ms, "ms")


def idle_cpu(build, seconds):
    probe = Probe(build)
    try:
        probe.expect("reader-available")
        time.sleep(1.0)
        pid = probe.pid()
        t0, r0, p0 = time.monotonic(), cpu_ticks(pid, "pcsc-reader"), cpu_ticks(pid)
        time.sleep(seconds)
        t1, r1, p1 = time.monotonic(), cpu_ticks(pid, "pcsc-reader"), cpu_ticks(pid)
        probe.stop()
    finally:
        probe.kill()
    wall = t1 - t0
    print(f"idle CPU over {wall:.0f} s: pcsc-reader thread {(r1 - r0) / CLK_TCK * 1000:.0f} ms "
          f"({(r1 - r0) / CLK_TCK / wall * 100:.3f} %), whole probe "
          f"{(p1 - p0) / CLK_TCK * 1000:.0f} ms ({(p1 - p0) / CLK_TCK / wall * 100:.3f} %) "
          f"[clock tick {1000 // CLK_TCK} ms]")


def recovery(build, pcscd, rounds):
    to_available, to_tap = [], []
    probe = Probe(build)
    try:
        probe.expect("reader-available")
        for _ in range(rounds):
            pcscd.kill()
            probe.expect("reader-lost", timeout=2.0)
            time.sleep(0.5)
            ready = pcscd.start()
            card = VirtualCard("04A1B2C3D4E5F6", ATR_MIFARE_1K)
            card.insert()
            e = probe.expect("reader-available", timeout=3.0)
            to_available.append((e["detected_mono_us"] / 1e6 - ready) * 1000)
            e = probe.expect("card-presented", timeout=3.0)
            to_tap.append((e["seen_at"] - ready) * 1000)
            card.remove()
            probe.expect("card-removed")
        probe.stop()
    finally:
        probe.kill()
    summary("recovery: pcscd ready -> reader available", to_available, "ms")
    summary("recovery: pcscd ready -> first tap read", to_tap, "ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--taps", type=int, default=200)
    ap.add_argument("--idle", type=float, default=60)
    ap.add_argument("--recoveries", type=int, default=5)
    args = ap.parse_args()
    with Pcscd() as pcscd:
        taps(args.build_dir, args.taps)
        recovery(args.build_dir, pcscd, args.recoveries)
        idle_cpu(args.build_dir, args.idle)


if __name__ == "__main__":
    main()
