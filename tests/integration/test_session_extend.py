#!/usr/bin/env python3
"""Extending a running session (issue 8 item 2) through `kioskctl session extend` over the real
gates and the real kiosk.db: the built-in workspace gate and a real PostgreSQL 15 that the test
starts itself (tests/tools/pg_fixture.py, its own temp dir and socket). Granted: the stored end
moves and a "session.extended" row records the old and new end, the minutes and the decision's
audit row; with PostgreSQL the role's VALID UNTIL and the server's claim move to the new end and
the trainee still logs in after the old end. Refused by a fresh decision (the card revoked since
the start, TR-5), by another trainee's card, after the end, beyond the limit: nothing changes and
the refusal is audited. A gate that fails (the workspace's test database gone, the PostgreSQL
server stopped): nothing changes. argv[1] = build directory."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pg_fixture import PgServer, setup_gate, write_config  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
K = os.path.join(BUILD, "bin", "kioskctl")
CARD1 = "04D0000000000001"  # D-0001, qualified
CARD2 = "012E4CD2A1B2C302"  # D-0002, qualified (newcomer)


def kc(data, conf, *args):
    return subprocess.run([K, "--config", conf, "--data-dir", data, *args], capture_output=True,
                          text=True, timeout=120)


def ok(p):
    assert p.returncode == 0, (p.args, p.stdout, p.stderr)
    return p.stdout


def iso(t):
    return t.isoformat(timespec="seconds")


def audit(data, conf):
    return json.loads(ok(kc(data, conf, "audit", "export", "--format", "json")))


def session(data, conf, sid):
    for s in json.loads(ok(kc(data, conf, "sessions", "--all", "--json"))):
        if s["id"] == sid:
            return s
    raise AssertionError(f"no session {sid}")


def parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def start(data, conf, card, at, minutes):
    out = json.loads(ok(kc(data, conf, "session", "start", "--card", card, "--at", iso(at),
                           "--minutes", str(minutes), "--json")))
    return out["session"]["id"], parse(out["session"]["ends_at"])


def extend(data, conf, sid, card, at, *extra):
    p = kc(data, conf, "session", "extend", str(sid), "--card", card, "--at", iso(at), "--json",
           *extra)
    return p, (json.loads(p.stdout) if p.stdout.strip() else {})


def rows_of(data, conf, kind, sid):
    return [r for r in audit(data, conf)
            if r["kind"] == kind and json.loads(r["detail"]).get("session") == sid]


def workspace(tmp):
    subprocess.run([K, "demo-data", "--out", tmp + "/ws", "--trainees", "20"], check=True,
                   capture_output=True)
    data = tmp + "/ws/data"
    conf = tmp + "/ws.toml"
    with open(conf, "w") as f:
        f.write("[sessions]\nminutes = 60\nextend_minutes = 30\n")
    ok(kc(data, conf, "session", "recover"))  # the demo's D-0012 session (workspace: restart)
    t0 = datetime.now(timezone.utc).replace(microsecond=0)

    # Granted: ends_at moves by 30 minutes, audited with old/new end and the decision's row.
    sid, end0 = start(data, conf, CARD1, t0, 60)
    p, x = extend(data, conf, sid, CARD1, t0 + timedelta(minutes=56))
    assert p.returncode == 0 and x["extended"] and x["decision"] == "grant", (p.stdout, p.stderr)
    assert parse(x["ends_at"]) == end0 + timedelta(minutes=30), x
    assert parse(session(data, conf, sid)["ends_at"]) == end0 + timedelta(minutes=30)
    ext = rows_of(data, conf, "session.extended", sid)
    assert len(ext) == 1 and ext[0]["outcome"] == "ok" and ext[0]["actor"] == "kioskctl", ext
    d = json.loads(ext[0]["detail"])
    assert parse(d["old_ends_at"]) == end0 and parse(d["new_ends_at"]) == end0 + timedelta(minutes=30)
    assert d["minutes"] == 30 and d["backend"] == "workspace", d
    decision = [r for r in audit(data, conf) if r["seq"] == d["decision"]]
    assert decision and decision[0]["kind"] == "decision" and decision[0]["outcome"] == "grant", decision
    # Past its old end the session is still running: the expiry sweep leaves it alone.
    ok(kc(data, conf, "session", "expire", "--at", iso(t0 + timedelta(minutes=61))))
    assert session(data, conf, sid)["ended_at"] is None

    # Beyond the limit (60 + 2 x 30 = 120 minutes in all): refused, nothing changes.
    p, x = extend(data, conf, sid, CARD1, t0 + timedelta(minutes=86))
    assert p.returncode == 0, (p.stdout, p.stderr)  # 120 in all: still allowed
    p, x = extend(data, conf, sid, CARD1, t0 + timedelta(minutes=116))
    assert p.returncode == 1 and not x["extended"] and "120 minutes" in x["error"], (p.stdout, p.stderr)
    assert x["problem"] == "longest_total", x
    assert parse(session(data, conf, sid)["ends_at"]) == end0 + timedelta(minutes=60)
    p = kc(data, conf, "session", "extend", str(sid), "--card", CARD1, "--minutes", "31")
    assert p.returncode == 1 and "1 to 30 minutes" in p.stderr, p.stderr
    p = kc(data, conf, "session", "extend", "99999999999999999999999", "--card", CARD1)
    assert p.returncode == 1 and "out of range" in p.stderr, p.stderr  # never clamped

    # Another trainee's card: refused, nothing changes.
    sid2, end2 = start(data, conf, CARD2, t0, 60)
    p, x = extend(data, conf, sid2, CARD1, t0 + timedelta(minutes=56))
    assert p.returncode == 1 and "not the session of this card" in x["error"], (p.stdout, p.stderr)
    assert x["problem"] == "not_yours", x
    assert parse(session(data, conf, sid2)["ends_at"]) == end2
    # After its end: refused, nothing changes.
    p, x = extend(data, conf, sid2, CARD2, end2 + timedelta(seconds=5))
    assert p.returncode == 1 and "already ended" in x["error"], (p.stdout, p.stderr)
    assert x["problem"] == "ended", x
    assert parse(session(data, conf, sid2)["ends_at"]) == end2

    # The gate fails (the workspace's test database is gone): nothing changes, audited.
    testdb = data + "/testdb.sqlite"
    shutil.move(testdb, testdb + ".away")
    p, x = extend(data, conf, sid2, CARD2, t0 + timedelta(minutes=56))
    shutil.move(testdb + ".away", testdb)
    assert p.returncode == 1 and "unavailable" in x["error"], (p.stdout, p.stderr)
    assert x["problem"] == "unavailable", x
    assert parse(session(data, conf, sid2)["ends_at"]) == end2
    failed = rows_of(data, conf, "session.extend", sid2)
    assert failed[-1]["outcome"] == "failed" and "testdb.sqlite" in failed[-1]["detail"], failed

    # A fresh decision: the card revoked since the start (TR-5): refused with its code, audited.
    ok(kc(data, conf, "unenroll", "--card", CARD2))
    p, x = extend(data, conf, sid2, CARD2, t0 + timedelta(minutes=56))
    assert p.returncode == 1 and not x["extended"] and x["decision"] == "deny", (p.stdout, p.stderr)
    assert any(r["code"] == "CARD_REVOKED" for r in x["reasons"]), x
    assert parse(session(data, conf, sid2)["ends_at"]) == end2
    refused = rows_of(data, conf, "session.extend", sid2)
    assert refused[-1]["outcome"] == "refused" and "CARD_REVOKED" in refused[-1]["detail"], refused

    # Extensions off (extend_minutes = 0): refused before anything is decided.
    with open(conf, "w") as f:
        f.write("[sessions]\nminutes = 60\n")
    p = kc(data, conf, "session", "extend", str(sid), "--card", CARD1)
    assert p.returncode == 1 and "extend_minutes = 0" in p.stderr, p.stderr
    print("workspace: ok")


def postgres(tmp):
    with PgServer() as pg:
        subprocess.run([K, "demo-data", "--out", tmp + "/pg", "--trainees", "20"], check=True,
                       capture_output=True)
        data = tmp + "/pg/data"
        conf = write_config(tmp + "/pg.toml", pg, seats=3)
        with open(conf) as f:
            text = f.read()
        # extend_minutes goes into the [sessions] table write_config wrote.
        with open(conf, "w") as f:
            f.write(text.replace("[sessions]\n", "[sessions]\nminutes = 1\nextend_minutes = 1\n", 1))
        setup_gate(pg, K, conf)
        kc(data, conf, "session", "recover")
        out = json.loads(ok(kc(data, conf, "session", "start", "--card", CARD1, "--minutes", "1",
                               "--json")))
        sid, g = out["session"]["id"], out["gate"]
        end0 = parse(out["session"]["ends_at"])

        def valid_until():
            v = pg.psql(f"SELECT to_char(rolvaliduntil AT TIME ZONE 'UTC', "
                        f"'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"') FROM pg_roles "
                        f"WHERE rolname = '{g['role']}'").stdout.strip()
            return parse(v)

        def login():
            return pg.psql("SELECT count(*) FROM patients", user=g["role"], password=g["password"],
                           db=g["database"], host=g["host"], port=g["port"])

        assert valid_until() == end0, (valid_until(), end0)
        p = kc(data, conf, "session", "extend", str(sid), "--card", CARD1, "--json")
        x = json.loads(p.stdout)
        assert p.returncode == 0 and x["extended"], (p.stdout, p.stderr)
        end1 = parse(x["ends_at"])
        assert end1 == end0 + timedelta(minutes=1), (end1, end0)
        assert valid_until() == end1, f"VALID UNTIL moved to the new end: {valid_until()} vs {end1}"
        claim = pg.psql("SELECT to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') "
                        "FROM kiosk.sessions WHERE closed_at IS NULL", db="midnet").stdout.strip()
        assert claim == end1.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), (claim, end1)
        assert json.loads(rows_of(data, conf, "session.extended", sid)[0]["detail"])["backend"] \
            == "postgres"
        # After the old end the same credentials still work (until the new end).
        time.sleep(max(0.0, (end0 - datetime.now(timezone.utc)).total_seconds()) + 2)
        r = login()
        assert r.returncode == 0 and r.stdout.strip() == "500", ("login after the old end", r.stderr)

        # The gate fails (server stopped): nothing changes here, VALID UNTIL as it was.
        pg.stop()
        p = kc(data, conf, "session", "extend", str(sid), "--card", CARD1, "--json")
        pg.start()
        assert p.returncode == 1 and "unavailable" in json.loads(p.stdout)["error"], p.stdout
        assert parse(session(data, conf, sid)["ends_at"]) == end1
        assert valid_until() == end1
        # Beyond the limit (1 + 2 x 1 minutes): a second extension is fine, a third is refused.
        ok(kc(data, conf, "session", "extend", str(sid), "--card", CARD1))
        p = kc(data, conf, "session", "extend", str(sid), "--card", CARD1)
        assert p.returncode == 1 and "3 minutes" in p.stderr, p.stderr
        assert valid_until() == end1 + timedelta(minutes=1)
        print("postgres: ok")


def main():
    with tempfile.TemporaryDirectory(prefix="kiosk-extend-") as tmp:
        os.chmod(tmp, 0o755)
        workspace(tmp)
        postgres(tmp)
    print("test_session_extend: ok")


if __name__ == "__main__":
    main()
