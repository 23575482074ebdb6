#!/usr/bin/env python3
"""Issue 9 items 2, 6, 8, 12, 13 and 14 through kioskctl, as an unlucky operator or an attacker
would hit them: the audit trail's file made read-only (a read-only bind mount) or a disk that
fills up at any point (a tiny tmpfs) never leaves a change without its audit row; a missing
store is not silently replaced by init; `session end --at <far future>` changes nothing else and
every expiry is audited; --minutes is bounded and a staff card is not a trainee card; stores are
private whatever the umask; staff add does not echo the PIN and refuses names that forge lines.
Needs root (mounts). Usage: test_hardening_faults.py BUILD_DIR"""
import os, pty, select, shutil, sqlite3, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
ROWS = []
for i in range(1, 6):
    ROWS += [f"A-{i},Trainee {i},Example,OVERVIEW,PMDA,C-{i}1,2024-05-01,issued,,2023-04-01",
             f"A-{i},Trainee {i},Example,SYSOP,PMDA,C-{i}2,2024-06-01,issued,,2023-04-01"]
feed = h.sign(h.write_feed("feed.csv", ROWS), 1)


def kc_in(data, *args, stdin=None):
    return subprocess.run([h.kioskctl, "--data-dir", data] + list(args), capture_output=True,
                          text=True, input=stdin, timeout=120)


# Sessions open the built-in workspace (the default backend): each data directory gets a copy
# of one small generated test database.
TESTDB = os.path.join(h.work, "testdb.sqlite")
_p = subprocess.run([h.kioskctl, "testdb", "generate", "--out", TESTDB, "--patients", "10"],
                    capture_output=True, text=True, timeout=300)
assert _p.returncode == 0, _p.stderr


def setup(data):
    for args in (["init"], ["sync", feed, "--pubkey", h.pub, "--at", AT]):
        p = kc_in(data, *args)
        assert p.returncode == 0, (args, p.stderr)
    shutil.copy2(TESTDB, os.path.join(data, "testdb.sqlite"))


def audit_file(data):
    """The file that holds the audit chain: kiosk.db (audit.db before issue 9)."""
    k = os.path.join(data, "kiosk.db")
    return k if os.path.exists(k) else os.path.join(data, "audit.db")


def audit_count(data):
    con = sqlite3.connect(f"file:{audit_file(data)}?mode=ro", uri=True)
    try:
        return dict(con.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    finally:
        con.close()


def local(data):
    return h.local_state(data)


def mount(*args):
    subprocess.run(["mount"] + list(args), check=True, capture_output=True)


def umount(path):
    subprocess.run(["umount", path], check=True, capture_output=True)


# ---- item 2: the audit trail's file read-only ----------------------------------------------
data = os.path.join(h.work, "ro")
setup(data)
p = kc_in(data, "session", "start", "--trainee", "A-2", "--at", AT)
h.check(p.returncode == 0, f"a session to end later: {p.stderr.strip()}")
sid = p.stdout.split()[1]
p = kc_in(data, "enroll", "--card", "04000000000001", "--trainee", "A-1", "--at", AT)
h.check(p.returncode == 0, "a card to unenroll later")
before_local, before_audit = local(data), audit_count(data)
target = audit_file(data)
mount("--bind", target, target)
try:
    mount("-o", "remount,ro,bind", target)
    for what, args, stdin in [
            ("enroll", ["enroll", "--card", "04000000000002", "--trainee", "A-1", "--at", AT], None),
            ("unenroll", ["unenroll", "--card", "04000000000001", "--at", AT], None),
            ("staff add", ["staff", "add", "--id", "S-1", "--name", "Sato", "--card", "05000000000001"], "246813\n"),
            ("session start", ["session", "start", "--trainee", "A-3", "--at", AT], None),
            ("session end", ["session", "end", sid, "--at", AT], None)]:
        p = kc_in(data, *args, stdin=stdin)
        h.check(p.returncode == 1, f"read-only audit trail: {what} fails: {p.stderr.strip()[:150]}")
finally:
    umount(target)
h.check(local(data) == before_local, "read-only audit trail: no change to the local state stayed")
h.check(audit_count(data) == before_audit, "read-only audit trail: no audit row either")

# ---- item 2: a disk that fills up at any point (tiny tmpfs) ---------------------------------
data = os.path.join(h.work, "full")
os.makedirs(data)
mount("-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", data)
try:
    setup(data)
    free_steps = list(range(0, 96 * 1024, 4096))
    inconsistent, failures, messages = [], 0, set()
    for n, free in enumerate(free_steps):
        filler = os.path.join(data, "filler")
        st = os.statvfs(data)
        size = max(0, st.f_bavail * st.f_frsize - free)
        with open(filler, "wb") as f:
            try:
                f.write(b"\0" * size)
            except OSError:
                pass
        p = kc_in(data, "enroll", "--card", f"04{n:012X}", "--trainee", "A-1", "--at", AT)
        if p.returncode != 0:
            failures += 1
            messages.add(p.stderr.strip()[:200])
        os.unlink(filler)
        cards = len(local(data)["cards"])
        rows = audit_count(data).get("card.enroll", 0)
        if cards != rows:
            inconsistent.append((free, cards, rows))
    h.check(failures > 0, f"full disk: some enrolments failed ({failures} of {len(free_steps)})")
    h.check(not inconsistent, f"full disk: every binding has its audit row and no row lacks its binding {inconsistent}")
    h.check(all("disk" in m and "full" in m for m in messages),
            f"full disk: the message says the disk is full: {sorted(messages)[:2]}")
    p = kc_in(data, "audit", "verify")
    h.check(p.returncode == 0, f"full disk: the chain verifies afterwards: {p.stderr.strip()}")
finally:
    umount(data)

# ---- item 6: init does not silently replace a missing store ---------------------------------
data = os.path.join(h.work, "missing")
setup(data)
h.check(kc_in(data, "enroll", "--card", "04000000000009", "--trainee", "A-1", "--at", AT).returncode == 0,
        "a card enrolled before the loss")
for lost in ("site.key", "kiosk.db"):
    copy = os.path.join(h.work, "missing-" + lost)
    shutil.copytree(data, copy)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(os.path.join(copy, lost + suffix)):
            os.unlink(os.path.join(copy, lost + suffix))
    files = sorted(os.listdir(copy))
    p = kc_in(copy, "init")
    h.expect_error(f"init without {lost}", p, 1, contains=f"{lost} is missing")
    h.check("restore" in p.stderr and "--start-afresh" in p.stderr,
            f"init without {lost}: says how to restore, and how to start afresh")
    h.check(sorted(os.listdir(copy)) == files, f"init without {lost}: nothing created")
    p = kc_in(copy, "init", "--start-afresh")
    h.check(p.returncode == 0, f"init --start-afresh without {lost}: {p.stderr.strip()}")
    rows = subprocess.run([h.kioskctl, "--data-dir", copy, "audit", "export", "--format", "json"],
                          capture_output=True, text=True).stdout
    h.check("init.start_afresh" in rows and lost in rows, f"starting afresh without {lost} is audited")

# ---- item 8: a far-future --at changes nothing else; expiries are audited -------------------
data = os.path.join(h.work, "future")
setup(data)
ids = []
for t in ("A-1", "A-2"):
    p = kc_in(data, "session", "start", "--trainee", t, "--at", AT)
    h.check(p.returncode == 0, f"session for {t}")
    ids.append(p.stdout.split()[1])
before_local, before_audit = local(data), audit_count(data)
p = kc_in(data, "session", "end", ids[0], "--at", "2028-01-01T00:00:00+09:00")
h.expect_error("session end --at 2028", p, 1, contains="already ended")
h.check(local(data) == before_local, "session end --at 2028: no session was changed (no expiry sweep)")
h.check(audit_count(data) == before_audit, "session end --at 2028: nothing audited as changed")
p = kc_in(data, "session", "start", "--trainee", "A-3", "--minutes", "30", "--at", AT)
p = kc_in(data, "session", "start", "--trainee", "A-3", "--at", "2026-11-24T11:00:00+09:00")
h.check(p.returncode == 0, f"A-3 starts again after its 30 minutes: {p.stderr.strip()}")
con = sqlite3.connect(f"file:{os.path.join(data, 'kiosk.db')}?mode=ro", uri=True)
expired = con.execute("SELECT count(*) FROM sessions WHERE end_reason = 'expired'").fetchone()[0]
audited = con.execute("SELECT count(*) FROM events WHERE kind = 'session.end' AND "
                      "json_extract(detail, '$.reason') = 'expired'").fetchone()[0]
con.close()
h.check(expired == 1 and audited == 1, f"the expiry closed by the new start is audited ({expired} closed, {audited} rows)")

# ---- item 12: bounded minutes; a staff card is not a trainee card ---------------------------
before_local = local(data)
for minutes in ("2147483647", "0", "-5", "1441"):
    p = kc_in(data, "session", "start", "--trainee", "A-4", "--minutes", minutes, "--at", AT)
    h.expect_error(f"--minutes {minutes}", p, 1, contains="out of range")
h.check(local(data) == before_local, "out-of-range minutes: no session")
p = kc_in(data, "staff", "add", "--id", "S-1", "--name", "Sato", "--card", "05000000000001", stdin="246813\n")
h.check(p.returncode == 0, f"staff S-1 added: {p.stderr.strip()}")
p = kc_in(data, "enroll", "--card", "05000000000001", "--trainee", "A-4", "--at", AT)
h.expect_error("a staff card enrolled as a trainee card", p, 1, contains="staff card")

# ---- item 13: private whatever the umask ----------------------------------------------------
old = os.umask(0o022)
try:
    data = os.path.join(h.work, "umask")
    os.makedirs(data, 0o755)
    setup(data)
    kc_in(data, "decide", "--trainee", "A-1", "--at", AT)
finally:
    os.umask(old)
h.check(os.stat(data).st_mode & 0o777 == 0o700, f"data directory is 0700: {oct(os.stat(data).st_mode & 0o777)}")
modes = {n: oct(os.stat(os.path.join(data, n)).st_mode & 0o777) for n in os.listdir(data)
         if n.endswith((".db", "-wal", "-shm")) or n == "site.key"}
h.check(len(modes) >= 3 and all(m == "0o600" for m in modes.values()),
        f"every store and the site key is 0600: {modes}")

# ---- item 14: the PIN is not echoed; names cannot forge lines ---------------------------------
data = os.path.join(h.work, "staff")
setup(data)
pid, fd = pty.fork()
if pid == 0:
    os.execv(h.kioskctl, [h.kioskctl, "--data-dir", data, "staff", "add", "--id", "S-2", "--name",
                          "Suzuki", "--card", "05000000000002"])
seen, sent, deadline = b"", False, time.monotonic() + 60
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    if not sent and b"PIN" in seen:
        os.write(fd, b"975312\n")
        sent = True
# Bounded: a child still there after the deadline is stopped and reported, never waited on forever.
done, status = 0, 0
while time.monotonic() < deadline + 10 and not done:
    done, status = os.waitpid(pid, os.WNOHANG)
    if not done:
        time.sleep(0.1)
if not done:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
h.check(done and sent and os.waitstatus_to_exitcode(status) == 0,
        f"staff add on a terminal prompts and succeeds: {seen!r}" + ("" if done else " (it hung: killed)"))
h.check(b"975312" not in seen, f"the PIN typed on the terminal is not echoed: {seen!r}")
p = kc_in(data, "staff", "add", "--id", "S-3", "--name", "Evil\nS-9  Admin  card 0000", "--card",
          "05000000000003", stdin="246813\n")
h.expect_error("a staff name with a newline", p, 1, contains="control character")
p = kc_in(data, "staff", "add", "--id", "S-3", "--name", "x" * 101, "--card", "05000000000003", stdin="246813\n")
h.expect_error("a 101-character staff name", p, 1, contains="at most 100")
p = kc_in(data, "staff", "add", "--id", "S-3", "--name", "佐" * 100, "--card", "05000000000003", stdin="246813\n")
h.check(p.returncode == 0, f"a 100-character (300-byte) name is accepted: {p.stderr.strip()}")
p = kc_in(data, "staff", "list")
h.check(len(p.stdout.strip().splitlines()) == 2, f"staff list: one line per member: {p.stdout!r}")
h.finish()
