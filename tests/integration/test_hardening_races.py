#!/usr/bin/env python3
"""Issue 9 items 2, 3 and 4 with real kioskctl processes: starts racing for the last seat never
overbook it; two starts for one trainee at once give one session, and the loser is refused
ALREADY_IN_SESSION with a "deny" audit row (what is audited is what was shown); and kioskctl
killed with SIGKILL at random moments never leaves a change without its audit row, or a row
without its change. Usage: test_hardening_races.py BUILD_DIR"""
import datetime, json, os, random, signal, sqlite3, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
rows = []
for i in range(1, 9):
    rows += [f"A-{i},Trainee {i},Example,OVERVIEW,PMDA,C-{i}1,2024-05-01,issued,,2023-04-01",
             f"A-{i},Trainee {i},Example,SYSOP,PMDA,C-{i}2,2024-06-01,issued,,2023-04-01"]
feed = h.sign(h.write_feed("feed.csv", rows), 1)
h.check(h.kc("init").returncode == 0, "init")
# Sessions open the built-in workspace (the default backend): it needs its test database.
p = h.kc("testdb", "generate", "--out", os.path.join(h.data, "testdb.sqlite"), "--patients", "10",
         data=False)
h.check(p.returncode == 0, f"testdb generate: {p.stderr.strip()}")
h.check(h.kc("sync", feed, "--pubkey", h.pub, "--at", AT).returncode == 0, "sync")
cfg = os.path.join(h.work, "two-seats.toml")
with open(cfg, "w") as f:
    f.write("[sessions]\nseats = 2\n")
KIOSK_DB = os.path.join(h.data, "kiosk.db")
BASE = datetime.datetime.fromisoformat(AT)


def at(minutes):
    return (BASE + datetime.timedelta(minutes=minutes)).isoformat()


def query(sql, *args):
    con = sqlite3.connect(f"file:{KIOSK_DB}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def start(trainee, when):
    return subprocess.Popen([h.kioskctl, "--config", cfg, "--data-dir", h.data, "session", "start",
                             "--trainee", trainee, "--at", when, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def open_sessions(when):
    return query("SELECT id, trainee_no FROM sessions WHERE ended_at IS NULL AND ends_at > ?",
                 int(datetime.datetime.fromisoformat(when).timestamp()))


def end_all(when):
    for sid, _ in open_sessions(when):
        p = h.kc("session", "end", str(sid), "--at", when)
        h.check(p.returncode == 0, f"end session {sid}: {p.stderr.strip()}")


# ---- item 3: the last seat, claimed by two cards at the same instant --------------------------
ROUNDS = 12
t0 = time.monotonic()
overbooked = 0
for r in range(ROUNDS):
    when = at(10 * r)
    first = start("A-1", when)
    first.communicate(timeout=60)
    procs = [start("A-2", when), start("A-3", when)]
    outs = [p.communicate(timeout=60) for p in procs]
    codes = sorted(p.returncode for p in procs)
    active = open_sessions(when)
    if len(active) > 2:
        overbooked += 1
    for p, (out, err) in zip(procs, outs):
        if p.returncode != 0:
            j = json.loads(out) if out.strip() else {}
            reasons = [x["code"] for x in j.get("reasons", [])]
            h.check(reasons == ["NO_SEAT"], f"round {r}: the loser is refused NO_SEAT: {reasons} {err.strip()}")
    h.check(codes == [0, 1], f"round {r}: exactly one of two racing starts got the last seat: exits {codes}")
    end_all(at(10 * r + 1))
h.check(overbooked == 0, f"no round ended with more sessions than seats ({overbooked} of {ROUNDS} did)")
print(f"seat race: {ROUNDS} rounds in {time.monotonic() - t0:.1f} s")

# ---- item 4: two starts for one trainee at once -------------------------------------------------
t0 = time.monotonic()
for r in range(ROUNDS):
    when = at(200 + 10 * r)
    before = query("SELECT max(seq) FROM events")[0][0]
    procs = [start("A-4", when), start("A-4", when)]
    outs = [p.communicate(timeout=60) for p in procs]
    codes = sorted(p.returncode for p in procs)
    h.check(codes == [0, 1], f"round {r}: one of two starts for A-4 started a session: exits {codes}")
    for p, (out, err) in zip(procs, outs):
        if p.returncode == 0:
            continue
        j = json.loads(out) if out.strip() else {}
        reasons = [x["code"] for x in j.get("reasons", [])]
        h.check(reasons == ["ALREADY_IN_SESSION"] and j.get("decision") == "deny",
                f"round {r}: the loser is refused ALREADY_IN_SESSION, not a fault: {reasons} {err.strip()}")
    events = query("SELECT kind, outcome, detail FROM events WHERE seq > ? AND trainee_no = 'A-4'", before)
    grants = [e for e in events if e[0] == "decision" and e[1] == "grant"]
    denies = [e for e in events if e[0] == "decision" and e[1] == "deny"]
    starts = [e for e in events if e[0] == "session.start"]
    h.check(len(grants) == 1 and len(starts) == 1 and len(denies) == 1 and
            "ALREADY_IN_SESSION" in denies[0][2],
            f"round {r}: the audit holds one grant with its session and one ALREADY_IN_SESSION deny: {events}")
    end_all(at(200 + 10 * r + 1))
print(f"same-trainee race: {ROUNDS} rounds in {time.monotonic() - t0:.1f} s")

# ---- item 2: SIGKILL at random moments ---------------------------------------------------------
random.seed(int(os.environ.get("KIOSK_TEST_SEED", "9")))


def invariants(label):
    n_cards = query("SELECT count(*) FROM cards")[0][0]
    n_staff = query("SELECT count(*) FROM staff")[0][0]
    n_sessions = query("SELECT count(*) FROM sessions")[0][0]
    n_ended = query("SELECT count(*) FROM sessions WHERE end_reason = 'ended'")[0][0]
    kinds = dict(query("SELECT kind, count(*) FROM events GROUP BY kind"))
    kinds["session.end ended"] = query(
        "SELECT count(*) FROM events WHERE kind = 'session.end' AND "
        "json_extract(detail, '$.reason') = 'ended'")[0][0]
    ok = (n_cards == kinds.get("card.enroll", 0) and n_staff == kinds.get("staff.add", 0) and
          n_sessions == kinds.get("session.start", 0) and n_ended == kinds["session.end ended"])
    if not ok:
        h.check(False, f"{label}: every change has its audit row: cards {n_cards}, staff {n_staff}, "
                       f"sessions {n_sessions}, ended {n_ended}; rows {kinds}")
    return ok


KILLS = 40


def action_args(i, when):
    action = i % 4
    if action == 0:
        args = ["enroll", "--card", f"04{i:012X}", "--trainee", "A-5", "--at", when]
    elif action == 1:
        args = ["staff", "add", "--id", f"S-{i}", "--name", f"Staff {i}", "--card", f"05{i:012X}"]
    elif action == 2:
        end_all(when)
        args = ["session", "start", "--trainee", "A-6", "--at", when]
    else:
        ids = open_sessions(when)
        args = ["session", "end", str(ids[0][0]) if ids else "999999", "--at", when]
    return action, args


def run_action(i, when):
    action, args = action_args(i, when)
    return action, args, subprocess.Popen([h.kioskctl, "--data-dir", h.data] + args, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# How long each kind of command takes here, unkilled: the kills fall anywhere in that span.
took = {}
for i in range(4):
    t = time.monotonic()
    action, args, p = run_action(1000 + i, at(390 + i))
    p.communicate(b"2468\n" if action == 1 else None, timeout=60)
    took[action] = time.monotonic() - t
t0 = time.monotonic()
consistent = invariants("before the kills")
killed = 0
for i in range(KILLS):
    when = at(400 + i)
    action, args, p = run_action(i, when)
    if action == 1:
        p.stdin.write(b"2468\n")
        p.stdin.flush()
    time.sleep(random.uniform(0, 1.2 * took[action]))
    p.send_signal(signal.SIGKILL)
    p.wait()
    killed += p.returncode == -signal.SIGKILL
    consistent = invariants(f"kill {i} ({args[0]})") and consistent
h.check(consistent, f"after {KILLS} SIGKILLs ({killed} before the command finished) every change has its audit row")
print(f"kills: {KILLS} in {time.monotonic() - t0:.1f} s, {killed} interrupted; unkilled run "
      f"times {', '.join(f'{v * 1000:.0f} ms' for v in took.values())}")
h.check(0 < killed < KILLS, f"the kills fell both before and after the commands finished ({killed} of {KILLS} interrupted)")
p = h.kc("audit", "verify")
h.check(p.returncode == 0, f"the audit chain verifies after the kills: {p.stdout.strip()} {p.stderr.strip()}")
h.check(query("PRAGMA integrity_check") == [("ok",)], "kiosk.db passes integrity_check")
h.finish()
