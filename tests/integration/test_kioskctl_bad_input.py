#!/usr/bin/env python3
"""Bad input at kioskctl's boundaries gets one clear line on stderr, exit 1 (2 for usage), and
leaves every store as it was: unsigned, tampered, replayed, legacy-signed, future-dated, older and
malformed snapshots (each defect of product.md section 3 alone: header only, missing column,
duplicate certificate number, disagreeing trainee columns, quoting, field lengths, NUL, field
count, status, impossible date, bare CR); unknown, malformed and over-long card UIDs; unknown trainee numbers; a missing
data directory; a corrupt config file; a database from a newer schema version.
Usage: test_kioskctl_bad_input.py BUILD_DIR"""
import os, shutil, sqlite3, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
good = h.write_feed("good.csv", [
    "A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
    "A-1,山田 太郎,Example Pharma,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01",
    "A-2,Jane Doe,Example CRO,OVERVIEW,PMDA,C-3,2024-05-01,issued,,",
])
h.sign(good, 5)
h.check(h.kc("init").returncode == 0, "init")
p = h.kc("sync", good, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"first sync applies: {p.stderr.strip()}")
h.check(h.kc("enroll", "--card", "04A1B2C3D4E5F6", "--trainee", "A-1").returncode == 0, "enroll")
before = h.fingerprint()
audit_before = len(h.audit_rows())


def rejected_sync(what, path, *extra, contains=None, at=AT):
    p = h.kc("sync", path, "--pubkey", h.pub, "--at", at, *extra)
    h.expect_error(what, p, 1, contains)
    h.check(h.fingerprint() == before, f"{what}: mirror and local state unchanged")
    rows = h.audit_rows()
    h.check(rows and rows[-1]["kind"] == "sync.rejected", f"{what}: rejection audited")


# Unsigned: no .minisig beside the file.
unsigned = h.write_feed("unsigned.csv", ["A-3,X,Y,OVERVIEW,PMDA,C-9,2024-05-01,issued,,"])
rejected_sync("unsigned snapshot", unsigned, contains="minisig")
# Tampered after signing.
tampered = h.write_feed("tampered.csv", ["A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"])
h.sign(tampered, 6)
with open(tampered, "a") as f:
    f.write("A-2,Jane Doe,Example CRO,SYSOP,PMDA,C-7,2024-07-01,issued,,\n")
rejected_sync("tampered snapshot", tampered, contains="signature")
# Replayed: same sequence again, and a lower one.
rejected_sync("replayed snapshot (same sequence)", good, contains="sequence")
older = h.write_feed("older.csv", ["A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"])
h.sign(older, 4)
rejected_sync("replayed snapshot (lower sequence)", older, contains="sequence")
# Generated before the mirror's snapshot, and more than 1 h in the future.
back = h.write_feed("back.csv", ["A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"])
h.sign(back, 7, generated_at="2026-11-23T02:00:00+09:00")
rejected_sync("snapshot older than the mirror's", back, contains="older")
future = h.write_feed("future.csv", ["A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"])
h.sign(future, 8, generated_at="2026-11-24T11:30:00+09:00")
rejected_sync("snapshot dated in the future", future, contains="future")
# The legacy (not pre-hashed) signature form.
legacy = h.write_feed("legacy.csv", ["A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"])
h.sign(legacy, 9, legacy=True)
rejected_sync("legacy signature form", legacy, contains="legacy")
# Signed with another key.
other_pub, other_key = os.path.join(h.work, "other.pub"), os.path.join(h.work, "other.key")
subprocess.run(["minisign", "-G", "-W", "-p", other_pub, "-s", other_key], check=True, capture_output=True)
stranger = h.write_feed("stranger.csv", ["A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"])
h.sign(stranger, 10, key=other_key)
rejected_sync("snapshot signed with another key", stranger, contains="key")
p = h.kc("sync", stranger, "--pubkey", other_pub, "--at", AT)
h.expect_error("a --pubkey that differs from the pinned key", p, 1, contains="pinned")
h.check(h.fingerprint() == before, "other --pubkey: stores unchanged")
# Malformed rows: a bad date, a bad trainee number, a duplicate certificate number.
bad = h.write_feed("bad.csv", [
    "A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-13-01,issued,,2023-04-01",
    "A 2,Jane Doe,Example CRO,OVERVIEW,PMDA,C-3,2024-05-01,issued,,",
    "A-3,Someone,Example CRO,OVERVIEW,PMDA,C-3,2024-05-01,issued,,",
])
h.sign(bad, 11)
p = h.kc("sync", bad, "--pubkey", h.pub, "--at", AT)
h.expect_error("malformed snapshot", p, 1)
h.check("line 2, column completed_on" in p.stderr + p.stdout, f"malformed snapshot names line 2, column completed_on: {p.stderr[:300]!r}")
h.check(h.fingerprint() == before, "malformed snapshot: stores unchanged")
empty = h.write_feed("empty.csv", [], header="")
h.sign(empty, 12)
rejected_sync("empty snapshot", empty)

# Each defect of product.md section 3 alone in an otherwise good, properly signed snapshot: one
# clear message naming where, the stores unchanged, the rejection audited.
OK1 = "A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"
OK2 = "A-1,山田 太郎,Example Pharma,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01"
defects = [
    ("header-only snapshot", None, "header row but no data rows"),
    ("a required column missing from the header",
     ("trainee_no,name,course,certificate_no,completed_on\n", ["A-1,X,OVERVIEW,C-1,2024-05-01"]),
     "no status column"),
    ("duplicate certificate number", [OK1, "A-2,Jane Doe,Example CRO,SYSOP,PMDA,C-1,2024-06-01,issued,,"],
     "line 3, column certificate_no: 'C-1' is already used on line 2"),
    ("a trainee whose repeated columns disagree",
     [OK1, "A-1,山田 花子,Example Pharma,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01"],
     "line 3, column name: '山田 花子' differs from line 2"),
    ("an unterminated quote", [OK1, 'A-2,"Jane Doe,Example CRO,SYSOP,PMDA,C-7,2024-06-01,issued,,'],
     "line 3: a quoted field is never closed"),
    ("a quote inside an unquoted field", [OK1, 'A-2,Jane "JD" Doe,Example CRO,SYSOP,PMDA,C-7,2024-06-01,issued,,'],
     "line 3: a quote inside an unquoted field"),
    ("a name longer than 100 characters", [OK1, "A-2," + "名" * 101 + ",Example CRO,SYSOP,PMDA,C-7,2024-06-01,issued,,"],
     "line 3, column name:"),
    ("a certificate number longer than 40 characters", [OK1, "A-2,Jane,CRO,SYSOP,PMDA," + "C" * 41 + ",2024-06-01,issued,,"],
     "line 3, column certificate_no:"),
    ("a NUL byte", [OK1, "A-2,Jane\0Doe,Example CRO,SYSOP,PMDA,C-7,2024-06-01,issued,,"], "line 3: a NUL byte"),
    ("a row with a missing field", [OK1, "A-2,Jane Doe,Example CRO,SYSOP,PMDA,C-7,2024-06-01,issued,"],
     "line 3: the row has 9 fields, the header has 10"),
    ("an unknown status", [OK1, "A-2,Jane Doe,Example CRO,SYSOP,PMDA,C-7,2024-06-01,found,,"],
     "line 3, column status: 'found' is not a status"),
    ("a date that does not exist", [OK1, "A-2,Jane Doe,Example CRO,SYSOP,PMDA,C-7,2024-02-30,issued,,"],
     "line 3, column completed_on: '2024-02-30' is not a date"),
    ("a bare carriage return", [OK1 + "\rA-2,Jane,CRO,SYSOP,PMDA,C-7,2024-06-01,issued,,"],
     "line 2: a carriage return that is not followed by a line feed"),
]
for i, (what, content, want) in enumerate(defects):
    if content is None:
        path = h.write_feed(f"defect{i}.csv", [])
    elif isinstance(content, tuple):
        path = h.write_feed(f"defect{i}.csv", content[1], header=content[0])
    else:
        path = h.write_feed(f"defect{i}.csv", content)
    h.sign(path, 20 + i)
    rejected_sync(what, path, contains=want)

# Card UIDs and trainee numbers.
for uid, what in (("04A1B2", "too short UID"), ("0102030405060708090A0B", "over-long UID"),
                  ("04A1B2C3D4E5FZ", "non-hex UID"), ("04A1B2C3D4E5F", "odd-length UID"),
                  ("0" * 5000, "5000-digit UID")):
    p = h.kc("decide", "--card", uid, "--json")
    h.expect_error(f"decide with {what}", p, 1, contains="card UID")
    p = h.kc("enroll", "--card", uid, "--trainee", "A-1")
    h.expect_error(f"enroll with {what}", p, 1, contains="card UID")
p = h.kc("enroll", "--card", "04A1B2C3D4E5F7", "--trainee", "Z-404")
h.expect_error("enroll an unknown trainee number", p, 1, contains="not in the mirror")
p = h.kc("enroll", "--card", "04A1B2C3D4E5F6", "--trainee", "A-2")
h.expect_error("enroll a card bound to another trainee (TR-5)", p, 1, contains="already enrolled")
p = h.kc("enroll", "--card", "04A1B2C3D4E5F7", "--trainee", "A 1; DROP TABLE cards")
h.expect_error("enroll a malformed trainee number", p, 1, contains="malformed")
p = h.kc("decide", "--trainee", "X" * 40, "--json")
h.expect_error("decide with an over-long trainee number", p, 1, contains="malformed")
p = h.kc("decide", "--json")
h.expect_error("decide without --card or --trainee (usage)", p, 2)
p = h.kc("decide", "--card", "04A1B2C3D4E5F6", "--at", "yesterday", "--json")
h.expect_error("decide with a malformed --at", p, 1, contains="--at")
h.check(h.fingerprint() == before, "card and trainee errors: stores unchanged")

# Data directory and config.
p = subprocess.run([h.kioskctl, "--data-dir", os.path.join(h.work, "nowhere"), "status"], capture_output=True, text=True)
h.expect_error("missing data directory", p, 1, contains="does not exist")
conf = os.path.join(h.work, "bad.toml")
with open(conf, "w") as f:
    f.write("[sessions\nseats = 2\n")
p = h.kc("--config", conf, "status", data=True)
h.expect_error("corrupt config file", p, 1, contains="line 1")
with open(conf, "w") as f:
    f.write("[sessions]\nseets = 2\n")
p = h.kc("--config", conf, "status")
h.expect_error("config with an unknown key", p, 1, contains="seets")
if os.geteuid() != 0:  # root reads anything: the unreadable case only means something for others
    os.chmod(h.data, 0)
    p = h.kc("status")
    h.expect_error("unreadable data directory", p, 1)
    os.chmod(h.data, 0o700)

# A database from a newer schema version.
newer = os.path.join(h.work, "newer")
shutil.copytree(h.data, newer)
con = sqlite3.connect(os.path.join(newer, "kiosk.db"))
con.execute("PRAGMA user_version=99")
con.close()
snap = open(os.path.join(newer, "kiosk.db"), "rb").read()
p = subprocess.run([h.kioskctl, "--data-dir", newer, "decide", "--card", "04A1B2C3D4E5F6", "--json"],
                   capture_output=True, text=True)
h.expect_error("database from a newer schema version", p, 1, contains="newer")
p = subprocess.run([h.kioskctl, "--data-dir", newer, "init"], capture_output=True, text=True)
h.expect_error("init over a newer schema version", p, 1, contains="newer")
h.check(open(os.path.join(newer, "kiosk.db"), "rb").read() == snap, "newer schema: kiosk.db unchanged")

# After all of that the original data still answers and the audit chain verifies.
p = h.kc("decide", "--card", "04A1B2C3D4E5F6", "--at", AT, "--json")
h.check(p.returncode == 0 and '"grant"' in p.stdout, f"still grants A-1 after the bad input: {p.stdout.strip()}")
p = h.kc("audit", "verify")
h.check(p.returncode == 0, f"audit verifies: {p.stdout.strip()} {p.stderr.strip()}")
h.finish()
