#!/usr/bin/env python3
"""Altering, deleting or reordering an audit row behind the kiosk's back (with the sqlite3 tool,
after dropping the guard triggers) makes `kioskctl audit verify` fail and name the first bad row.
Usage: test_audit_tamper.py BUILD_DIR"""
import os, shutil, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
feed = h.write_feed("feed.csv", ["A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
                                 "A-1,Taro,Example,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01"])
h.sign(feed, 1)
h.kc("init")
h.kc("sync", feed, "--pubkey", h.pub, "--at", AT)
h.kc("enroll", "--card", "04A1B2C3D4E5F6", "--trainee", "A-1")
for _ in range(8):
    h.kc("decide", "--card", "04A1B2C3D4E5F6", "--at", AT, "--json")
p = h.kc("audit", "verify")
h.check(p.returncode == 0, f"untouched chain verifies: {p.stdout.strip()}")
audit = os.path.join(h.data, "kiosk.db")

def sql(db, statement):
    return subprocess.run(["sqlite3", db, statement], capture_output=True, text=True)

p = sql(audit, "UPDATE events SET outcome='grant' WHERE seq=5")
h.check(p.returncode != 0, f"the guard trigger refuses UPDATE: {p.stderr.strip()}")
p = sql(audit, "DELETE FROM events WHERE seq=5")
h.check(p.returncode != 0, f"the guard trigger refuses DELETE: {p.stderr.strip()}")
triggers = sql(audit, "SELECT name FROM sqlite_master WHERE type='trigger'").stdout.split()
drop = ";".join(f"DROP TRIGGER {t}" for t in triggers)

def tampered(what, statement, row):
    copy = os.path.join(h.work, what.replace(" ", "_"))
    shutil.copytree(h.data, copy)
    db = os.path.join(copy, "kiosk.db")
    r = sql(db, drop + ";" + statement)
    h.check(r.returncode == 0, f"{what}: tampering applied ({r.stderr.strip()})")
    p = subprocess.run([h.kioskctl, "--data-dir", copy, "audit", "verify"], capture_output=True, text=True)
    h.check(p.returncode == 1 and f"row {row}" in p.stderr,
            f"{what}: verify fails naming row {row}: {p.stderr.strip()}")

tampered("altered outcome", "UPDATE events SET outcome='tampered' WHERE seq=5", 5)
tampered("altered detail", "UPDATE events SET detail='{}' WHERE seq=7", 7)
tampered("deleted row", "DELETE FROM events WHERE seq=4", 4)
tampered("reordered rows",
         "UPDATE events SET seq=-1 WHERE seq=3; UPDATE events SET seq=3 WHERE seq=6; UPDATE events SET seq=6 WHERE seq=-1", 3)
tampered("rehashed row without the chain", "UPDATE events SET row_hash=prev_hash WHERE seq=2", 2)
h.finish()
