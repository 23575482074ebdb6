#!/usr/bin/env python3
"""Extending a session in the real `kiosk` program under Xvfb (issue 8 item 2), scripted through
the simulated reader (no PC/SC), with `[sessions] extend_minutes = 10` over 10-minute sessions.
Granted: the 5-minute warning shows the Extend control; pressing it makes a fresh decision and
the session goes on past its old end (the kiosk's clock advanced beyond it: still the session
screen, the record's end moved), audited as "session.extended" with actor "kiosk". Refused: the
card is revoked (kioskctl unenroll, TR-5) while the session runs; pressing Extend in the warning
shows the refusal on the session screen, nothing changes, and the refusal is audited with its
code. Screenshots of both are written beside the test's data (and into argv[2] when given).
argv[1] = build directory."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from xvfb_display import XvfbDisplay  # noqa: E402

CARD1 = "04D0000000000001"  # D-0001: qualified
CARD2 = "012E4CD2A1B2C302"  # D-0002: qualified (newcomer)


def kioskctl(build, data, *args):
    r = subprocess.run([os.path.join(build, "bin", "kioskctl"), "--data-dir", data, *args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    return r.stdout


def audit_rows(build, data):
    return json.loads(kioskctl(build, data, "audit", "export", "--format", "json"))


def sessions_of(build, data, trainee):
    return [s for s in json.loads(kioskctl(build, data, "sessions", "--all", "--json"))
            if s["trainee_no"] == trainee]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def run_kiosk(build, cfg, script, env, during=None):
    """Runs the kiosk on the script; `during(until)` may act while it runs."""
    k = subprocess.Popen([os.path.join(build, "bin", "kiosk"), "--config", cfg, "--script", script,
                          "--trace"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    lines = []

    def until(prefix):
        while True:
            line = k.stdout.readline()
            assert line, (prefix, lines[-20:], k.stderr.read())
            lines.append(line.rstrip("\n"))
            if line.startswith(prefix):
                return line

    try:
        if during:
            during(until)
        out, err = k.communicate(timeout=180)
    finally:
        if k.poll() is None:
            k.kill()
            k.wait()
    lines += out.splitlines()
    assert k.returncode == 0, (k.returncode, err[-3000:])
    return [l for l in lines if l.startswith("trace screen ")], err


def granted(build, tmp, data, cfg, env, shots):
    script = write(tmp + "/extend.txt", "\n".join([
        f"tap {CARD1}", "press start",
        "advance 6",  # 4 minutes left: the warning, with Extend
        f"shot {shots}/session-warning-extend.png",
        "press extend",
        f"shot {shots}/session-extended.png",
        "advance 5",  # 1 minute past the old end: the session goes on (9 minutes left)
        f"shot {shots}/session-after-old-end.png",
        "quit", ""]))
    screens, _ = run_kiosk(build, cfg, script, env)
    warned = [l for l in screens if l.startswith("trace screen session") and " extend@" in l]
    assert warned, screens
    # After the press: no Extend on screen any more (not in the warning), still the session.
    after = screens[screens.index(warned[-1]) + 1:]
    assert after and all(l.startswith("trace screen session ") for l in after), screens
    assert all(" extend@" not in l for l in after), after
    mine = sessions_of(build, data, "D-0001")
    assert len(mine) == 1, mine
    s = mine[0]
    rows = audit_rows(build, data)
    ext = [r for r in rows if r["kind"] == "session.extended"]
    assert len(ext) == 1 and ext[0]["actor"] == "kiosk" and ext[0]["outcome"] == "ok", ext
    d = json.loads(ext[0]["detail"])
    assert d["session"] == s["id"] and d["minutes"] == 10 and d["backend"] == "workspace", d
    assert d["new_ends_at"] == s["ends_at"], (d, s)
    # The session ran past its old end: not closed as expired at it (ended, if at all, by the
    # kiosk's quit or later, never at the old end).
    assert s["ended_at"] is None or s["ended_at"] > d["old_ends_at"], (s, d)
    assert not [r for r in rows if r["kind"] == "session.end" and
                json.loads(r["detail"]).get("session") == s["id"] and
                json.loads(r["detail"]).get("cause") == "expired"], "expired at its old end"
    for name in ("session-warning-extend", "session-extended", "session-after-old-end"):
        assert os.path.getsize(f"{shots}/{name}.png") > 0
    return s


def refused(build, tmp, data, cfg, env, shots):
    script = write(tmp + "/refused.txt", "\n".join([
        f"tap {CARD2}", "press start", "wait 6", "advance 6",
        "press extend",
        f"shot {shots}/session-extend-refused.png",
        "quit", ""]))

    def revoke_meanwhile(until):
        until("trace workspace opened")
        kioskctl(build, data, "unenroll", "--card", CARD2)  # during the script's "wait 6"

    screens, _ = run_kiosk(build, cfg, script, env, revoke_meanwhile)
    mine = sessions_of(build, data, "D-0002")
    assert len(mine) == 1, mine
    rows = audit_rows(build, data)
    refusal = [r for r in rows if r["kind"] == "session.extend" and r["trainee_no"] == "D-0002"]
    assert len(refusal) == 1 and refusal[0]["outcome"] == "refused", refusal
    assert "CARD_REVOKED" in refusal[0]["detail"], refusal
    assert not [r for r in rows if r["kind"] == "session.extended" and r["trainee_no"] == "D-0002"]
    d = json.loads(refusal[0]["detail"])
    assert d["ends_at"] == mine[0]["ends_at"], (d, mine)  # nothing moved
    # The refusal is on the session screen (with its ok control to close it), no Extend beside it.
    last = [l for l in screens if l.startswith("trace screen session")]
    assert last and " ok@" in last[-1] and " extend@" not in last[-1], screens
    assert os.path.getsize(f"{shots}/session-extend-refused.png") > 0


def unavailable(build, tmp, data, env, shots):
    """In Japanese: the test database goes away during the session; Extend fails (the gate's probe),
    nothing moves, a `session.extend` row `failed`, and the screen shows the refusal with its
    close control (its sentence is the Japanese table's, ui_screens_test checks the text)."""
    cfg = write(tmp + "/kiosk-ja.toml", f'data_dir = "{data}"\n[ui]\nlanguage = "ja"\n'
                                        "[sessions]\nminutes = 10\nextend_minutes = 10\n")
    script = write(tmp + "/unavailable.txt", "\n".join([
        f"tap {CARD1}", "press start", "wait 6", "advance 6",
        "press extend",
        f"shot {shots}/session-extend-unavailable-ja.png",
        "quit", ""]))

    def lose_the_test_database(until):
        until("trace workspace opened")
        os.rename(data + "/testdb.sqlite", data + "/testdb.moved")  # during the script's "wait 6"

    screens, _ = run_kiosk(build, cfg, script, env, lose_the_test_database)
    os.rename(data + "/testdb.moved", data + "/testdb.sqlite")
    failed = [r for r in audit_rows(build, data) if r["kind"] == "session.extend" and
              r["trainee_no"] == "D-0001"]
    assert len(failed) == 1 and failed[0]["outcome"] == "failed", failed
    last = [l for l in screens if l.startswith("trace screen session")]
    assert last and " lang ja " in last[-1] and " ok@" in last[-1] and " extend@" not in last[-1], \
        screens
    assert os.path.getsize(f"{shots}/session-extend-unavailable-ja.png") > 0


def main():
    build = os.path.abspath(sys.argv[1])
    keep = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory(prefix="kiosk-extend-") as tmp, XvfbDisplay() as x:
        kioskctl(build, tmp + "/demo/data", "demo-data", "--out", tmp + "/demo", "--trainees", "20")
        data = tmp + "/demo/data"
        cfg = write(tmp + "/kiosk.toml", f'data_dir = "{data}"\n[ui]\nlanguage = "en"\n'
                                         "[sessions]\nminutes = 10\nextend_minutes = 10\n")
        shots = tmp + "/shots"
        os.makedirs(shots)
        granted(build, tmp, data, cfg, x.env(), shots)
        refused(build, tmp, data, cfg, x.env(), shots)
        unavailable(build, tmp, data, x.env(), shots)
        if keep:
            os.makedirs(keep, exist_ok=True)
            for f in os.listdir(shots):
                shutil.copy(os.path.join(shots, f), keep)
    print("kiosk extend: the warning's Extend made a fresh decision and the session went on past "
          "its old end (session.extended); a card revoked meanwhile was refused on screen "
          "(CARD_REVOKED) and audited; with the test database gone, Extend failed on the Japanese "
          "screen, audited as failed")


if __name__ == "__main__":
    main()
