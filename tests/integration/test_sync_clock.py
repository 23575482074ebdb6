#!/usr/bin/env python3
"""Issue 9 item 11: a clock clearly behind the newest snapshot or audit row is a fault, not a
fresh mirror. Through the real kioskctl, with the system clock set back by Debian's `faketime`
(LD_PRELOAD; the real binary is unchanged): a decision at a time more than an hour before the
mirror's snapshot is a KIOSK_FAULT refusal naming the clock (was: a grant, the age counting as
negative); a sync with the clock behind the mirror's snapshot, or behind the newest audit row, is
refused naming the wrong clock (not "from the future") and audited; `status` tells staff. With the
clock right again everything works. Usage: test_sync_clock.py BUILD_DIR"""
import json, os, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
ROWS = ["A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
        "A-1,Taro,Example,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01"]
feed1 = h.sign(h.write_feed("feed1.csv", ROWS), 1, "2026-11-24T02:00:00+09:00")
feed2 = h.sign(h.write_feed("feed2.csv", ROWS), 2, "2026-11-24T20:00:00+09:00")
env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")


def at_clock(when, *args):
    """kioskctl with the system clock at `when` (faketime's absolute start time, then ticking)."""
    return subprocess.run(["faketime", when, h.kioskctl, "--data-dir", h.data] + list(args),
                          capture_output=True, text=True, timeout=60, env=env)


def codes(d):
    return [r.get("code") for r in d.get("reasons", [])]


h.check(h.kc("init").returncode == 0, "init")
p = h.kc("sync", feed1, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"sync (snapshot generated 2026-11-24 02:00 JST): {p.stderr.strip()}")
p = at_clock("2026-11-24 01:30:00", "--version")  # faketime works on this machine
d = json.loads(h.kc("decide", "--trainee", "A-1", "--at", AT, "--json").stdout)
h.check(d.get("decision") == "grant", f"at a sane time A-1 is granted: {d}")

# Decisions: a clock far behind the snapshot the mirror holds.
p = at_clock("2026-01-01 00:00:00", "decide", "--trainee", "A-1", "--json")
d = json.loads(p.stdout) if p.stdout.strip() else {}
h.check(d.get("decision") == "deny" and codes(d) == ["KIOSK_FAULT"],
        f"clock set back to 2026-01-01: the decision is a KIOSK_FAULT refusal, not a grant: {d or p.stderr.strip()}")
rows = h.audit_rows()
h.check(rows and "clock is wrong" in rows[-1].get("detail", ""),
        f"its audit row names the clock: {rows[-1].get('detail', '')[:200] if rows else ''}")
p = h.kc("decide", "--trainee", "A-1", "--at", "2026-11-20T10:00:00+09:00", "--json")
d = json.loads(p.stdout) if p.stdout.strip() else {}
h.check(codes(d) == ["KIOSK_FAULT"], f"--at days before the snapshot is the same fault: {d}")

# Syncs: refused loudly, naming the clock, and audited.
p = at_clock("2026-01-01 00:00:00", "sync", feed2)
h.check(p.returncode == 1 and "clock is wrong" in p.stderr and "timedatectl" in p.stderr,
        f"a sync with the clock behind the mirror's snapshot is refused naming the clock: {p.stderr.strip()[-300:]}")
rows = h.audit_rows()
h.check(rows and rows[-1].get("kind") == "sync.rejected" and "clock is wrong" in rows[-1].get("detail", ""),
        "the refused sync is audited with the reason")
p = at_clock("2026-01-01 00:00:00", "status")
h.check("FAULT" in p.stdout and "clock is wrong" in p.stdout, f"status tells staff: {p.stdout[:300]!r}")
p = at_clock("2026-01-01 00:00:00", "status", "--json")
st = json.loads(p.stdout) if p.returncode == 0 else {}
h.check(any("clock is wrong" in f for f in st.get("faults", [])), f"status --json faults: {st.get('faults')}")

# Behind the latest audit row (the sync and decisions at 2026-11-24 10:00 JST), though not behind
# the snapshot (02:00 JST): 05:00 JST. faketime's times are the machine's zone (UTC).
p = at_clock("2026-11-23 20:00:00", "sync", feed2)
h.check(p.returncode == 1 and "latest audit row" in p.stderr,
        f"a sync with the clock behind the latest audit row is refused naming it: {p.stderr.strip()[-300:]}")
p = at_clock("2026-11-23 20:00:00", "status")
h.check("FAULT" in p.stdout and "latest audit row" in p.stdout, f"status says so: {p.stdout[:300]!r}")

# The clock right again: the sync applies and status has no fault.
p = h.kc("sync", feed2)
h.check(p.returncode == 0, f"with the real clock the sync applies: {p.stderr.strip()}")
p = h.kc("status", "--json")
h.check(p.returncode == 0 and json.loads(p.stdout).get("faults") == [], f"no fault: {p.stdout[-200:]}")
h.finish()
