#!/usr/bin/env python3
"""`kioskctl sync` reads feeds saved as CP932 (Shift_JIS, as Excel writes them) as well as UTF-8:
a CP932 file with Japanese headers written by Python's "cp932" codec and signed by the stock
minisign applies with --encoding cp932 and when the encoding is detected, and the names land in the
mirror as UTF-8. A byte invalid in the declared (or in every) encoding, a wrong declaration, an
unknown encoding name and a signed 100 MB single-line file are each rejected with exit 1, one line
naming the line of the defect, the mirror unchanged; the 100 MB file is read in bounded memory.
Usage: test_sync_encoding.py BUILD_DIR"""
import json, os, shutil, sqlite3, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT, HEADER

JP_HEADER = "受講者番号,氏名,所属,研修,実施者,修了証番号,修了日,状態,依頼書受付日,利活用者登録日\n"
ROWS = [
    "J-1,山田 太郎,株式会社①製薬,概論,PMDA,C-1,2024-05-01,交付,,2023-04-01",
    "J-1,山田 太郎,株式会社①製薬,システム操作,PMDA,C-2,2024-06-01,交付,,2023-04-01",
    "J-2,髙橋 ｶﾅｺ,㈱テスト～研究所,概論,PMDA,C-3,2024-05-01,紛失,,",
]
MAX_RSS_MB = 150

h = Harness(sys.argv[1])
h.check(h.kc("init").returncode == 0, "init")


def mirror_names():
    con = sqlite3.connect(f"file:{os.path.join(h.data, 'mirror.db')}?mode=ro", uri=True)
    try:
        return dict(con.execute("SELECT trainee_no, name || ' / ' || affiliation FROM trainees"))
    finally:
        con.close()


def last_applied_sequence():
    p = h.kc("status", "--json")
    st = json.loads(p.stdout) if p.returncode == 0 else {}
    return ((st.get("sync") or {}).get("last_applied") or {}).get("sequence")


# 1. Declared: --encoding cp932 (any alias, any case).
feed = h.sign(h.write_feed("sjis.csv", ROWS, header=JP_HEADER, encoding="cp932"), 1)
h.check("山田".encode("utf-8") not in open(feed, "rb").read(), "the feed file really is CP932")
p = h.kc("sync", feed, "--pubkey", h.pub, "--at", AT, "--encoding", "Shift_JIS")
h.check(p.returncode == 0 and "encoding: cp932\n" in p.stdout,
        f"cp932 declared: applied, report says so: {p.returncode} {p.stdout[:300]!r} {p.stderr.strip()!r}")
names = mirror_names()
h.check(names == {"J-1": "山田 太郎 / 株式会社①製薬", "J-2": "髙橋 ｶﾅｺ / ㈱テスト～研究所"},
        f"names and affiliations stored as UTF-8: {names}")

# 2. Not declared: detected.
feed2 = h.sign(h.write_feed("sjis2.csv", ROWS + ["J-3,佐藤 花子,大学,概論,PMDA,C-4,2024-07-01,交付,,"],
                            header=JP_HEADER, encoding="cp932"), 2)
p = h.kc("sync", feed2, "--at", AT, "--json")
j = json.loads(p.stdout) if p.stdout.strip() else {}
h.check(p.returncode == 0 and j.get("encoding") == "cp932" and j.get("encoding_detected") is True
        and j.get("applied") is True,
        f"cp932 detected: {p.returncode} encoding={j.get('encoding')} detected={j.get('encoding_detected')}")
h.check(mirror_names().get("J-3") == "佐藤 花子 / 大学", "detected feed's new name stored as UTF-8")
p = h.kc("decide", "--trainee", "J-1", "--at", AT, "--json")
h.check(p.returncode == 0 and '"grant"' in p.stdout, f"J-1 from the CP932 feed is granted: {p.stdout.strip()[:200]}")

before = h.fingerprint()
sequence_before = last_applied_sequence()
h.check(sequence_before == 2, f"status: last applied sequence 2 ({sequence_before})")


def rejected_sync(what, path, *extra, contains):
    p = h.kc("sync", path, "--at", AT, *extra)
    h.expect_error(what, p, 1, contains)
    h.check(h.fingerprint() == before, f"{what}: mirror and local state unchanged")
    h.check(last_applied_sequence() == sequence_before, f"{what}: status still shows sequence 2")
    rows = h.audit_rows()
    h.check(rows and rows[-1]["kind"] == "sync.rejected", f"{what}: rejection audited")
    return p


# 3. A byte that is not CP932 on line 5 (after a valid name on the same line).
bad = os.path.join(h.work, "bad.csv")
with open(bad, "wb") as f:
    f.write((JP_HEADER + "".join(r + "\n" for r in ROWS)).encode("cp932"))
    f.write("J-4,佐藤".encode("cp932") + b"\xff" + ",大学,概論,PMDA,C-5,2024-07-01,交付,,\n".encode("cp932"))
    f.write("J-5,鈴木,大学,概論,PMDA,C-6,2024-07-01,交付,,\n".encode("cp932"))
h.sign(bad, 3)
rejected_sync("invalid CP932 byte, declared cp932", bad, "--encoding", "cp932",
              contains="line 5: invalid CP932 (byte 0xFF)")
rejected_sync("invalid CP932 byte, detected", bad,
              contains="neither UTF-8 nor CP932 (Shift_JIS): line 1: invalid UTF-8 (byte 0x8E); "
                       "line 5: invalid CP932 (byte 0xFF)")
# 4. A CP932 file declared as UTF-8: the first Japanese byte's line.
feed3 = h.sign(h.write_feed("sjis3.csv", ["J-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01",
                                          "J-2,山田 ｶﾅｺ,Example,OVERVIEW,PMDA,C-3,2024-05-01,lost,,"],
                            encoding="cp932"), 3)
rejected_sync("CP932 file declared utf-8", feed3, "--encoding", "utf-8",
              contains="line 3: invalid UTF-8 (byte 0x8E)")  # 山 is 0x8E 0x52
# 5. An encoding kioskctl does not know.
rejected_sync("unknown encoding", feed2, "--encoding", "latin1",
              contains="encoding 'latin1' is not supported: use utf-8, cp932 or auto")


# 6. A signed 100 MB single line (a header, then one line with no newline): the record limit
# names line 2, whichever way the file is read, in bounded memory.
def run_measured(args):
    """Runs kioskctl and returns (exit status, stdout, stderr, peak RSS in MB of that process)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([h.kioskctl, "--data-dir", h.data] + args, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), usage.ru_maxrss / 1024)


big_dir = tempfile.mkdtemp(prefix="kioskctl-big-", dir=h.work)
try:
    big = os.path.join(big_dir, "big.csv")
    with open(big, "wb") as f:
        f.write(HEADER.encode("ascii"))  # ASCII: valid in every encoding, detected as UTF-8
        f.write(b"J-9,")
        block = b"x" * (1 << 20)
        for _ in range(100):
            f.write(block)
    h.sign(big, 4)
    for what, extra in (("detected", []), ("declared cp932", ["--encoding", "cp932"]),
                        ("declared utf-8", ["--encoding", "utf-8"])):
        status, out, err, rss = run_measured(["sync", big, "--at", AT] + extra)
        lines = [l for l in err.strip().splitlines() if l.strip()]
        h.check(status == 1 and lines and lines[-1].startswith("kioskctl")
                and "line 2: the record is longer than 65536 bytes" in err,
                f"100 MB single line ({what}): exit {status}, {err.strip()[-200:]!r}")
        h.check(rss < MAX_RSS_MB, f"100 MB single line ({what}): peak RSS {rss:.0f} MB < {MAX_RSS_MB} MB")
        h.check(h.fingerprint() == before, f"100 MB single line ({what}): mirror and local state unchanged")
finally:
    shutil.rmtree(big_dir)
h.check(not os.path.exists(big_dir), "the 100 MB file is removed")

# After all of that the mirror still answers with the CP932 feed's data.
p = h.kc("decide", "--trainee", "J-1", "--at", AT, "--json")
h.check(p.returncode == 0 and '"grant"' in p.stdout, f"still grants J-1: {p.stdout.strip()[:200]}")
p = h.kc("audit", "verify")
h.check(p.returncode == 0, f"audit verifies: {p.stdout.strip()} {p.stderr.strip()}")
shutil.rmtree(h.work, ignore_errors=True)
h.finish()
