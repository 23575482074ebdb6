#!/usr/bin/env python3
"""After every sync, applied or rejected, kioskctl prints the audit chain head and writes it to
DATA_DIR/audit-head.txt; `kioskctl audit verify --head FILE` then detects removal of the newest
audit rows (done with the sqlite3 tool after dropping the guard triggers), which the chain alone
cannot see. `kioskctl status` (text and --json) shows the last sync applied and the last failure,
read from the audit trail. Usage: test_sync_status.py BUILD_DIR"""
import json, os, re, shutil, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
ROWS = ["A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
        "A-1,Taro,Example,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01"]
feed = h.sign(h.write_feed("feed.csv", ROWS), 7)
head_file = os.path.join(h.data, "audit-head.txt")
HEAD = re.compile(r"^audit head: seq (\d+) hash ([0-9a-f]{64})$", re.M)

h.kc("init")
p = h.kc("status", "--json")
st = json.loads(p.stdout) if p.returncode == 0 else {}
h.check(st.get("sync") == {"last_applied": None, "last_rejected": None},
        f"status before any sync: no last sync ({st.get('sync')})")

p = h.kc("sync", feed, "--pubkey", h.pub, "--at", AT)
m = HEAD.search(p.stdout)
h.check(p.returncode == 0 and m, f"an applied sync prints the audit head: {p.stdout.strip()[-120:]!r}")
applied_seq = int(m.group(1)) if m else -1
h.check(os.path.exists(head_file) and open(head_file).read().strip() == (m.group(0) if m else None),
        "audit-head.txt holds the printed head")
rows = h.audit_rows()
h.check(rows and rows[-1]["seq"] == applied_seq and rows[-1]["row_hash"] == (m.group(2) if m else ""),
        "the head is the newest audit row (sync.applied)")

# A rejected sync (a replay of sequence 7) exports the head too.
p = h.kc("sync", feed, "--at", AT)
m2 = HEAD.search(p.stdout)
h.check(p.returncode == 1 and m2 and int(m2.group(1)) == applied_seq + 1,
        f"a rejected sync prints the new head: {p.stdout.strip()[-100:]!r}")
h.check(open(head_file).read().strip() == (m2.group(0) if m2 else None),
        "audit-head.txt is replaced by the rejected sync's head")
h.check(not [f for f in os.listdir(h.data) if f.startswith("audit-head.txt.tmp")],
        "no temporary of the atomic write is left")
p = h.kc("sync", feed, "--at", AT, "--json")
j = json.loads(p.stdout) if p.stdout.strip() else {}
h.check(p.returncode == 1 and j.get("audit_head", {}).get("seq") == applied_seq + 2,
        f"--json carries the head: {j.get('audit_head')}")
head_seq = applied_seq + 2

p = h.kc("status")
h.check(p.returncode == 0 and re.search(r"last sync\s+applied .*: sequence 7 from .*feed\.csv", p.stdout)
        and re.search(r"last fail\s+.*sequence 7", p.stdout),
        f"status shows the last sync and the last failure:\n{p.stdout}")
p = h.kc("status", "--json")
st = json.loads(p.stdout) if p.returncode == 0 else {}
la, lr = (st.get("sync") or {}).get("last_applied") or {}, (st.get("sync") or {}).get("last_rejected") or {}
h.check(la.get("sequence") == 7 and la.get("audit_seq") == applied_seq and la.get("at", "").startswith("2026-11-24"),
        f"status --json last_applied: {la}")
h.check(lr.get("audit_seq") == head_seq and "7" in lr.get("reason", "") and lr.get("at"),
        f"status --json last_rejected: {lr}")

# More events after the export are fine: the exported row is still there with its hash.
h.kc("enroll", "--card", "04A1B2C3D4E5F6", "--trainee", "A-1")
for _ in range(3):
    h.kc("decide", "--card", "04A1B2C3D4E5F6", "--at", AT)
p = h.kc("audit", "verify", "--head", head_file)
h.check(p.returncode == 0 and f"holds exported row {head_seq}" in p.stdout,
        f"verify --head passes on an intact trail: {p.stdout.strip()} {p.stderr.strip()}")


def sql(db, statement):
    return subprocess.run(["sqlite3", db, statement], capture_output=True, text=True)


def tampered(what, statement, expect):
    copy = os.path.join(h.work, what.replace(" ", "_"))
    shutil.copytree(h.data, copy)
    db = os.path.join(copy, "kiosk.db")
    triggers = sql(db, "SELECT name FROM sqlite_master WHERE type='trigger'").stdout.split()
    r = sql(db, ";".join(f"DROP TRIGGER {t}" for t in triggers) + ";" + statement)
    h.check(r.returncode == 0, f"{what}: tampering applied ({r.stderr.strip()})")
    plain = subprocess.run([h.kioskctl, "--data-dir", copy, "audit", "verify"],
                           capture_output=True, text=True)
    p = subprocess.run([h.kioskctl, "--data-dir", copy, "audit", "verify", "--head", head_file],
                       capture_output=True, text=True)
    h.check(plain.returncode == 0, f"{what}: the chain alone still verifies ({plain.stdout.strip()[:60]})")
    h.check(p.returncode == 1 and expect in p.stderr, f"{what}: verify --head fails: {p.stderr.strip()}")


tampered("newest rows deleted", f"DELETE FROM events WHERE seq >= {head_seq - 1}",
         f"row {head_seq} of the exported head is missing: the trail ends at row {head_seq - 2}")

# A head file that is not one is refused with a clear message.
bad = os.path.join(h.work, "bad-head.txt")
open(bad, "w").write("nonsense\n")
h.expect_error("verify --head with a malformed file", h.kc("audit", "verify", "--head", bad), 1,
               contains="not an audit head")
h.finish()
