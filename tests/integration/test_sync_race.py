#!/usr/bin/env python3
"""Issue 9 item 1: two syncs at once never put an older snapshot back. Each round starts from a
copy of a data dir at sequence 1 and runs two real `kioskctl sync` processes together: the nightly
one (sequence 3, trainee A-1's SYSOP certificate revoked) and a manual one of an older snapshot
(sequence 2, still issued), started a few milliseconds apart in either order. Whatever the
interleaving, the mirror must end on sequence 3 (A-1 refused, CERT_REVOKED): the loser is either
applied first and superseded, or refused naming the sequence. Bounded: ROUNDS rounds, at most
150 s. Usage: test_sync_race.py BUILD_DIR [ROUNDS]"""
import json, os, random, shutil, sqlite3, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 24
BULK = 6000  # trainees: enough that verifying and reading a snapshot takes a while


def rows(sysop_status):
    out = ["A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
           f"A-1,Taro,Example,SYSOP,PMDA,C-2,2024-06-01,{sysop_status},,2023-04-01"]
    out += [f"T-{i:06d},Name {i},Example,OVERVIEW,PMDA,CT-{i:06d},2024-05-01,issued,,2023-04-01"
            for i in range(BULK)]
    return out


feed1 = h.sign(h.write_feed("feed1.csv", rows("issued")), 1, "2026-11-23T02:00:00+09:00")
feed2 = h.sign(h.write_feed("feed2.csv", rows("issued")), 2, "2026-11-23T14:00:00+09:00")
feed3 = h.sign(h.write_feed("feed3.csv", rows("revoked")), 3, "2026-11-24T02:00:00+09:00")

p = h.kc("init")
h.check(p.returncode == 0, f"init: {p.stderr.strip()}")
p = h.kc("sync", feed1, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"baseline sync of sequence 1: {p.stderr.strip()}")
baseline = os.path.join(h.work, "baseline")
shutil.copytree(h.data, baseline)  # no kioskctl runs now: plain file copies are whole


def sequence(data):
    con = sqlite3.connect(os.path.join(data, "mirror.db"))
    try:
        return con.execute("SELECT sequence FROM feed_state").fetchone()[0]
    finally:
        con.close()


t0 = time.monotonic()
older_back = 0
orders = {"older refused": 0, "older applied first": 0}
for rnd in range(ROUNDS):
    if time.monotonic() - t0 > 150:
        h.check(False, f"bounded time: only {rnd} of {ROUNDS} rounds in 150 s")
        break
    data = os.path.join(h.work, f"round{rnd}")
    shutil.copytree(baseline, data)
    cmd = lambda feed: [h.kioskctl, "--data-dir", data, "sync", feed, "--at", AT, "--json"]
    first, second = (feed3, feed2) if rnd % 2 == 0 else (feed2, feed3)
    a = subprocess.Popen(cmd(first), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(random.uniform(0, 0.03))
    b = subprocess.Popen(cmd(second), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for proc, feed in ((a, first), (b, second)):
        so, se = proc.communicate(timeout=120)
        out[feed] = (proc.returncode, so, se)
    seq = sequence(data)
    if seq != 3:
        older_back += 1
    rc2, _, err2 = out[feed2]
    if rc2 == 0:
        orders["older applied first"] += 1
    else:
        orders["older refused"] += 1
        if "sequence 2" not in err2 and "replayed" not in err2:
            h.check(False, f"round {rnd}: the older sync's refusal names why: {err2.strip()[:200]}")
    if out[feed3][0] != 0:
        h.check(False, f"round {rnd}: the nightly sync (sequence 3) applies: {out[feed3][2][:200]}")
    shutil.rmtree(data)

h.check(older_back == 0,
        f"the mirror ended on sequence 3 in every round (older snapshot put back in {older_back} "
        f"of {ROUNDS}; outcomes {orders})")

# And the decision on a round's final state: A-1 is refused for the revoked certificate.
data = os.path.join(h.work, "final")
shutil.copytree(baseline, data)
procs = [subprocess.Popen([h.kioskctl, "--data-dir", data, "sync", f, "--at", AT],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in (feed3, feed2)]
for pr in procs:
    pr.communicate(timeout=120)
p = subprocess.run([h.kioskctl, "--data-dir", data, "decide", "--trainee", "A-1", "--at", AT,
                    "--json"], capture_output=True, text=True, timeout=60)
d = json.loads(p.stdout) if p.stdout.strip() else {}
h.check(d.get("decision") == "deny" and
        any(r.get("code") == "CERT_REVOKED" for r in d.get("reasons", [])),
        f"after both syncs A-1 is refused CERT_REVOKED: {d or p.stderr.strip()}")
h.finish()
