#!/usr/bin/env python3
"""Issue 9 items 5 and 9: old files copied back are refused, by file copies through the real
kioskctl. Item 5 — the highest snapshot sequence ever applied is known outside the mirror (the
audit trail): an older mirror.db copied back makes every decision a KIOSK_FAULT naming the
sequences and how to recover, `status` says so, and re-syncing the current snapshot restores it;
mirror.db deleted + `init` + an older signed snapshot is refused with the same advice, and the
current one is accepted. Item 9 — after kiosk.db (the audit chain) is rolled back (an older copy put back), the
next sync refuses, says so, and leaves audit-head.txt (the evidence) as it was; `audit verify
--head` names the missing rows. Usage: test_sync_rollback.py BUILD_DIR"""
import json, os, shutil, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
UID = "04A1B2C3D4E5F6"
ROWS = ["A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
        "A-1,Taro,Example,SYSOP,PMDA,C-2,2024-06-01,{},,2023-04-01",
        "B-2,Hanako,Example,OVERVIEW,PMDA,C-3,2024-05-01,issued,,2023-04-01"]


def feed(name, seq, generated_at, sysop):
    rows = [r.format(sysop) for r in ROWS]
    return h.sign(h.write_feed(name, rows), seq, generated_at)


feed1 = feed("feed1.csv", 1, "2026-11-23T02:00:00+09:00", "issued")
feed2 = feed("feed2.csv", 2, "2026-11-24T02:00:00+09:00", "revoked")  # A-1's SYSOP revoked
feed3 = feed("feed3.csv", 3, "2026-11-24T03:00:00+09:00", "revoked")


def decide():
    p = h.kc("decide", "--card", UID, "--at", AT, "--json")
    return json.loads(p.stdout) if p.stdout.strip() else {"error": p.stderr.strip()}


def codes(d):
    return [r.get("code") for r in d.get("reasons", [])]


def put_back(src, name):
    """An older copy of a store put back while nothing runs (plain file copy)."""
    for suffix in ("-wal", "-shm"):
        if os.path.exists(os.path.join(h.data, name + suffix)):
            os.remove(os.path.join(h.data, name + suffix))
    shutil.copy2(src, os.path.join(h.data, name))


h.check(h.kc("init").returncode == 0, "init")
p = h.kc("sync", feed1, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"sync sequence 1: {p.stderr.strip()}")
h.check(h.kc("enroll", "--card", UID, "--trainee", "A-1").returncode == 0, "enroll A-1")
h.check(decide().get("decision") == "grant", "sequence 1: A-1 is granted")
old_mirror = os.path.join(h.work, "mirror-seq1.db")
shutil.copy2(os.path.join(h.data, "mirror.db"), old_mirror)
old_audit = os.path.join(h.work, "audit-old.db")
shutil.copy2(os.path.join(h.data, "kiosk.db"), old_audit)

p = h.kc("sync", feed2, "--at", AT)
h.check(p.returncode == 0, f"sync sequence 2: {p.stderr.strip()}")
d = decide()
h.check(d.get("decision") == "deny" and "CERT_REVOKED" in codes(d),
        f"sequence 2: A-1 is refused CERT_REVOKED: {d}")

# ---- item 5: an older mirror.db copied back -------------------------------------------------
put_back(old_mirror, "mirror.db")
d = decide()
h.check(d.get("decision") == "deny" and "KIOSK_FAULT" in codes(d),
        f"older mirror.db copied back: the decision is a KIOSK_FAULT refusal, not a grant: {d}")
rows = h.audit_rows()
last = rows[-1] if rows else {}
h.check("sequence 2" in last.get("detail", "") and "kioskctl sync" in last.get("detail", ""),
        f"the refusal's audit row names the applied sequence and how to recover: {last.get('detail', '')[:300]}")
p = h.kc("status", "--at", AT, "--json")
st = json.loads(p.stdout) if p.returncode == 0 else {}
h.check(any("sequence 2" in f for f in st.get("faults", [])),
        f"status --json lists the rollback as a fault: {st.get('faults', p.stderr.strip())}")
p = h.kc("status", "--at", AT)
h.check("FAULT" in p.stdout and "older" in p.stdout, f"status says so to staff: {p.stdout[:300]!r}")
p = h.kc("sync", feed1, "--at", AT, "--full-compare")
h.check(p.returncode == 1 and "highest this kiosk has applied" in p.stderr,
        f"--full-compare of the old snapshot the copy holds is refused: {p.stderr.strip()}")
p = h.kc("sync", feed2, "--at", AT)
h.check(p.returncode == 0, f"re-syncing the highest applied snapshot (sequence 2) restores it: {p.stderr.strip()}")
d = decide()
h.check(d.get("decision") == "deny" and codes(d) == ["CERT_REVOKED"],
        f"restored: A-1 is refused CERT_REVOKED again, no fault: {d}")

# ---- item 5: mirror.db deleted, init, an older signed snapshot -------------------------------
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(os.path.join(h.data, "mirror.db" + suffix)):
        os.remove(os.path.join(h.data, "mirror.db" + suffix))
p = h.kc("init")
h.check(p.returncode == 0, f"init re-creates an empty mirror: {p.stderr.strip()}")
d = decide()
h.check("KIOSK_FAULT" in codes(d), f"the re-created empty mirror is a fault too: {d}")
p = h.kc("sync", feed1, "--at", AT)
h.check(p.returncode == 1 and "sequence 1 is older than sequence 2" in p.stderr and
        "sequence 2 or newer" in p.stderr,
        f"an older signed snapshot into the re-created mirror is refused with the way out: {p.stderr.strip()}")
p = h.kc("sync", feed3, "--at", AT)
h.check(p.returncode == 0, f"the current snapshot (sequence 3) is accepted: {p.stderr.strip()}")
h.check(codes(decide()) == ["CERT_REVOKED"], "and decisions are back to normal")

# ---- item 9: kiosk.db (the audit chain) rolled back: the head export refuses ----------------------------------
head_file = os.path.join(h.data, "audit-head.txt")
head_before = open(head_file).read()
put_back(old_audit, "kiosk.db")
p = h.kc("sync", feed3, "--at", AT)
h.check(p.returncode == 1 and "no longer holds the previously exported head" in p.stderr,
        f"after kiosk.db (the audit chain) is rolled back, the sync refuses and says so: {p.stderr.strip()}")
h.check(open(head_file).read() == head_before,
        "audit-head.txt is kept as it was (the evidence of the rollback)")
p = h.kc("audit", "verify", "--head", head_file)
h.check(p.returncode == 1 and "missing" in p.stderr, f"audit verify --head names it: {p.stderr.strip()}")
h.finish()
