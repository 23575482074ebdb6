#!/usr/bin/env python3
"""Command-line walk-through of the kiosk on its demo data: generates the demo material, then taps
every demo card through `kioskctl decide` and shows the decision each one gets, a session starting,
the mirror ageing, all seats taken, and the audit chain verifying.
Usage: demo_walkthrough.py BUILD_DIR [OUT_DIR]"""
import csv, json, os, shutil, subprocess, sys, tempfile
from datetime import datetime, timedelta, timezone

build = sys.argv[1]
out = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out", "demo"))
kioskctl = os.path.join(build, "bin", "kioskctl")
shutil.rmtree(out, ignore_errors=True)
JST = timezone(timedelta(hours=9))


def kc(*args, data=None, check=True):
    cmd = [kioskctl] + (["--data-dir", data] if data else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"demo: {' '.join(cmd)} failed: {p.stderr.strip()}")
    return p


def show(title):
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


show("Generating demo data")
print(kc("demo-data", "--out", out).stdout.rstrip())
data = os.path.join(out, "data")
now = datetime.now(JST).replace(microsecond=0)

show("Taps (kioskctl decide --card UID --json)")
with open(os.path.join(out, "cards.csv"), encoding="utf-8") as f:
    cards = list(csv.DictReader(f))
for c in cards:
    d = json.loads(kc("decide", "--card", c["card_uid"], "--json", data=data, check=False).stdout)
    codes = [f"{r['code']}{'/' + r['course'] if r['course'] else ''}({','.join(r['rules']) or 'site policy'})"
             for r in d["reasons"]] + [f"+{n['code']}" for n in d["notices"]]
    print(f"{c['card_uid']:<18} {c['label']:<36} -> {d['decision']:<5} {' '.join(codes)}")

show("A qualified trainee starts a session; a second tap is refused (TR-5)")
print(kc("session", "start", "--card", "04D0000000000001", data=data).stdout.rstrip())
p = kc("decide", "--card", "04D0000000000001", data=data, check=False)
print(p.stdout.rstrip())
print(kc("sessions", data=data).stdout.rstrip())

show("The mirror ages: 30 h after the snapshot (MIRROR_AGING), 50 h (MIRROR_STALE)")
for hours in (30, 50):
    at = (now + timedelta(hours=hours)).isoformat()
    d = json.loads(kc("decide", "--card", "04D0000000000003", "--at", at, "--json", data=data, check=False).stdout)
    print(f"+{hours} h: {d['decision']} reasons={[r['code'] for r in d['reasons']]} notices={[n['code'] for n in d['notices']]}")

show("Every seat taken (a site with 2 seats): NO_SEAT")
conf = os.path.join(out, "two-seats.toml")
with open(conf, "w") as f:
    f.write("[sessions]\nseats = 2\n")
d = json.loads(kc("--config", conf, "decide", "--card", "012E4CD2A1B2C302", "--json", data=data, check=False).stdout)
print(f"newcomer with 2 of 2 seats taken: {d['decision']} {[r['code'] for r in d['reasons']]}")

show("Status and the audit trail")
print(kc("status", data=data).stdout.rstrip())
print(kc("audit", "verify", data=data).stdout.rstrip())
print(f"\nDemo data is in {os.path.abspath(out)}; try: {kioskctl} --data-dir {data} decide --card 04D0000000000005")
