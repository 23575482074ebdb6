#!/usr/bin/env python3
"""The kiosk's demo (issue 8 item 7): headless, scripts/demo_tour.py writes a PNG of every screen
of the tour (idle, granted, each kind of refusal, session, warning, extended, English) and prints their
paths; with a display, `kiosk --demo --windowed` taps its demo cards on keys 1-9 (real key presses
through xdotool), and the demo's session is the built-in workspace on screen (a query typed, run
and its row shown, then End session). argv[1] = build directory."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from test_kiosk_e2e import Kiosk, click, type_text  # noqa: E402
from xvfb_display import XvfbDisplay  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def main():
    build = os.path.abspath(sys.argv[1])
    kioskctl = os.path.join(build, "bin", "kioskctl")
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as tmp:
        subprocess.run([kioskctl, "demo-data", "--out", tmp], check=True, capture_output=True)
        # Headless: the tour.
        r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo_tour.py"), build,
                            tmp], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        paths = [l.split()[0] for l in r.stdout.splitlines() if l.startswith("  /")]
        names = [os.path.basename(p) for p in paths]
        for want in ("idle", "granted", "refused-order_violation", "refused-card_unknown",
                     "session", "session-warning", "session-extended", "idle-en", "refused-en"):
            assert any(n[3:-4] == want or n[3:].startswith(want + "-") for n in names), (want, names)
        for p in paths:
            with open(p, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n", p
        assert len({open(p, "rb").read() for p in paths}) == len(paths), "two screens look the same"

        # With a display: the window, keys 1-9 tap the demo cards.
        with XvfbDisplay() as x:
            k = Kiosk(build, ["--demo", "--windowed", "--data-dir", tmp + "/data"], x.env())
            try:
                k.expect("trace first_frame_ns=")
                k.wait_screen("idle")
                env = x.env()
                subprocess.run(["xdotool", "mousemove", "640", "360"], env=env, check=True)
                time.sleep(0.2)
                subprocess.run(["xdotool", "key", "1"], env=env, check=True)
                k.wait_screen("granted")
                # The demo's session is the built-in workspace, on screen: Start, a query typed
                # into its editor and run, its row on screen, then End session.
                click(x, k.control("start"))
                k.expect("trace workspace opened")
                k.wait_screen("session")
                if " ws_editor@" not in k.screen:
                    k.expect("trace screen session ", where=" ws_editor@")
                click(x, k.control("ws_editor"))
                # Digits and '(' (Shift+9) are typing here, not the tray's card keys.
                type_text(x, "SELECT count(*) AS n FROM patients LIMIT 1")
                time.sleep(0.3)
                click(x, k.control("ws_run"))
                done = k.expect("trace workspace query ", where="outcome=done", timeout=30)
                assert " rows=1 " in done, done
                if " ws_run@" not in k.screen:  # Run is offered again
                    k.expect("trace screen session ", where=" ws_run@")
                click(x, k.control("end_session"))
                k.expect("trace workspace closed")
                k.wait_screen("session_ended")
                k.wait_screen("idle", timeout=30)
                subprocess.run(["xdotool", "key", "5"], env=env, check=True)
                k.wait_screen("refused")
            finally:
                k.stop()
    print(f"kiosk demo: {len(paths)} tour pictures; keys 1 and 5 tapped demo cards in the window; "
          "the demo's session ran a query in the built-in workspace")


if __name__ == "__main__":
    main()
