#!/usr/bin/env python3
"""The real `kiosk` with `[sessions] backend = "postgres"` (issue 10 item 3 on screen) against a
real PostgreSQL 15 started by the test (tests/tools/pg_fixture.py, the documented least-privilege
gate role), under Xvfb with scripted input: the granted Start opens the trainee's role through the
kiosk's SessionDesk (LOGIN, VALID UNTIL, audited gate.open with backend postgres and no password),
the session screen draws host, port, database, user, the one-time password and valid-until (the
kiosk's trace names what was drawn, never the password), Close returns to idle (the kiosk is not
the trainee's terminal), the session outlives the kiosk, and its end locks the role again.
argv[1] = build directory."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pg_fixture import PgServer, setup_gate, write_config  # noqa: E402
from xvfb_display import XvfbDisplay  # noqa: E402

GRANTED = "04D0000000000001"  # demo card: D-0001


def main():
    build = os.path.abspath(sys.argv[1])
    kioskctl = os.path.join(build, "bin", "kioskctl")

    def kc(*args):
        r = subprocess.run([kioskctl, "--config", conf, "--data-dir", data, *args],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r
        return r.stdout

    with PgServer() as pg, tempfile.TemporaryDirectory(prefix="kiosk-pg-e2e-") as tmp, \
            XvfbDisplay() as x:
        data = tmp + "/demo/data"
        subprocess.run([kioskctl, "--data-dir", data, "demo-data", "--out", tmp + "/demo",
                        "--trainees", "20"], check=True, capture_output=True)
        conf = write_config(tmp + "/kiosk.toml", pg, seats=3)
        setup_gate(pg, kioskctl, conf)
        script = tmp + "/start.txt"
        with open(script, "w") as f:
            f.write(f"tap {GRANTED}\npress start\nshot {tmp}/credentials.png\npress ok\nquit\n")
        r = subprocess.run([os.path.join(build, "bin", "kiosk"), "--config", conf, "--data-dir",
                            data, "--script", script, "--trace"], capture_output=True, text=True,
                           env=x.env(), timeout=180)
        assert r.returncode == 0, (r.returncode, r.stderr)
        screens = [l for l in r.stdout.splitlines() if l.startswith("trace screen ")]
        shown = [l for l in screens if l.startswith("trace screen session ")]
        assert shown, screens
        assert " credentials role=trainee_D-0001 " in shown[-1], shown[-1]
        drawn = shown[-1].split(" drawn=")[1].split()[0].split(",")
        assert drawn == ["host", "port", "database", "user", "password", "valid_until"], shown[-1]
        assert " ok@" in shown[-1] and " end_session@" in shown[-1], shown[-1]
        assert screens[-1].startswith("trace screen idle "), screens[-1]  # Close: the next trainee
        assert os.path.getsize(tmp + "/credentials.png") > 0

        # The server: the role may log in until the end; the session outlived the kiosk.
        row = pg.psql("SELECT rolcanlogin, rolvaliduntil IS NOT NULL FROM pg_roles "
                      "WHERE rolname = 'trainee_D-0001'").stdout.strip()
        assert row == "t|t", row
        sessions = [s for s in json.loads(kc("sessions", "--json"))
                    if s["trainee_no"] == "D-0001" and s["ended_at"] is None]
        assert len(sessions) == 1, sessions
        rows = json.loads(kc("audit", "export", "--format", "json"))
        opens = [x for x in rows if x["kind"] == "gate.open" and x["trainee_no"] == "D-0001"]
        assert len(opens) == 1 and opens[0]["outcome"] == "ok" and opens[0]["actor"] == "kiosk", \
            opens
        detail = json.loads(opens[0]["detail"])
        assert detail["backend"] == "postgres" and detail["role"] == "trainee_D-0001", detail
        assert "password" not in opens[0]["detail"]

        kc("session", "end", str(sessions[0]["id"]))
        row = pg.psql("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'trainee_D-0001'")
        assert row.stdout.strip() == "f", row.stdout
    print("kiosk with postgres: Start opened the trainee's role, the session screen drew host, "
          "port, database, user, one-time password and valid-until, Close went back to idle; the "
          "session outlived the kiosk and its end locked the role")


if __name__ == "__main__":
    main()
