#!/usr/bin/env python3
"""Issue 9 item 12 (sync and audit parts): only regular files, with bounded reads. Through the real
kioskctl, each of /dev/zero, a FIFO with no writer, and a directory, given as the snapshot, its
signature, the public key, or the head for `audit verify --head`, is refused within seconds with
one line naming the file and what it is; the stores are unchanged. A command still running after
15 s is killed and counted as a failure. Usage: test_sync_special_files.py BUILD_DIR"""
import os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
good = h.sign(h.write_feed("good.csv", [
    "A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"]), 1)
h.check(h.kc("init").returncode == 0, "init")
fifo = os.path.join(h.work, "feed.fifo")
os.mkfifo(fifo)
folder = os.path.join(h.work, "folder.csv")
os.mkdir(folder)
sig_for_zero = os.path.join(h.work, "zero.minisig")
with open(good + ".minisig", "rb") as src, open(sig_for_zero, "wb") as dst:
    dst.write(src.read())


def run(what, args, want):
    before = h.fingerprint()
    t0 = time.monotonic()
    try:
        p = subprocess.run([h.kioskctl, "--data-dir", h.data] + args, capture_output=True,
                           text=True, timeout=15)
    except subprocess.TimeoutExpired:
        h.check(False, f"{what}: refused at once (still running after 15 s)")
        return
    took = time.monotonic() - t0
    h.check(p.returncode == 1 and want in p.stderr and took < 10,
            f"{what}: exit {p.returncode} in {took:.2f} s, {p.stderr.strip()[:200]!r}")
    h.check(h.fingerprint() == before, f"{what}: mirror.db and local.db unchanged")


run("sync /dev/zero (with a real signature)",
    ["sync", "/dev/zero", "--sig", sig_for_zero, "--pubkey", h.pub, "--at", AT],
    "/dev/zero: it is a character device, not a regular file")
run("sync of a FIFO as the snapshot",
    ["sync", fifo, "--sig", good + ".minisig", "--pubkey", h.pub, "--at", AT],
    "it is a FIFO (named pipe), not a regular file")
run("sync of a directory as the snapshot",
    ["sync", folder, "--sig", good + ".minisig", "--pubkey", h.pub, "--at", AT],
    "it is a directory, not a regular file")
run("a FIFO as the signature", ["sync", good, "--sig", fifo, "--pubkey", h.pub, "--at", AT],
    "it is a FIFO (named pipe), not a regular file")
run("/dev/zero as the signature",
    ["sync", good, "--sig", "/dev/zero", "--pubkey", h.pub, "--at", AT],
    "it is a character device")
run("a FIFO as the public key", ["sync", good, "--pubkey", fifo, "--at", AT],
    "it is a FIFO (named pipe), not a regular file")
run("a directory as the public key", ["sync", good, "--pubkey", folder, "--at", AT],
    "it is a directory")
run("audit verify --head /dev/zero", ["audit", "verify", "--head", "/dev/zero"],
    "it is a character device, not a regular file")
run("audit verify --head FIFO", ["audit", "verify", "--head", fifo], "FIFO")
run("audit verify --head DIR", ["audit", "verify", "--head", folder], "it is a directory")
p = h.kc("sync", good, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"the regular files then sync: {p.stderr.strip()}")
h.finish()
