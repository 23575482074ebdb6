#!/usr/bin/env python3
"""Staff "sync now" end to end (issue 11 item 3) under Xvfb: the real `kiosk` program on the demo
data, its config's [sync] source pointing at a snapshot signed with the stock `minisign` under the
demo's records-office key (as tests/integration/sync_harness.py signs them). Staff sign in (card +
PIN), open Records and press "sync now":
(1) a snapshot whose bytes were changed after signing: the failure is on screen with its reason,
    the mirror is untouched (same fingerprint, `kioskctl status` still at sequence 1), and the
    rejection is audited with the staff member as actor;
(2) the signed snapshot while another sync holds the mirror's write lock (as the nightly
    `kioskctl sync` holds it while it applies; held here by a second connection for the test's
    length): the kiosk's sync fails after the lock timeout saying another sync is writing the
    records, the mirror untouched, decisions meanwhile go on;
(3) the properly signed snapshot (sequence 2): the progress, then the report on screen, the
    records' sequence 2 on the Records page and in `kioskctl status`, `sync.applied` audited
    with the staff member; a trainee's tap right after is decided as usual.
argv[1] = build directory. STAFF_SHOTS_DIR keeps the screenshots."""
import csv
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
sys.path.insert(0, os.path.dirname(__file__))
from xvfb_display import XvfbDisplay  # noqa: E402
from sync_harness import mirror_fingerprint, sign  # noqa: E402

STAFF_CARD, STAFF_PIN = "04FA000000000001", "246813"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def iso(t):
    return t.astimezone(datetime.timezone(datetime.timedelta(hours=9))).isoformat(timespec="seconds")


def main():
    build = os.path.abspath(sys.argv[1])
    kiosk, kioskctl = os.path.join(build, "bin", "kiosk"), os.path.join(build, "bin", "kioskctl")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="kiosk-sync-") as tmp, XvfbDisplay() as x:
        demo = tmp + "/demo"
        subprocess.run([kioskctl, "demo-data", "--out", demo, "--trainees", "20",
                        "--generated-at", iso(now - datetime.timedelta(hours=2))],
                       check=True, capture_output=True)
        data = demo + "/data"
        with open(demo + "/cards.csv", encoding="utf-8") as f:
            cards = list(csv.DictReader(f))
        granted = next(c for c in cards if c["expect"].split()[0] == "grant")

        # The next snapshot: one trainee renamed (on each of its rows), signed as sequence 2 by
        # the records office.
        source = tmp + "/next.csv"
        with open(demo + "/completions.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        col = {name: i for i, name in enumerate(rows[0])}
        first = rows[1][col["trainee_no"]]
        for row in rows[1:]:
            if row[col["trainee_no"]] == first:
                row[col["name"]] += " (改)"
        with open(source, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
        sign(source, demo + "/office.key", 2, iso(now - datetime.timedelta(hours=1)))
        good = open(source, "rb").read()
        with open(tmp + "/kiosk.toml", "w") as f:
            f.write(f'[sync]\nsource = "{source}"\npublic_key = "{demo}/office.pub"\n')

        def kc(*args):
            return subprocess.run([kioskctl, "--data-dir", data, *args], capture_output=True,
                                  text=True, timeout=120)

        def sequence():
            return json.loads(kc("status", "--json").stdout)["mirror"]["sequence"]

        def run_script(name, steps):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write("\n".join(steps) + "\n")
            return subprocess.run([kiosk, "--config", tmp + "/kiosk.toml", "--data-dir", data,
                                   "--windowed", "--trace", "--script", path],
                                  capture_output=True, text=True, env=x.env(), timeout=300)

        def records_lines(out):
            return [l for l in out.splitlines()
                    if l.startswith("trace screen staff") and "page=records" in l]

        def sync_script(shot):
            return [f"tap {STAFF_CARD}", f"type {STAFF_PIN}\\n", "staff records",
                    f"shot {tmp}/{shot}_before.png", "staff sync", "wait sync",
                    f"shot {tmp}/{shot}.png", "press cancel", f"tap {granted['card_uid']}",
                    f"shot {tmp}/{shot}_tap.png", "quit"]

        # ---- (1) bad signature: the bytes changed after signing ----------------------------
        check(sequence() == 1, f"the demo mirror starts at sequence 1: {sequence()}")
        with open(source, "wb") as f:
            f.write(good.replace(" (改)".encode(), " (偽)".encode()))
        before, _ = mirror_fingerprint(data + "/mirror.db")
        r = run_script("bad.script", sync_script("sync_bad"))
        check(r.returncode == 0, f"bad-signature script runs: {r.stderr.strip()[-400:]}")
        rec = records_lines(r.stdout)
        check(any("records_sequence=1" in l and "sync=failed" in l for l in rec),
              f"Records page shows the failed sync over sequence 1: {rec[-1:] if rec else rec}")
        fails = [l for l in r.stdout.splitlines() if l.startswith("trace sync failed")]
        check(len(fails) == 1 and "signature" in fails[0],
              f"the failure names the signature: {fails}")
        after, integrity = mirror_fingerprint(data + "/mirror.db")
        check(after == before and integrity == ["ok"], "the mirror is untouched")
        check(sequence() == 1, "kioskctl status still shows sequence 1")
        rows = json.loads(kc("audit", "export", "--format", "json").stdout)
        rej = [e for e in rows if e["kind"] == "sync.rejected"]
        check(len(rej) == 1 and rej[0]["actor"] == "staff:staff1",
              f"the rejection is audited with the staff member: {rej}")
        staff_sync = [e for e in rows if e["kind"] == "staff.sync"]
        check(len(staff_sync) == 1 and staff_sync[0]["outcome"] == "started",
              f"the start of sync now is audited: {staff_sync}")

        # ---- (2) another sync holds the mirror's write lock -----------------------------------
        with open(source, "wb") as f:
            f.write(good)
        lock = sqlite3.connect(data + "/mirror.db", isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")
        try:
            # Staff start the sync and leave; a trainee taps while it waits for the lock; staff
            # come back for its report.
            r = run_script("locked.script", [
                f"tap {STAFF_CARD}", f"type {STAFF_PIN}\\n", "staff records", "staff sync",
                "press cancel", f"tap {granted['card_uid']}", "wait sync", f"tap {STAFF_CARD}",
                f"type {STAFF_PIN}\\n", "staff records", f"shot {tmp}/sync_locked.png", "quit"])
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        check(r.returncode == 0, f"locked script runs: {r.stderr.strip()[-400:]}")
        fails = [l for l in r.stdout.splitlines() if l.startswith("trace sync failed")]
        check(len(fails) == 1 and "another sync is writing the records now" in fails[0],
              f"the kiosk says another sync is writing the records: {fails}")
        check(sequence() == 1, "kioskctl status still shows sequence 1")
        decided = [l for l in r.stdout.splitlines() if l.startswith("trace decision_frame")]
        kv = dict(p.split("=", 1) for p in decided[0].split()[2:]) if decided else {}
        ended = int(fails[0].split("at_ns=")[1].split()[0]) if fails else 0
        check(len(decided) == 1 and kv["screen"] == "granted" and int(kv["presented_ns"]) < ended
              and int(kv["presented_ns"]) - int(kv["queued_ns"]) < 1e9,
              f"a trainee's tap was decided and on screen while the sync waited: {decided}")
        rec = records_lines(r.stdout)
        check(any("sync=failed" in l for l in rec), "staff find the failure on the Records page")

        # ---- (3) the signed snapshot: applied ---------------------------------------------
        r = run_script("good.script", sync_script("sync_ok"))
        check(r.returncode == 0, f"sync script runs: {r.stderr.strip()[-400:]}")
        news = [l.split()[2] for l in r.stdout.splitlines() if l.startswith("trace sync ")]
        check(news[:1] == ["running"] and news[-1] == "applied",
              f"the sync reports progress, then its end: {news}")
        rec = records_lines(r.stdout)
        check(any("records_sequence=1" in l for l in rec) and
              any("records_sequence=2" in l and "sync=applied" in l for l in rec),
              f"the Records page's sequence goes 1 -> 2: {[l[-80:] for l in rec]}")
        check(sequence() == 2, f"kioskctl status shows sequence 2: {sequence()}")
        rows = json.loads(kc("audit", "export", "--format", "json").stdout)
        applied = [e for e in rows if e["kind"] == "sync.applied"]
        check(applied and applied[-1]["actor"] == "staff:staff1",
              f"sync.applied is audited with the staff member: {applied[-1:]}")
        screens = [l.split()[2] for l in r.stdout.splitlines() if l.startswith("trace screen")]
        check(screens[-1] == "granted", f"a trainee's tap after the sync is granted: {screens[-3:]}")
        for shot in ("sync_bad", "sync_ok", "sync_ok_before"):
            check(os.path.getsize(f"{tmp}/{shot}.png") > 1000, f"{shot}.png written")
        keep = os.environ.get("STAFF_SHOTS_DIR")
        if keep:
            os.makedirs(keep, exist_ok=True)
            for shot in ("sync_bad", "sync_locked", "sync_ok", "sync_ok_before", "sync_ok_tap"):
                shutil.copy(f"{tmp}/{shot}.png", os.path.join(keep, f"staff_{shot}.png"))
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


main()
