#!/usr/bin/env python3
"""End to end: the real `kiosk` under Xvfb against a real pcscd + vpcd and the project's card
emulator (issue 8 item 9). An emulated tap gives the granted screen, another card the refused one
(screenshots of the X display that differ, and the audit rows of both decisions); a real click
(xdotool) on "Start" opens the session; pcscd killed mid-session leaves the session on screen with
the status saying the reader is gone (and back when pcscd is); a real click on "End session"
returns to idle and ends it (sessions and audit).
Issue 10 on the real program: the granted Start opens the built-in workspace (the SessionDesk's
gate, audited gate.open); a query typed into the editor (xdotool type) and run (a real click)
shows its rows on screen and lands in the audit (workspace.query with its text and row count);
End session closes the workspace and the session (session.end with cause "trainee", backend
"workspace"); a kiosk killed mid-session (SIGKILL) and started again recovers the session left
over (session.end with cause "restart"). argv[1] = build directory. Takes the machine's one pcscd
(RESOURCE_LOCK)."""
import hashlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pcscd_fixture import Pcscd  # noqa: E402
from vpcd_card import ATR_MIFARE_1K, VirtualCard  # noqa: E402
from xvfb_display import XvfbDisplay  # noqa: E402

GRANTED = "04D0000000000001"  # demo card: qualified MID-NET user
REFUSED = "04D0000000000005"  # demo card: courses in the wrong order (TR-2)


class Kiosk:
    """The kiosk program with --trace: its "trace ..." lines arrive on a queue."""

    def __init__(self, build, args, env):
        self.proc = subprocess.Popen([os.path.join(build, "bin", "kiosk"), "--trace", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env)
        self.lines = queue.Queue()
        self.screen = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, prefix, timeout=15.0, where=None):
        """The next trace line starting with `prefix` (and, for screens, drawn on `where`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line.startswith("trace screen "):
                self.screen = line
            if line.startswith(prefix) and (where is None or where in line):
                return line
        raise AssertionError(f"kiosk: no '{prefix}' {where or ''} within {timeout} s "
                             f"(last screen: {self.screen}; rc={self.proc.poll()}; "
                             f"stderr: {self.stderr_so_far()})")

    def wait_screen(self, name, timeout=15.0):
        """Until the screen drawn last is `name` (it may already be)."""
        if self.screen and self.screen.split()[2] == name:
            return self.screen
        return self.expect(f"trace screen {name} ", timeout)

    def control(self, intent):
        """Where a control of the screen drawn last is: an intent, or a workspace control
        ("ws_editor", "ws_run", "ws_next", ...)."""
        for word in (self.screen or "").split():
            if word.startswith(intent + "@"):
                x, y = word.split("@")[1].split(",")
                return int(x), int(y)
        raise AssertionError(f"no {intent} control on {self.screen}")

    def stderr_so_far(self):
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read()

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(timeout=10)
        assert rc == 0, (rc, self.proc.stderr.read())


def kill_hard(k):
    """A crash: SIGKILL, no clean-up of any kind."""
    k.proc.kill()
    k.proc.wait(timeout=10)


def kioskctl(build, data, *args):
    r = subprocess.run([os.path.join(build, "bin", "kioskctl"), "--data-dir", data, *args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    return r.stdout


def grab(x, path):
    """A picture of what the X display shows (not the kiosk's own --screenshot)."""
    subprocess.run(["import", "-display", x.display, "-window", "root", path], check=True,
                   timeout=30)
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def click(x, pos):
    env = x.env()
    subprocess.run(["xdotool", "mousemove", str(pos[0]), str(pos[1])], env=env, check=True)
    time.sleep(0.1)
    subprocess.run(["xdotool", "click", "1"], env=env, check=True)


def tap(card_uid):
    card = VirtualCard(card_uid, ATR_MIFARE_1K)
    card.insert()
    return card


def lift(card):
    card.remove()
    time.sleep(0.6)  # until pcscd's next poll has seen it go (field notes)


def audit_rows(build, data):
    return json.loads(kioskctl(build, data, "audit", "export", "--format", "json"))


def type_text(x, text):
    subprocess.run(["xdotool", "type", "--delay", "30", text], env=x.env(), check=True,
                   timeout=60)


def open_sessions(build, data, trainee):
    """The trainee's sessions not ended in the store (also those whose time is up)."""
    return [s for s in json.loads(kioskctl(build, data, "sessions", "--all", "--json"))
            if s["trainee_no"] == trainee and s["ended_at"] is None]


QUERY = "SELECT patient_id, sex, birth_year FROM patients ORDER BY patient_id LIMIT 25"


def main():
    build = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="kiosk-e2e-") as tmp:
        data = tmp + "/demo/data"
        kioskctl(build, data, "demo-data", "--out", tmp + "/demo", "--trainees", "50")
        cfg = tmp + "/kiosk.toml"
        with open(cfg, "w") as f:
            f.write(f'data_dir = "{data}"\n[reader]\nname = "Virtual PCD 00 00"\n')
        with Pcscd() as pcscd, XvfbDisplay() as x:
            k = Kiosk(build, ["--config", cfg], x.env())
            try:
                k.expect("trace first_frame_ns=")
                k.wait_screen("idle")

                card = tap(GRANTED)
                k.expect("trace decision_frame", where="screen=granted")
                k.wait_screen("granted")
                time.sleep(0.3)
                granted_png = grab(x, tmp + "/granted.png")
                lift(card)

                card = tap(REFUSED)
                k.expect("trace decision_frame", where="screen=refused")
                k.wait_screen("refused")
                time.sleep(0.3)
                refused_png = grab(x, tmp + "/refused.png")
                lift(card)
                assert granted_png != refused_png, "the granted and refused screens look the same"

                rows = [r for r in audit_rows(build, data) if r["kind"] == "decision"]
                assert [r["outcome"] for r in rows[-2:]] == ["grant", "deny"], rows[-2:]
                assert all(r["actor"] == "Virtual PCD 00 00" for r in rows[-2:]), rows[-2:]
                assert rows[-2]["trainee_no"] == "D-0001" and rows[-1]["trainee_no"] == "D-0005"

                # A real click on "Start": the workspace opens (the SessionDesk's gate).
                card = tap(GRANTED)
                k.wait_screen("granted")
                lift(card)
                click(x, k.control("start"))
                k.expect("trace workspace opened")
                k.wait_screen("session")
                mine = open_sessions(build, data, "D-0001")
                assert len(mine) == 1, mine
                opens = [r for r in audit_rows(build, data) if r["kind"] == "gate.open"]
                assert opens and opens[-1]["outcome"] == "ok" and json.loads(
                    opens[-1]["detail"])["backend"] == "workspace", opens

                # A query typed into the editor and run with a real click: rows on screen, audited.
                assert " ws_editor@" in k.screen, k.screen  # the session screen is the workspace
                before_png = grab(x, tmp + "/workspace-empty.png")
                click(x, k.control("ws_editor"))
                type_text(x, QUERY)
                time.sleep(0.3)
                click(x, k.control("ws_run"))
                done = k.expect("trace workspace query ", where="outcome=done", timeout=30)
                assert " rows=25 " in done, done
                time.sleep(0.3)
                rows_png = grab(x, tmp + "/workspace-rows.png")
                assert rows_png != before_png, "the workspace looks the same after the query"
                queries = [r for r in audit_rows(build, data) if r["kind"] == "workspace.query"]
                assert queries, "the query is not in the audit"
                q = json.loads(queries[-1]["detail"])
                assert (q["sql"] == QUERY and q["rows"] == 25 and queries[-1]["outcome"] == "done"
                        and queries[-1]["trainee_no"] == "D-0001"), queries[-1]

                # The reader disappears mid-session: the session goes on, the status says so.
                pcscd.kill()
                k.expect("trace screen session ", where=" reader lost")
                pcscd.start()
                k.expect("trace screen session ", where=" reader ok", timeout=20)
                # A real click on "End session": the workspace closes, the gate closes (audited).
                click(x, k.control("end_session"))
                k.expect("trace workspace closed")
                k.wait_screen("session_ended")
                k.wait_screen("idle", timeout=30)  # on ok, or after 10 s
                time.sleep(0.5)
                assert not open_sessions(build, data, "D-0001")
                ends = [r for r in audit_rows(build, data) if r["kind"] == "session.end"]
                end = json.loads(ends[-1]["detail"]) if ends else {}
                assert (end.get("session") == mine[0]["id"] and end.get("cause") == "trainee"
                        and end.get("backend") == "workspace"), ends

                # A crash mid-session, then the kiosk again: the session left over is recovered.
                card = tap(GRANTED)
                k.wait_screen("granted")
                lift(card)
                click(x, k.control("start"))
                k.expect("trace workspace opened")
                left_over = open_sessions(build, data, "D-0001")
                assert len(left_over) == 1, left_over
                kill_hard(k)
                assert open_sessions(build, data, "D-0001") == left_over, "closed without a kiosk"
                k = Kiosk(build, ["--config", cfg], x.env())
                k.expect("trace first_frame_ns=")
                deadline = time.monotonic() + 15
                while open_sessions(build, data, "D-0001") and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert not open_sessions(build, data, "D-0001"), "not recovered at start-up"
                ends = [r for r in audit_rows(build, data) if r["kind"] == "session.end" and
                        json.loads(r["detail"]).get("session") == left_over[0]["id"]]
                assert len(ends) == 1 and json.loads(ends[0]["detail"])["cause"] == "restart" \
                    and ends[0]["actor"] == "kiosk", ends
                k.wait_screen("idle")
            finally:
                if k.proc.poll() is None:
                    k.stop()
    print("kiosk e2e: granted and refused screens differ, both audited; Start opened the "
          "workspace, a typed query showed 25 rows and was audited; End session closed it "
          "(cause trainee); a session left by a crash was recovered at start-up (cause restart)")


if __name__ == "__main__":
    main()
