#!/usr/bin/env python3
"""A mirror record changed outside a sync is refused, not served, and `sync --full-compare`
repairs it from the snapshot the mirror already holds. Through the real kioskctl: a demo data
directory, a granted card; then mirror.db is edited by hand (a certificate's status and date)
-> that trainee's tap is a KIOSK_FAULT refusal naming the digest, other trainees are unaffected;
an ordinary re-sync of the same snapshot is a replay; `sync --full-compare` re-applies it,
reports the one changed certificate, and the tap is granted again.
Usage: test_mirror_tamper.py BUILD_DIR"""
import csv, json, os, sqlite3, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness

AT = "2026-11-24T10:00:00+09:00"
h = Harness(sys.argv[1])
out = os.path.join(h.work, "demo")
p = h.kc("demo-data", "--out", out, "--generated-at", "2026-11-24T02:00:00+09:00", "--trainees",
         "50", data=False)
h.check(p.returncode == 0, f"demo-data: {p.stderr.strip()}")
data = os.path.join(out, "data")
feed = os.path.join(out, "completions.csv")


def kc(*args):
    return subprocess.run([h.kioskctl, "--data-dir", data] + list(args), capture_output=True,
                          text=True, timeout=120)


def decide(uid):
    p = kc("decide", "--card", uid, "--at", AT, "--json")
    return json.loads(p.stdout) if p.stdout.strip() else {"error": p.stderr}


with open(os.path.join(out, "cards.csv"), encoding="utf-8") as f:
    cards = list(csv.DictReader(f))
granted = [c for c in cards if c["expect"].split()[0] == "grant"]
h.check(len(granted) >= 2, f"the demo has granted cards ({len(granted)})")
victim, other = granted[0], granted[1]
h.check(decide(victim["card_uid"]).get("decision") == "grant", "before: the card is granted")

con = sqlite3.connect(os.path.join(data, "mirror.db"))
n = con.execute("UPDATE certificates SET status = 'revoked', completed_on = '2024-01-02' WHERE "
                "certificate_no = (SELECT certificate_no FROM certificates WHERE trainee_no = ? "
                "ORDER BY file_order LIMIT 1)", (victim["trainee_no"],)).rowcount
con.commit()
con.close()
h.check(n == 1, "one certificate edited inside mirror.db")

d = decide(victim["card_uid"])
codes = [r.get("code") for r in d.get("reasons", [])]
h.check(d.get("decision") == "deny" and "KIOSK_FAULT" in codes,
        f"the edited trainee's tap is a KIOSK_FAULT refusal: {d}")
h.check(decide(other["card_uid"]).get("decision") == "grant", "another trainee is unaffected")
rows = json.loads(kc("audit", "export", "--format", "json").stdout)
h.check(any("digest" in r.get("detail", "") for r in rows[-3:]),
        "the audit row of the refusal says the record does not match its digest")

p = kc("sync", feed, "--at", AT)
h.check(p.returncode == 1 and "not greater than the mirror's" in p.stderr,
        f"an ordinary re-sync of the same snapshot is a replay: {p.stderr.strip()}")
p = kc("sync", feed, "--at", AT, "--full-compare", "--json")
h.check(p.returncode == 0, f"sync --full-compare re-applies the snapshot: {p.stderr.strip()}")
if p.returncode == 0:
    r = json.loads(p.stdout)
    h.check(r["full_compare"] and r["certificates"]["changed"] == 1 and
            r["trainees"]["changed"] == 0 and r["certificates"]["added"] == 0,
            f"it reports exactly the one certificate it rewrote: {r['certificates']}")
h.check(decide(victim["card_uid"]).get("decision") == "grant", "after the repair: granted again")
h.check(kc("audit", "verify").returncode == 0, "the audit chain verifies")
h.finish()
