#!/usr/bin/env python3
"""Issue 9 item 14: kioskctl's messages for the smaller bad inputs say what is wrong, on one line,
and nothing stored changes: a session id too large, negative or not a number (never clamped to
another id); `decide --card ""`; card UIDs and trainee numbers with control or non-ASCII bytes
(echoed escaped and bounded, stderr stays valid ASCII); a missing snapshot and a directory as the
snapshot (named as the snapshot, not as its signature); `--since` without a UTC offset; a
snapshot sequence of 19 digits (too large) or with leading zeros (read as decimal); `init` on a
read-only file system. Usage: test_kioskctl_messages.py BUILD_DIR"""
import os, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
good = h.write_feed("good.csv", [
    "A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
    "A-1,山田 太郎,Example Pharma,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01",
])
h.sign(good, 5)
h.check(h.kc("init").returncode == 0, "init")
# Sessions open the built-in workspace (the default backend) on a small generated test database.
p = h.kc("testdb", "generate", "--out", os.path.join(h.data, "testdb.sqlite"), "--patients", "10",
         data=False)
h.check(p.returncode == 0, f"testdb generate: {p.stderr.strip()}")
h.check(h.kc("sync", good, "--pubkey", h.pub, "--at", AT).returncode == 0, "first sync")
h.check(h.kc("enroll", "--card", "04A1B2C3D4E5F6", "--trainee", "A-1", "--at", AT).returncode == 0,
        "enroll")
p = h.kc("session", "start", "--card", "04A1B2C3D4E5F6", "--at", AT)
h.check(p.returncode == 0, f"a session runs: {p.stdout.strip()}")
before = h.fingerprint()


def raw(*args):
    """kioskctl with argv given as bytes (not every argument is valid UTF-8)."""
    cmd = [os.fsencode(h.kioskctl), b"--data-dir", os.fsencode(h.data)] + list(args)
    return subprocess.run(cmd, capture_output=True, timeout=60)


# Session ids: never clamped to another id, out-of-range named as such.
for text, want in (("99999999999999999999999", "out of range"), ("-5", "out of range"),
                   ("0", "out of range"), ("abc", "not a number"), ("1x", "not a number")):
    p = h.kc("session", "end", text, "--at", AT)
    h.expect_error(f"session end {text}", p, 1, contains=want)
    h.check("9223372036854775807" not in p.stderr, f"session end {text}: not clamped to INT64_MAX")
p = h.kc("sessions", "--at", AT)
h.check("A-1" in p.stdout, f"the running session is still running: {p.stdout.strip()}")

# decide --card "" and without any card.
p = h.kc("decide", "--card", "", "--at", AT)
h.expect_error('decide --card ""', p, 1, contains="card UID is empty")
p = h.kc("decide", "--at", AT)
h.check(p.returncode == 2 and "decide needs --card UID or --trainee NO" in p.stderr
        and "is required" not in p.stderr, f"decide without a card: usage error {p.stderr!r}")
p = h.kc("session", "start", "--card", "", "--at", AT)
h.expect_error('session start --card ""', p, 1, contains="card UID is empty")

# Control and non-ASCII bytes are echoed escaped, bounded; stderr is plain ASCII.
for arg, want in ((b"04\x01AB", "'04\\x01AB'"), (b"04\x1b[31mAB", "\\x1B[31mAB"),
                  (b"04\xff\xfeAB", "\\xFF\\xFE"), ("04山AB".encode(), "\\xE5\\xB1\\xB1")):
    p = raw(b"decide", b"--card", arg, b"--at", AT.encode())
    err = p.stderr
    h.check(p.returncode == 1 and want.encode() in err and all(0x20 <= b < 0x7f or b == 0x0a for b in err),
            f"card UID {arg!r}: echoed escaped, stderr ASCII: {err!r}")
p = raw(b"decide", b"--card", b"Z" * 5000, b"--at", AT.encode())
h.check(p.returncode == 1 and len(p.stderr) < 300 and b"(5000 characters)" in p.stderr,
        f"a 5000-character card UID is echoed bounded: {p.stderr[:200]!r}")
p = raw(b"decide", b"--trainee", b"A\n1", b"--at", AT.encode())
h.check(p.returncode == 1 and b"'A\\x0A1'" in p.stderr and p.stderr.count(b"\n") == 1,
        f"a trainee number with a newline is echoed on one line: {p.stderr!r}")

# Snapshot files: the snapshot is named, with the reason.
p = h.kc("sync", os.path.join(h.work, "missing.csv"), "--pubkey", h.pub, "--at", AT)
h.expect_error("sync of a missing snapshot", p, 1,
               contains="cannot open snapshot " + os.path.join(h.work, "missing.csv") +
               ": No such file or directory")
p = h.kc("sync", h.work, "--pubkey", h.pub, "--at", AT)
h.expect_error("sync of a directory", p, 1, contains="it is a directory, not a regular file")
h.check("minisig" not in p.stderr.splitlines()[-1], f"the directory, not its signature, is named: {p.stderr!r}")

# --since without an offset, and a bad one.
p = h.kc("audit", "export", "--since", "2026-11-24T09:00:00")
h.expect_error("--since without an offset", p, 1, contains="has no UTC offset")
h.check("2026-11-24T09:00:00+09:00" in p.stderr, f"the fix is shown: {p.stderr!r}")
p = h.kc("audit", "export", "--since", "yesterday")
h.expect_error("--since yesterday", p, 1, contains="is not a time")

# Sequences: 19 digits are too large (not "not an integer"); leading zeros are decimal.
big = h.write_feed("big.csv", ["A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"])
h.sign(big, "1" * 19)
p = h.kc("sync", big, "--pubkey", h.pub, "--at", AT)
h.expect_error("a 19-digit sequence", p, 1, contains="too large: at most 18 digits")
h.check(h.fingerprint() == before, "the stores are unchanged by every refusal above")
zeros = h.write_feed("zeros.csv", [
    "A-1,山田 太郎,Example Pharma,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
    "A-1,山田 太郎,Example Pharma,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01",
    "A-2,Jane Doe,Example CRO,OVERVIEW,PMDA,C-3,2024-05-01,issued,,",
])
h.sign(zeros, "0010", generated_at="2026-11-24T03:00:00+09:00")
p = h.kc("sync", zeros, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"sequence 0010 applies: {p.stderr.strip()[:200]}")
p = h.kc("status", "--json", "--at", AT)
h.check('"sequence": 10' in p.stdout.replace('"sequence":10', '"sequence": 10'),
        f"sequence 0010 is read as 10 (decimal, not octal): {p.stdout[:300]}")

# init on a read-only file system: the reason is named.
ro = os.path.join(h.work, "ro")
os.makedirs(ro)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", ro]).returncode == 0:
    try:
        p = h.kc("--data-dir", os.path.join(ro, "data"), "init", data=False)
        h.expect_error("init on a read-only file system", p, 1, contains="Read-only file system")
    finally:
        subprocess.run(["umount", ro])
else:
    h.check(False, "mount a read-only tmpfs (the test needs root, as CI has)")
h.finish()
