#!/usr/bin/env python3
"""Staff mode end to end (issue 11) under Xvfb: the real `kiosk` program on the demo data with the
simulated reader and scripted input. (1) A refused tap, the staff card, the PIN typed, an override
with a typed reason: the session is on screen, `kioskctl sessions` marks it as an override by the
staff member and `kioskctl audit export` carries it with the reason and the refusal codes.
(2) Five wrong PINs, then the right one is refused until the lock ends (the kiosk's clock moved on
with `advance`), and every attempt is in the audit export.
argv[1] = build directory."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from xvfb_display import XvfbDisplay  # noqa: E402

STAFF_CARD, STAFF_PIN = "04FA000000000001", "246813"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    build = os.path.abspath(sys.argv[1])
    kiosk, kioskctl = os.path.join(build, "bin", "kiosk"), os.path.join(build, "bin", "kioskctl")
    with tempfile.TemporaryDirectory(prefix="kiosk-staff-") as tmp, XvfbDisplay() as x:
        demo = tmp + "/demo"
        subprocess.run([kioskctl, "demo-data", "--out", demo, "--trainees", "20"], check=True,
                       capture_output=True)
        data = demo + "/data"
        with open(demo + "/cards.csv", encoding="utf-8") as f:
            cards = list(csv.DictReader(f))
        refused = next(c for c in cards if c["expect"].split()[0] == "deny" and
                       "ORDER_VIOLATION" in c["expect"])

        def kc(*args):
            return subprocess.run([kioskctl, "--data-dir", data, *args], capture_output=True,
                                  text=True, timeout=120)

        def run_script(name, lines):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            return subprocess.run([kiosk, "--data-dir", data, "--windowed", "--trace", "--script",
                                   path], capture_output=True, text=True, env=x.env(), timeout=300)

        # ---- (1) refused tap -> staff card -> PIN -> override with a reason -> session --------
        r = run_script("override.script", [
            f"tap {refused['card_uid']}",
            f"shot {tmp}/refused.png",
            f"tap {STAFF_CARD}",
            f"shot {tmp}/pin.png",
            f"type {STAFF_PIN}\\n",
            f"shot {tmp}/override.png",
            "type phone check with the records office\\n",
            f"shot {tmp}/session.png",
            "quit",
        ])
        check(r.returncode == 0, f"override script runs: {r.stderr.strip()[-300:]}")
        screens = [l.split()[2] for l in r.stdout.splitlines() if l.startswith("trace screen")]
        check("refused" in screens and "staff" in screens and screens[-1] == "session",
              f"refused -> staff -> session on screen: {screens}")
        for shot in ("refused", "pin", "override", "session"):
            check(os.path.getsize(f"{tmp}/{shot}.png") > 1000, f"{shot}.png written")
        sessions = json.loads(kc("sessions", "--json").stdout or "[]")
        over = [s for s in sessions if s.get("override_by") == "staff1"]
        check(len(over) == 1 and over[0]["trainee_no"] == refused["trainee_no"]
              if "trainee_no" in refused else len(over) == 1,
              f"kioskctl sessions shows the override by staff1: {sessions}")
        export = kc("audit", "export", "--format", "csv").stdout.lstrip("\ufeff")
        rows = list(csv.DictReader(io.StringIO(export, newline="")))
        starts = [r for r in rows if r["event"] == "session.start" and r["outcome"] == "override"]
        check(len(starts) == 1 and starts[0]["actor"] == "staff:staff1" and
              "phone check with the records office" in starts[0]["detail"] and
              "ORDER_VIOLATION" in starts[0]["detail"],
              f"the override is in the audit export with staff, reason and codes: {starts}")
        signins = [r["outcome"] for r in rows if r["event"] == "staff.signin"]
        check(signins == ["ok"], f"the sign-in is audited: {signins}")
        check(not any(r["event"] == "decision" and r["subject"].endswith(
            kc("staff", "list").stdout.split("card ")[-1].split()[0]) for r in rows),
            "the staff card was never decided as a trainee card")

        # ---- (2) five wrong PINs, then the right one refused until the lock ends -------------
        end = [s for s in sessions if s.get("override_by") == "staff1"]
        if end:
            kc("session", "end", str(end[0]["id"]))
        lines = [f"tap {STAFF_CARD}"] + ["type 000000\\n"] * 5 + [
            f"type {STAFF_PIN}\\n", f"shot {tmp}/locked.png",
            # 15 minutes later (staff mode has left by itself after a minute without input).
            "advance 15", "wait 0.5", f"tap {STAFF_CARD}",
            f"type {STAFF_PIN}\\n", f"shot {tmp}/panel.png", "quit"]
        r = run_script("lockout.script", lines)
        check(r.returncode == 0, f"lockout script runs: {r.stderr.strip()[-300:]}")
        export = kc("audit", "export", "--format", "json").stdout
        rows = json.loads(export or "[]")
        outcomes = [r["outcome"] for r in rows if r["kind"] == "staff.signin"][1:]
        check(outcomes == ["wrong"] * 4 + ["lockout", "locked", "ok"],
              f"wrong x4, lockout, locked (right PIN refused), ok after 15 minutes: {outcomes}")
        keep = os.environ.get("STAFF_SHOTS_DIR")  # README pictures: keep the shots there
        if keep:
            import shutil
            os.makedirs(keep, exist_ok=True)
            for shot in ("pin", "override", "session", "locked", "panel"):
                if os.path.exists(f"{tmp}/{shot}.png"):
                    shutil.copy(f"{tmp}/{shot}.png", os.path.join(keep, f"staff_{shot}.png"))
        listed = kc("staff", "list").stdout
        check("locked" not in listed, f"the lock ended: {listed.strip()}")
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


main()
