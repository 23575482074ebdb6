#!/usr/bin/env python3
"""Issue 9 item 10: a NULL digest never switches off the hand-edit check. Through the real kioskctl:
A-1's SYSOP certificate is revoked in the signed snapshot (refused CERT_REVOKED); mirror.db is
then edited by hand to make it issued, with A-1's digest set to NULL -> the tap is a KIOSK_FAULT
refusal naming the missing digest, not a grant; B-2 is unaffected; `sync --full-compare` restores
the record and A-1 is refused CERT_REVOKED again. Usage: test_sync_null_digest.py BUILD_DIR"""
import json, os, sqlite3, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
feed = h.sign(h.write_feed("feed.csv", [
    "A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
    "A-1,Taro,Example,SYSOP,PMDA,C-2,2024-06-01,revoked,,2023-04-01",
    "B-2,Hanako,Example,OVERVIEW,PMDA,C-3,2024-05-01,issued,,2023-04-01",
    "B-2,Hanako,Example,SYSOP,PMDA,C-4,2024-06-01,issued,,2023-04-01"]), 1)
h.check(h.kc("init").returncode == 0, "init")
p = h.kc("sync", feed, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"sync: {p.stderr.strip()}")


def decide(no):
    p = h.kc("decide", "--trainee", no, "--at", AT, "--json")
    return json.loads(p.stdout) if p.stdout.strip() else {"error": p.stderr.strip()}


def codes(d):
    return [r.get("code") for r in d.get("reasons", [])]


h.check(codes(decide("A-1")) == ["CERT_REVOKED"], "before: A-1 is refused CERT_REVOKED")
con = sqlite3.connect(os.path.join(h.data, "mirror.db"))
con.execute("UPDATE certificates SET status = 'issued' WHERE certificate_no = 'C-2'")
con.execute("UPDATE trainees SET digest = NULL WHERE trainee_no = 'A-1'")
con.commit()
con.close()
d = decide("A-1")
h.check(d.get("decision") == "deny" and codes(d) == ["KIOSK_FAULT"],
        f"edited record with its digest set to NULL: KIOSK_FAULT, not a grant: {d}")
rows = h.audit_rows()
h.check(rows and "has no digest" in rows[-1].get("detail", ""),
        f"the audit row says the record has no digest: {rows[-1].get('detail', '')[:200] if rows else ''}")
h.check(decide("B-2").get("decision") == "grant", "B-2 is unaffected")
p = h.kc("sync", feed, "--at", AT, "--full-compare")
h.check(p.returncode == 0, f"sync --full-compare repairs it: {p.stderr.strip()}")
h.check(codes(decide("A-1")) == ["CERT_REVOKED"], "after the repair: CERT_REVOKED again")
h.finish()
