#!/usr/bin/env python3
"""End to end: the real `kiosk` under Xvfb against a real pcscd + vpcd and the project's card
emulator (issue 8 item 9). An emulated tap gives the granted screen, another card the refused one
(screenshots of the X display that differ, and the audit rows of both decisions); a real click
(xdotool) on "Start" opens the session; pcscd killed mid-session leaves the session on screen with
the status saying the reader is gone (and back when pcscd is); a real click on "End session"
returns to idle and ends it (sessions and audit). argv[1] = build directory. Takes the machine's one pcscd (RESOURCE_LOCK)."""
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

                # A real click on "Start", then on "End session".
                card = tap(GRANTED)
                k.wait_screen("granted")
                lift(card)
                click(x, k.control("start"))
                k.wait_screen("session")
                active = json.loads(kioskctl(build, data, "sessions", "--json"))
                mine = [s for s in active if s["trainee_no"] == "D-0001" and s["active"]]
                assert len(mine) == 1, active
                # The reader disappears mid-session: the session goes on, the status says so.
                pcscd.kill()
                k.expect("trace screen session ", where=" reader lost")
                pcscd.start()
                k.expect("trace screen session ", where=" reader ok", timeout=20)
                click(x, k.control("end_session"))
                k.wait_screen("session_ended")
                k.wait_screen("idle", timeout=30)  # on ok, or after 10 s
                time.sleep(0.5)
                active = json.loads(kioskctl(build, data, "sessions", "--json"))
                assert not [s for s in active if s["trainee_no"] == "D-0001" and s["active"]], active
                ends = [r for r in audit_rows(build, data) if r["kind"] == "session.end"]
                assert ends and json.loads(ends[-1]["detail"]) == {
                    "reason": "ended", "session": mine[0]["id"]}, ends
            finally:
                if k.proc.poll() is None:
                    k.stop()
    print("kiosk e2e: granted and refused screens differ, both audited; Start and End session "
          "clicked for real; session ended")


if __name__ == "__main__":
    main()
