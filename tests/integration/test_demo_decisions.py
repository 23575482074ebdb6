#!/usr/bin/env python3
"""`kioskctl demo-data` builds a signed feed, key pair, test database and a ready data directory
whose demo cards exercise every decision code of product.md section 4; each card's tap gives the
decision cards.csv promises. Also: demo-data is deterministic, and the mirror-age and seat codes
appear as the clock and the seats say.
Usage: test_demo_decisions.py BUILD_DIR"""
import csv, filecmp, json, os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness

h = Harness(sys.argv[1])
GEN = "2026-11-24T02:00:00+09:00"
out = os.path.join(h.work, "demo")
p = h.kc("demo-data", "--out", out, "--generated-at", GEN, "--trainees", "50", data=False)
h.check(p.returncode == 0, f"demo-data: {p.stderr.strip()}")
data = os.path.join(out, "data")
for f in ("completions.csv", "completions.csv.minisig", "office.pub", "office.key", "cards.csv", "testdb.sqlite"):
    h.check(os.path.exists(os.path.join(out, f)), f"demo-data wrote {f}")
v = subprocess.run(["minisign", "-V", "-p", os.path.join(out, "office.pub"), "-m", os.path.join(out, "completions.csv")],
                   capture_output=True, text=True)
h.check(v.returncode == 0, f"the stock minisign verifies the demo feed: {v.stderr.strip()}")

out2 = os.path.join(h.work, "demo2")
h.kc("demo-data", "--out", out2, "--generated-at", GEN, "--trainees", "50", data=False)
for f in ("completions.csv", "completions.csv.minisig", "office.pub", "cards.csv"):
    h.check(filecmp.cmp(os.path.join(out, f), os.path.join(out2, f), shallow=False), f"demo-data is deterministic: {f}")


def decide(uid, at="2026-11-24T10:00:00+09:00", config=None):
    args = (["--config", config] if config else []) + ["--data-dir", data, "decide", "--card", uid, "--at", at, "--json"]
    p = subprocess.run([h.kioskctl] + args, capture_output=True, text=True)
    return json.loads(p.stdout) if p.stdout.strip() else {"error": p.stderr}


seen = set()
with open(os.path.join(out, "cards.csv"), encoding="utf-8") as f:
    for c in csv.DictReader(f):
        d = decide(c["card_uid"])
        want = c["expect"].split()
        ok = d.get("decision") == want[0]
        for code in want[1:]:
            code = code.lstrip("+")
            found = [x["code"] for x in d.get("reasons", []) + d.get("notices", [])]
            ok = ok and code in found
            seen.add(code)
        h.check(ok, f"{c['card_uid']} ({c['label']}): want {c['expect']}, got {d}")

d = decide("04D0000000000001", at="2026-11-25T06:00:00+09:00")
h.check(d["decision"] == "grant" and any(n["code"] == "MIRROR_AGING" for n in d["notices"]), f"28 h old mirror: MIRROR_AGING {d}")
seen.add("MIRROR_AGING")
d = decide("04D0000000000001", at="2026-11-26T03:00:00+09:00")
h.check(d["decision"] == "deny" and any(r["code"] == "MIRROR_STALE" for r in d["reasons"]), f"49 h old mirror: MIRROR_STALE {d}")
seen.add("MIRROR_STALE")
conf = os.path.join(h.work, "one-seat.toml")
with open(conf, "w") as f:
    f.write("[sessions]\nseats = 1\n")
d = decide("04D0000000000001", config=conf)
h.check(d["decision"] == "deny" and [r["code"] for r in d["reasons"]] == ["NO_SEAT"], f"one seat, taken: NO_SEAT {d}")
seen.add("NO_SEAT")

every = {"CARD_UNKNOWN", "CARD_REVOKED", "TRAINEE_UNKNOWN", "COURSE_MISSING", "CERT_LOST", "CERT_NOT_OBTAINED",
         "CERT_REVOKED", "RETAKE_REQUIRED", "ORDER_VIOLATION", "ALREADY_IN_SESSION", "MIRROR_STALE", "NO_SEAT",
         "RETAKE_ADVISED", "BRIEFING_NEEDED", "MIRROR_AGING"}
h.check(every <= seen, f"the demo exercises every decision code; missing {every - seen}")

# A session: granted trainee starts one, a re-tap is ALREADY_IN_SESSION (TR-5), ending frees it.
p = subprocess.run([h.kioskctl, "--data-dir", data, "session", "start", "--card", "04D0000000000001",
                    "--at", "2026-11-24T10:00:00+09:00", "--json"], capture_output=True, text=True)
s = json.loads(p.stdout)
h.check(p.returncode == 0 and s["session"]["trainee_no"] == "D-0001", f"session start: {p.stdout.strip()} {p.stderr.strip()}")
d = decide("04D0000000000001", at="2026-11-24T10:05:00+09:00")
h.check([r["code"] for r in d["reasons"]] == ["ALREADY_IN_SESSION"], f"re-tap during the session: {d}")
p = subprocess.run([h.kioskctl, "--data-dir", data, "session", "end", str(s["session"]["id"]),
                    "--at", "2026-11-24T10:10:00+09:00"], capture_output=True, text=True)
h.check(p.returncode == 0, f"session end: {p.stderr.strip()}")
d = decide("04D0000000000001", at="2026-11-24T10:11:00+09:00")
h.check(d["decision"] == "grant", f"after the session ended: {d}")
p = subprocess.run([h.kioskctl, "--data-dir", data, "session", "start", "--card", "04D0000000000005",
                    "--at", "2026-11-24T10:00:00+09:00"], capture_output=True, text=True)
h.check(p.returncode == 1 and "no session started" in p.stderr, f"a refused card starts no session: {p.stderr.strip()}")
p = subprocess.run([h.kioskctl, "--data-dir", data, "session", "start", "--card", "04D0000000000005",
                    "--at", "2026-11-24T10:00:00+09:00", "--override-by", "staff1", "--reason", "order recorded wrongly; office confirmed",
                    "--json"], capture_output=True, text=True)
h.check(p.returncode == 0 and "ORDER_VIOLATION" in p.stdout, f"staff override starts a session and records the refusal: {p.stdout.strip()} {p.stderr.strip()}")
p = subprocess.run([h.kioskctl, "--data-dir", data, "audit", "verify"], capture_output=True, text=True)
h.check(p.returncode == 0, f"audit verifies: {p.stdout.strip()}")
p = subprocess.run([h.kioskctl, "--data-dir", data, "status", "--json", "--at", "2026-11-24T10:30:00+09:00"], capture_output=True, text=True)
st = json.loads(p.stdout)
h.check(st["mirror"]["sequence"] == 1 and st["mirror"]["state"] == "fresh" and st["mirror"]["trainees"] == 62,
        f"status --json: {st.get('mirror')}")
h.finish()
