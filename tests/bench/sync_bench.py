"""Sync speed and memory (issues 3 and 12). From the demo feed of 250,000 trainees (1,000,000
certificates) it generates, deterministically (--seed), snapshots in the orders real exports
have: rows grouped by trainee with trainees and certificate numbers in no particular order; the
same a night later (10 % of trainees renamed, 2 % of certificates now lost); every row sorted by
completion date. For the demo feed and each of these it measures, in one run:
  - the floor: the stock sqlite3 tool's `.import --csv` of the same CSV into a plain table of a new
    database file, timed just before each sync;
  - `kioskctl sync` into an empty mirror (first sync), then re-synced unchanged (the same CSV
    re-signed with a higher sequence) or a night later: wall and CPU time, ratios, peak RSS;
  - each as --repeat (default 3) floor-then-sync pairs from the same mirror, the table showing the
    pair of median ratio and the peak RSS over all of them;
  - unless --no-taps: decisions during a sync that changes rows (tests/tools/tap_loop: the real
    Gatekeeper with its durable audit row), and the mirror reads alone (tap_loop --mirror-reads)
    during another; these syncs run at the priority the systemd unit gives them (the idle scheduling
    policy, I/O priority 7 of best effort); the decisions alone in the 3 s just before the
    sync are the machine's own figure to compare with.
Prints a table with the targets (first sync <= 2.0x the sqlite3 import, re-sync <= 1.5x, peak RSS
<= 200 MB, decisions during sync p99 < 1 ms) and exits 0 (figures, not a test; it is registered
nowhere in ctest). Run by hand on an optimised build:
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo && ninja -C build kioskctl tap_loop
    python3 tests/bench/sync_bench.py build [--no-taps] [--orders demo,grouped,by-date]
        [--trainees 250000] [--seed N] [--keep DIR] [--repeat 3]
        [--sync-sched idle|batch-nice10|nice10]   (the sync beside the taps; default: the unit's)
"""
import argparse, csv, os, random, re, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import sync_harness as sh  # noqa: E402

TIME_V = "/usr/bin/time"


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS in MB, stdout, CPU seconds (user + system)).
    The CPU time is the fairer figure on a shared machine, where wall time includes waiting."""
    use_time = os.access(TIME_V, os.X_OK)
    full = [TIME_V, "-v"] + cmd if use_time else cmd
    t0 = time.monotonic()
    p = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if use_time:
        out, err = p.communicate()
        secs = time.monotonic() - t0
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
        rss_mb = int(m.group(1)) / 1024 if m else float("nan")
        cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", err))
        rc = p.returncode
    else:
        _, status, usage = os.wait4(p.pid, 0)
        secs = time.monotonic() - t0
        out, err = p.stdout.read(), p.stderr.read()
        rss_mb = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        rc = os.waitstatus_to_exitcode(status)
        p.returncode = rc
    if rc != 0:
        sys.exit(f"{' '.join(cmd)} failed ({rc}): {err.strip()[-500:]}")
    return secs, rss_mb, out, cpu


# How the sync runs beside the taps: as the systemd unit runs it, or (for comparison) as the unit
# ran it until 2026-12-02, or at nice 10 alone.
SYNC_SCHED = {
    "idle": ["chrt", "--idle", "0"],
    "batch-nice10": ["chrt", "--batch", "0", "nice", "-n", "10"],
    "nice10": ["nice", "-n", "10"],
}


def sync_with_taps(kc, tap_loop, data, csv, tap_args, sched="idle"):
    """A sync while tap_loop runs; returns (sync seconds, latencies in us of the decisions that
    ran inside the sync window, latencies of those before it, faults). tap_loop writes to a file: a pipe nobody reads would
    fill and stall it."""
    lines_path = os.path.join(os.path.dirname(data), "taps.txt")
    lines_file = open(lines_path, "w+")
    taps = subprocess.Popen([tap_loop, "--data-dir", data, "--at", sh.SYNC_AT, "--lines",
                             "--seconds", "900"] + tap_args,
                            stdout=lines_file, stderr=subprocess.DEVNULL)
    time.sleep(3.0)  # the decisions alone first: the machine's own figure (p99 of ~6,000)
    start = time.monotonic_ns()
    # As config/systemd/onsite-kiosk-sync.service runs it: CPUSchedulingPolicy=idle,
    # IOSchedulingClass=best-effort, IOSchedulingPriority=7.
    p = subprocess.run(SYNC_SCHED[sched] + ["ionice", "-c", "2", "-n", "7", kc, "--data-dir",
                                            data, "sync", csv, "--at", sh.SYNC_AT],
                       capture_output=True, text=True)
    end = time.monotonic_ns()
    taps.send_signal(signal.SIGTERM)
    taps.wait()
    lines_file.seek(0)
    out = lines_file.read()
    lines_file.close()
    if p.returncode != 0:
        sys.exit(f"sync {csv} failed: {p.stderr.strip()}")
    lat, before, faults = [], [], 0
    for line in out.splitlines():
        if line.startswith("summary"):
            continue
        s, l, outcome = line.split(" ", 3)[:3]
        if int(s) >= start and int(s) + int(l) <= end:
            lat.append(int(l) / 1000)
            faults += outcome == "fault"
        elif int(s) + int(l) < start:
            before.append(int(l) / 1000)
    return (end - start) / 1e9, sorted(lat), sorted(before), faults


def pct(s, p):
    return s[int(p * (len(s) - 1))] if s else float("nan")


def load_feed(path):
    """The header and the rows of a UTF-8 snapshot, as lists of fields."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_feed(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def grouped_order(header, body, seed):
    """The demo's rows grouped by trainee, the trainees in no particular order and each trainee's
    rows shuffled too: neither trainee nor certificate numbers ascend through the file."""
    rng = random.Random(seed)
    tno = header.index("trainee_no")
    groups = {}
    for r in body:
        groups.setdefault(r[tno], []).append(r)
    order = list(groups)
    rng.shuffle(order)
    out = []
    for no in order:
        g = groups[no]
        rng.shuffle(g)
        out.extend(g)
    return out


def date_order(header, body):
    """Every row sorted by completion date (stable: ties keep their order), so a trainee's rows
    are spread over the file."""
    done = header.index("completed_on")
    return sorted(body, key=lambda r: r[done])


def night_later(header, body, seed, renamed=0.10, lost=0.02):
    """The same file a night later, rows in the same places: `renamed` of the trainees have a new
    name (on every one of their rows), `lost` of the certificates now have status lost (chosen
    among the issued ones). Returns the rows and the counts."""
    rng = random.Random(seed)
    tno, name, status = (header.index(c) for c in ("trainee_no", "name", "status"))
    trainees = sorted({r[tno] for r in body})
    renamed_set = set(rng.sample(trainees, int(len(trainees) * renamed)))
    issued = [i for i, r in enumerate(body) if r[status] == "issued"]
    lost_set = set(rng.sample(issued, int(len(body) * lost)))
    out = []
    for i, r in enumerate(body):
        if r[tno] in renamed_set or i in lost_set:
            r = list(r)
            if r[tno] in renamed_set:
                r[name] = r[name] + " (改)"
            if i in lost_set:
                r[status] = "lost"
        out.append(r)
    return out, {"trainees renamed": len(renamed_set), "certificates lost": len(lost_set)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--trainees", type=int, default=250_000)
    ap.add_argument("--seed", type=int, default=20261201, help="for the generated orders")
    ap.add_argument("--orders", default="demo,grouped,by-date",
                    help="which snapshots to measure (comma-separated; default all)")
    ap.add_argument("--no-taps", action="store_true",
                    help="only the orders' table, not the decisions during a sync")
    ap.add_argument("--sync-sched", choices=sorted(SYNC_SCHED), default="idle",
                    help="the sync's CPU scheduling beside the taps (default: the systemd unit's)")
    ap.add_argument("--keep", help="work in this directory and keep it")
    ap.add_argument("--repeat", type=int, default=3,
                    help="floor-then-sync pairs per snapshot, from the same mirror; the table "
                         "shows the pair of median ratio (default 3)")
    a = ap.parse_args()
    kc = os.path.join(a.build_dir, "bin", "kioskctl")
    tap_loop = os.path.join(a.build_dir, "bin", "tap_loop")
    work = a.keep or tempfile.mkdtemp(prefix="kiosk-sync-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        run(a, kc, tap_loop, work)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(a, kc, tap_loop, work):
    demo = os.path.join(work, "demo")
    if not os.path.exists(demo):
        sh.make_demo(kc, demo, a.trainees)
    csv1 = os.path.join(demo, "completions.csv")
    key, pub = os.path.join(demo, "office.key"), os.path.join(demo, "office.pub")
    header, body = load_feed(csv1)
    print(f"demo snapshot: {csv1}, {len(body)} rows, {os.path.getsize(csv1) / 1e6:.1f} MB")

    # The snapshots, generated from the demo's rows (deterministic for a given --seed).
    files = {}

    def snapshot(name, rows, sequence):
        path = os.path.join(work, f"{name}.csv")
        if not os.path.exists(path + ".minisig"):
            write_feed(path, header, rows)
            sh.sign(path, key, sequence)
        files[name] = path
        return path

    def resigned(name, src, sequence):  # the same bytes, signed again with a higher sequence
        path = os.path.join(work, f"{name}.csv")
        shutil.copyfile(src, path)
        sh.sign(path, key, sequence)
        return path

    grouped = grouped_order(header, body, a.seed)
    snapshot("grouped", grouped, 1)
    later, changes = night_later(header, grouped, a.seed + 1)
    snapshot("grouped-night-later", later, 3)
    del later
    snapshot("by-date", date_order(header, grouped), 1)
    del grouped, body

    results = []  # (what, floor wall, floor CPU, floor RSS, sync wall, sync CPU, sync RSS, target)

    def measure(what, csv_path, data, target, extra=()):
        # The floor of this very file, just before its sync: on a shared machine the ratio of
        # two figures taken moments apart is the fair one. Each of --repeat pairs starts from
        # the same data directory (copied back), and the pair of median ratio is the one shown:
        # one pair alone swings by a third on this 2-core VM when the host is busy.
        before = data + ".before"
        shutil.rmtree(before, ignore_errors=True)
        shutil.copytree(data, before)
        runs = []
        for i in range(max(1, a.repeat)):
            if i > 0:
                shutil.rmtree(data)
                shutil.copytree(before, data)
            floor_db = os.path.join(work, "floor.db")
            if os.path.exists(floor_db):
                os.remove(floor_db)
            tf, rf, _, cf = timed(["sqlite3", floor_db, f".import --csv {csv_path} completions"])
            os.remove(floor_db)
            ts, rs, _, cs = timed([kc, "--data-dir", data, "sync", csv_path, "--at", sh.SYNC_AT,
                                   *extra])
            runs.append((tf, cf, rf, ts, cs, rs))
        shutil.rmtree(before, ignore_errors=True)
        ratios = ", ".join(f"{r[3] / r[0]:.2f}x" for r in runs)
        runs.sort(key=lambda r: r[3] / r[0])
        tf, cf, rf, ts, cs, _ = runs[len(runs) // 2]
        rs = max(r[5] for r in runs)  # the peak over every pair
        results.append((what, tf, cf, rf, ts, cs, rs, target))
        print(f"  {what}: ratios {ratios}; median pair: floor {tf:.2f}s, sync {ts:.2f}s "
              f"({ts / tf:.2f}x); peak {rs:.0f} MB", flush=True)

    def fresh(name):
        data = os.path.join(work, f"data-{name}")
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run([kc, "--data-dir", data, "init"], check=True, capture_output=True)
        return data

    orders = a.orders.split(",")
    print("measuring (floor, then sync, per snapshot):", flush=True)
    if "demo" in orders or not a.no_taps:
        data = fresh("demo")
        measure("demo feed, first sync", csv1, data, 2.0, ("--pubkey", pub))
        measure("demo feed, re-synced unchanged", resigned("demo-same", csv1, 2), data, 1.5)
        demo_data = data

    if "grouped" in orders:
        data = fresh("grouped")
        measure("grouped by trainee, first sync", files["grouped"], data, 2.0, ("--pubkey", pub))
        measure("grouped, re-synced unchanged", resigned("grouped-same", files["grouped"], 2),
                data, 1.5)
        measure("grouped, a night later", files["grouped-night-later"], data, 1.5)
        shutil.rmtree(data, ignore_errors=True)

    if "by-date" in orders:
        data = fresh("by-date")
        measure("sorted by completion date, first sync", files["by-date"], data, 2.0,
                ("--pubkey", pub))
        measure("sorted by date, re-synced unchanged",
                resigned("by-date-same", files["by-date"], 2), data, 1.5)
        shutil.rmtree(data, ignore_errors=True)

    def verdict(ok):
        return "ok  " if ok else "MISS"

    load = os.getloadavg()
    print(f"\nsnapshots of {a.trainees} demo trainees ({os.path.getsize(csv1) / 1e6:.0f} MB); "
          f"night later: {changes}; seed {a.seed}")
    print(f"\n| snapshot | floor (wall / CPU) | sync wall | sync CPU | wall ÷ floor | CPU ÷ floor "
          f"| peak RSS | target |")
    print("|---|---|---|---|---|---|---|---|")
    worst_rss = 0
    all_ok = True
    for what, tf, cf, rf, ts, cs, rs, target in results:
        ok = ts <= target * tf and rs <= 200
        all_ok = all_ok and ok
        worst_rss = max(worst_rss, rs)
        print(f"| {what} | {tf:.2f} s / {cf:.2f} s | {ts:.2f} s | {cs:.2f} s | {ts / tf:.2f}× "
              f"| {cs / cf:.2f}× | {rs:.0f} MB | {verdict(ok)} ≤ {target}×, ≤ 200 MB |")
    print(f"\nall within target: {'yes' if all_ok else 'NO'}; worst peak RSS {worst_rss:.0f} MB; "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")

    if a.no_taps:
        return
    changed = os.path.join(work, "changed.csv")
    stats = sh.write_changed_csv(csv1, changed)
    sh.sign(changed, key, 3)
    t_changed, lat, lat0, faults = sync_with_taps(
        kc, tap_loop, demo_data, changed,
        ["--card", "04D0000000000001", "--trainee", "T-000010", "--card", "04D0000000000005",
         "--trainee", "T-000007"], a.sync_sched)
    changed2 = os.path.join(work, "changed2.csv")  # unchanged again, for the mirror reads
    shutil.copyfile(changed, changed2)
    sh.sign(changed2, key, 4)
    t_reads, rlat, rlat0, rfaults = sync_with_taps(
        kc, tap_loop, demo_data, changed2,
        ["--mirror-reads", "--trainee", "T-000010", "--trainee", "T-000007", "--trainee",
         "T-000025"], a.sync_sched)
    print(f"\n{'demo feed, changed (with taps)':40s} {t_changed:6.2f}s   changes {stats}; "
          f"the sync's scheduling: {a.sync_sched}")
    print(f"decisions during that sync (Gatekeeper + durable audit row): {len(lat)}, {faults} "
          f"faults; p50 {pct(lat, .5):.0f} us, p99 {pct(lat, .99):.0f} us, max {pct(lat, 1):.0f} us"
          f"  {verdict(pct(lat, .99) < 1000 and faults == 0)} (p99 < 1 ms); before the sync: "
          f"p50 {pct(lat0, .5):.0f} us, p99 {pct(lat0, .99):.0f} us")
    print(f"mirror reads during an unchanged sync ({t_reads:.2f} s): {len(rlat)}, {rfaults} "
          f"faults; p50 {pct(rlat, .5):.1f} us, p99 {pct(rlat, .99):.1f} us, max "
          f"{pct(rlat, 1):.0f} us  {verdict(pct(rlat, .99) < 1000 and rfaults == 0)} (p99 < 1 ms); "
          f"before: p50 {pct(rlat0, .5):.1f} us, p99 {pct(rlat0, .99):.1f} us")
    print(f"machine load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
