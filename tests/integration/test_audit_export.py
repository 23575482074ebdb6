#!/usr/bin/env python3
"""`kioskctl audit export` for staff and auditors (issue 11): CSV in UTF-8 with a BOM, a header,
Japan time, actor, event, outcome, subject, readable detail; no cell a spreadsheet could run as a
formula (= + - @, tab, CR), even from an override reason typed to be one; `--since` filters;
JSON keeps the stored fields; bad --since / --format are refused clearly. Also `kioskctl staff
add` takes a PIN of 6-12 digits from stdin and refuses others.
Usage: test_audit_export.py BUILD_DIR"""
import csv, io, json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
h.check(h.kc("init").returncode == 0, "init")
# The workspace gate opens the test database when a session starts.
p = h.kc("testdb", "generate", "--out", os.path.join(h.data, "testdb.sqlite"), "--patients", "10",
         data=False)
h.check(p.returncode == 0, f"testdb generate: {p.stderr.strip()}")
feed = h.write_feed("feed.csv", [
    "L-1,Jiro,,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
    "L-1,Jiro,,SYSOP,PMDA,C-2,2024-06-01,lost,,2023-04-01",
])
h.sign(feed, 1)
p = h.kc("sync", feed, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"sync: {p.stderr.strip()}")

# ---- staff add: PIN rules --------------------------------------------------------------------
for what, pin in (("too short", "12345"), ("too long", "1234567890123"), ("non-digit", "12345a"),
                  ("missing", "")):
    p = h.kc("staff", "add", "--id", "S-1", "--name", "Sato", "--card", "05000000000001",
             stdin=pin + "\n")
    h.expect_error(f"staff add refuses a {what} PIN", p, 1, contains="6 to 12 digits")
    h.check(pin == "" or pin not in p.stderr + p.stdout, f"the {what} PIN is not echoed")
p = h.kc("staff", "add", "--id", "S-1", "--name", "Sato", "--card", "05000000000001",
         stdin="123456\n")
h.check(p.returncode == 0 and "123456" not in p.stdout + p.stderr, f"staff add with a 6-digit PIN: {p.stderr.strip()}")
h.check("S-1" in h.kc("staff", "list").stdout, "staff list shows S-1")

# ---- an override whose typed reason is a formula ---------------------------------------------
formula = '=HYPERLINK("http://evil.example/","click")'
p = h.kc("session", "start", "--trainee", "L-1", "--at", "2026-11-24T11:00:00+09:00", "--override-by", "S-1",
         "--reason", formula)
h.check(p.returncode == 0, f"override session: {p.stdout.strip()} {p.stderr.strip()}")

# ---- CSV -------------------------------------------------------------------------------------
p = h.kc("audit", "export", "--format", "csv")
h.check(p.returncode == 0, f"audit export csv: {p.stderr.strip()}")
raw = p.stdout
h.check(raw.startswith("\ufeff"), "CSV starts with a UTF-8 BOM")
rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"), newline="")))
h.check(rows and rows[0] == ["seq", "time_jst", "actor", "event", "outcome", "subject", "detail", "row_hash"],
        f"CSV header: {rows[0] if rows else None}")
body = rows[1:]
bad = [c for r in body for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
h.check(not bad, f"no cell starts with = + - @ tab or CR: {bad[:3]}")
h.check(all(r[1].endswith("+09:00") for r in body), "times are Japan time")
over = [r for r in body if r[3] == "session.start" and r[4] == "override"]
h.check(len(over) == 1 and over[0][2] == "kioskctl" and "trainee L-1" in over[0][5] and
        "override_by: S-1" in over[0][6] and "CERT_LOST" in over[0][6] and "HYPERLINK" in over[0][6],
        f"the override row carries staff, trainee, codes and reason: {over}")
h.check(any(r[3] == "staff.add" and "S-1" in r[5] + r[6] for r in body), "staff.add is exported")

# ---- --since, JSON, bad input ----------------------------------------------------------------
p = h.kc("audit", "export", "--format", "json", "--since", "2026-11-24T10:30:00+09:00")
js = json.loads(p.stdout) if p.returncode == 0 else []
h.check(js and all(r["at"] >= "2026-11-24T10:30:00+09:00" for r in js) and
        any(r["kind"] == "session.start" for r in js) and not any(r["kind"] == "sync.applied" for r in js),
        f"--since keeps only later events: {[r['kind'] for r in js]}")
h.check(js and all(set(("seq", "at", "kind", "actor", "outcome", "subject", "detail", "detail_text", "row_hash")) <= set(r) for r in js),
        "JSON rows keep the stored fields and add subject and detail_text")
h.check(not p.stdout.startswith("\ufeff"), "JSON has no BOM")
h.expect_error("--since that is not a time", h.kc("audit", "export", "--since", "yesterday"), 1,
               contains="not a time")
h.expect_error("--format xlsx", h.kc("audit", "export", "--format", "xlsx"), 2)
h.check(h.kc("audit", "verify").returncode == 0, "the chain still verifies")
h.finish()
