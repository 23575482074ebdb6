"""A sync killed at any moment leaves the mirror exactly as it was or exactly the new snapshot
(product.md section 2: "the sync only, as one atomic swap"; issue 3 part 4).

Builds a 200,000-row demo mirror (sequence 1) and a changed, re-signed snapshot (sequence 2:
renamed, removed, added trainees, changed certificates), measures how long `kioskctl sync` takes,
then SIGKILLs it at >= 50 moments spread from its start to its end. After each kill: mirror.db
opens, PRAGMA integrity_check is ok, its fingerprint (feed_state + counts + SHA-256 over the
ordered rows) is exactly the old or exactly the new one, `kioskctl status` opens the data
directory and `kioskctl audit verify` passes. Between kills the data directory is restored from a
copy made with SQLite's backup API. Finally a sync run to completion over a killed directory
gives exactly the new snapshot (no lock or staging left behind). Then the same for a first sync
into an empty mirror (which writes straight into the tables): 15 kills, each leaving the mirror
empty and whole (its index included) or exactly the snapshot.
    python3 tests/integration/test_sync_crash.py BUILD_DIR
"""
import json, os, shutil, signal, sqlite3, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sync_harness as sh  # noqa: E402
from kioskctl_harness import Harness  # noqa: E402

TRAINEES = 50_000        # bulk trainees, 4 rows each: ~200,000 certificates
MIN_KILLS = 50           # kills that landed while the sync was still running
KILL_POINTS = 60         # planned moments; extra ones are added if fewer than MIN_KILLS land
AFTER_COMMIT_POINTS = 10  # of which this many aim between the measured COMMIT and exit
TIME_BUDGET_S = 420      # stop adding kill points after this (the check below then fails);
                         # at load 3-5 a kill point (restore, sync, checks) takes 3-4 s


def main():
    h = Harness(sys.argv[1])
    kc = h.kioskctl
    work = tempfile.mkdtemp(prefix="kiosk-sync-crash-")
    try:
        run(h, kc, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(h.work, ignore_errors=True)
    h.finish()


def run(h, kc, work):
    started = time.monotonic()
    demo = os.path.join(work, "demo")
    secs = sh.make_demo(kc, demo, TRAINEES)
    print(f"demo mirror of {TRAINEES} bulk trainees made in {secs:.1f} s")
    saved = os.path.join(work, "saved")
    sh.save_data_dir(os.path.join(demo, "data"), saved)
    nxt = os.path.join(work, "next.csv")
    stats = sh.write_changed_csv(os.path.join(demo, "completions.csv"), nxt)
    sh.sign(nxt, os.path.join(demo, "office.key"), 2)
    print("sequence 2 changes:", stats)

    data = os.path.join(work, "data")
    sync_cmd = [kc, "--data-dir", data, "sync", nxt, "--at", sh.SYNC_AT, "--json"]

    old_fp, integrity = sh.mirror_fingerprint(os.path.join(saved, "mirror.db"))
    h.check(integrity == ["ok"] and old_fp[0][0] == 1, f"old mirror: sequence 1, {old_fp[1]}")

    # The new state, the sync's duration and when its COMMIT becomes visible, from complete runs
    # watched by a reader (the kiosk's view: WAL readers see the new snapshot at COMMIT).
    commits, exits = [], []
    for _ in range(3):
        sh.restore_data_dir(saved, data)
        t_commit, t_exit, p = timed_sync(sync_cmd, os.path.join(data, "mirror.db"))
        out, errs = p.communicate()
        h.check(p.returncode == 0 and t_commit is not None,
                f"complete sync exits 0, COMMIT seen at {t_commit} s, exit at {t_exit:.3f} s "
                f"({errs.strip()[:200]})")
        commits.append(t_commit or t_exit)
        exits.append(t_exit)
    report = json.loads(out)
    t, c = report["trainees"], report["certificates"]
    h.check(t["added"] > 0 and t["changed"] > 0 and t["removed"] > 0 and c["changed"] > 0,
            f"sequence 2 really changes rows: trainees {t}, certificates {c}")
    new_fp, integrity = sh.mirror_fingerprint(os.path.join(data, "mirror.db"))
    h.check(integrity == ["ok"] and new_fp[0][0] == 2, f"new mirror: sequence 2, {new_fp[1]}")
    h.check(new_fp != old_fp, "old and new fingerprints differ")
    duration, t_commit = sorted(exits)[1], sorted(commits)[1]
    print(f"complete sync: COMMIT visible at {t_commit:.3f} s, exit at {duration:.3f} s (medians)")

    outcomes = {"old": 0, "new": 0}  # of the kills that landed
    bad = []
    # Evenly over the whole run, plus a few between COMMIT and exit (audit append, checkpoint).
    even = KILL_POINTS - AFTER_COMMIT_POINTS
    offsets = [duration * i / (even - 1) for i in range(even)]
    offsets += [t_commit + (duration - t_commit) * (i + 0.5) / AFTER_COMMIT_POINTS
                for i in range(AFTER_COMMIT_POINTS)]
    extra = 0
    landed = finished = 0
    i = 0
    while i < len(offsets):
        offset = offsets[i]
        i += 1
        sh.restore_data_dir(saved, data)
        p = subprocess.Popen(sync_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        delay = t0 + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        running = p.poll() is None
        if running:
            p.send_signal(signal.SIGKILL)
        rc = p.wait()
        killed = running and rc == -signal.SIGKILL
        landed += killed
        finished += not killed
        problems = check_after(h, kc, data, old_fp, new_fp, outcomes if killed else {})
        if problems:
            bad.append(f"kill at {offset * 1000:.0f} ms: {problems}")
        if i == len(offsets) and landed < MIN_KILLS and time.monotonic() - started < TIME_BUDGET_S:
            # The machine was faster than measured: add kill points inside the first 90 %.
            extra += 1
            offsets.append(duration * 0.9 * ((extra * 0.618) % 1.0))
    print(f"{len(offsets)} kill points: {landed} landed during the sync, {finished} came after "
          f"it had finished; of the kills, {outcomes['old']} left the old snapshot (before "
          f"COMMIT) and {outcomes['new']} the new one (after COMMIT)")
    for b in bad:
        print("   ", b)
    h.check(not bad, f"after every kill the mirror is intact and exactly old or new "
                     f"({len(bad)} bad)")
    h.check(landed >= MIN_KILLS, f"{landed} kills landed during the sync (want >= {MIN_KILLS})")
    h.check(outcomes["old"] >= 1, f"some kills landed before COMMIT ({outcomes['old']})")

    # After a kill, a complete sync still applies (no lock, no staging left behind).
    sh.restore_data_dir(saved, data)
    p = subprocess.Popen(sync_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(t_commit / 2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    p = subprocess.run(sync_cmd, capture_output=True, text=True, timeout=300)
    fp, integrity = sh.mirror_fingerprint(os.path.join(data, "mirror.db"))
    h.check(p.returncode == 0 and fp == new_fp and integrity == ["ok"],
            f"a sync after a killed one applies exactly the new snapshot (exit {p.returncode})")
    first_sync_kills(h, kc, work, demo)
    print(f"total {time.monotonic() - started:.0f} s")


FIRST_SYNC_KILLS = 15


def first_sync_kills(h, kc, work, demo):
    """A first sync into an empty mirror writes straight into its tables and rebuilds an index at
    the end, all in one transaction: killed at any moment, the mirror is still empty and whole
    (index included), or exactly the snapshot."""
    empty = os.path.join(work, "empty")
    subprocess.run([kc, "--data-dir", empty, "init"], check=True, capture_output=True)
    saved = os.path.join(work, "saved-empty")
    sh.save_data_dir(empty, saved)
    data = os.path.join(work, "data-first")
    cmd = [kc, "--data-dir", data, "sync", os.path.join(demo, "completions.csv"), "--pubkey",
           os.path.join(demo, "office.pub"), "--at", sh.SYNC_AT]
    empty_fp, integrity = sh.mirror_fingerprint(os.path.join(saved, "mirror.db"))
    h.check(integrity == ["ok"] and empty_fp[0] is None and empty_fp[1] == (0, 0),
            "empty mirror before the first sync")
    durations = []
    for _ in range(3):
        sh.restore_data_dir(saved, data)
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        durations.append(time.monotonic() - t0)
        h.check(p.returncode == 0, f"complete first sync exits 0 ({p.stderr.strip()[:200]})")
    duration = sorted(durations)[1]
    full_fp, integrity = sh.mirror_fingerprint(os.path.join(data, "mirror.db"))
    h.check(integrity == ["ok"] and full_fp[0][0] == 1 and full_fp[3] == empty_fp[3],
            f"first sync: sequence 1, {full_fp[1]}, the same schema as the empty mirror")
    outcomes, bad, landed = {}, [], 0
    for i in range(FIRST_SYNC_KILLS):
        offset = duration * 0.95 * (i + 0.5) / FIRST_SYNC_KILLS
        sh.restore_data_dir(saved, data)
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(offset)
        running = p.poll() is None
        if running:
            p.send_signal(signal.SIGKILL)
        killed = running and p.wait() == -signal.SIGKILL
        p.wait()
        landed += killed
        problems = check_after(h, kc, data, empty_fp, full_fp, outcomes if killed else {})
        if problems:
            bad.append(f"kill at {offset * 1000:.0f} ms: {problems}")
    print(f"first sync ({duration:.2f} s) killed {landed} times: {outcomes.get('old', 0)} left "
          f"the empty mirror, {outcomes.get('new', 0)} the full one")
    for b in bad:
        print("   ", b)
    h.check(not bad, f"after every kill of a first sync the mirror is intact and exactly empty "
                     f"or full ({len(bad)} bad)")
    h.check(landed >= FIRST_SYNC_KILLS * 2 // 3 and outcomes.get("old", 0) >= 1,
            f"{landed} kills landed during the first sync, {outcomes.get('old', 0)} before COMMIT")


def timed_sync(cmd, mirror_db):
    """Runs a sync to completion while a reader polls feed_state: (seconds until the new sequence
    is visible or None, seconds until exit, the finished Popen)."""
    con = sqlite3.connect(mirror_db, timeout=30)
    before = con.execute("SELECT sequence FROM feed_state").fetchone()[0]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t_commit = None
    while p.poll() is None:
        if t_commit is None and \
                con.execute("SELECT sequence FROM feed_state").fetchone()[0] != before:
            t_commit = time.monotonic() - t0
        time.sleep(0.003)
    t_exit = time.monotonic() - t0
    if t_commit is None and con.execute("SELECT sequence FROM feed_state").fetchone()[0] != before:
        t_commit = t_exit
    con.close()
    return t_commit, t_exit, p


def check_after(h, kc, data, old_fp, new_fp, outcomes):
    """The checks after one kill; returns what was wrong ('' when all is well)."""
    try:
        fp, integrity = sh.mirror_fingerprint(os.path.join(data, "mirror.db"))
    except Exception as e:  # noqa: BLE001 - any failure to open or read is the finding
        return f"mirror.db does not open: {e}"
    wrong = []
    if integrity != ["ok"]:
        wrong.append(f"integrity_check: {integrity[:3]}")
    if fp == old_fp:
        outcomes["old"] = outcomes.get("old", 0) + 1
    elif fp == new_fp:
        outcomes["new"] = outcomes.get("new", 0) + 1
    else:
        wrong.append(f"neither old nor new: feed_state {fp[0]}, counts {fp[1]}")
    p = subprocess.run([kc, "--data-dir", data, "audit", "verify"], capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        wrong.append(f"audit verify exit {p.returncode}: {p.stderr.strip()[:200]}")
    p = subprocess.run([kc, "--data-dir", data, "status", "--json"], capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        wrong.append(f"status exit {p.returncode}: {p.stderr.strip()[:200]}")
    return "; ".join(wrong)


if __name__ == "__main__":
    main()
