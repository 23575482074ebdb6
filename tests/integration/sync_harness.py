"""Shared helpers for the large-snapshot sync tests and tests/bench/sync_bench.py: a demo mirror
of N bulk trainees made by `kioskctl demo-data`, a changed copy of its CSV re-signed with the stock
`minisign` under the demo key, data-directory snapshots taken with SQLite's backup API (never by
copying a live file), and a fingerprint of a mirror's contents computed with Python's sqlite3."""
import csv, hashlib, io, os, shutil, sqlite3, subprocess, time

DEMO_GENERATED_AT = "2026-11-24T02:00:00+09:00"
NEXT_GENERATED_AT = "2026-11-25T02:00:00+09:00"
SYNC_AT = "2026-11-25T10:00:00+09:00"  # sync --at and decisions' --at: both snapshots are fresh
DB_NAMES = ("mirror.db", "kiosk.db")


def make_demo(kioskctl, out, trainees):
    """`kioskctl demo-data`: DIR/completions.csv (sequence 1, signed), DIR/office.key|pub and an
    initialised DIR/data synced to it. Returns the seconds it took."""
    t0 = time.monotonic()
    subprocess.run([kioskctl, "demo-data", "--out", out, "--trainees", str(trainees),
                    "--generated-at", DEMO_GENERATED_AT, "--patients", "50"],
                   check=True, capture_output=True, text=True, timeout=900)
    return time.monotonic() - t0


def write_changed_csv(src, dst):
    """Writes a changed snapshot: of the bulk trainees (T-...), every 7th is renamed, every 25th is
    dropped (4 %, under the 10 % mass-removal guard), every 11th certificate changes status and
    provider; a copy of every 50th trainee is appended under a new number with new certificate
    numbers. Returns counts of what was changed, for the caller's report."""
    with open(src, encoding="utf-8", newline="") as f:
        text = f.read()
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    out, added, seen = [header], [], {}
    stats = {"renamed": 0, "dropped": 0, "status_changed": 0, "added_trainees": 0}
    cert_serial = 0
    for r in body:
        no = r[col["trainee_no"]]
        if not no.startswith("T-"):
            out.append(r)
            continue
        k = int(no[2:])
        first = no not in seen
        seen[no] = True
        if k % 25 == 0:
            stats["dropped"] += first
            continue
        r = list(r)
        if k % 7 == 0:
            r[col["name"]] = r[col["name"]] + " (改)"
            stats["renamed"] += first
        cert_serial += 1
        if cert_serial % 11 == 0 and r[col["status"]] == "issued":
            r[col["status"]] = "lost"
            stats["status_changed"] += 1
        out.append(r)
        if k % 50 == 1:
            c = list(r)
            c[col["trainee_no"]] = f"N-{k:07d}"
            c[col["certificate_no"]] = "NC-" + r[col["certificate_no"]]
            added.append(c)
            stats["added_trainees"] += first
    out.extend(added)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out)
    with open(dst, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
    return stats


def sign(path, key, sequence, generated_at=NEXT_GENERATED_AT):
    """Signs with the stock minisign tool, as the records office does (product.md section 3)."""
    subprocess.run(["minisign", "-S", "-s", key, "-m", path, "-t",
                    f"sequence={sequence} generated_at={generated_at}"],
                   check=True, capture_output=True, input=b"", timeout=120)


def save_data_dir(src, dst):
    """Copies a data directory that no process is writing: databases through SQLite's backup
    API, the other files (site.key, feed.pub) as files. dst must not exist."""
    os.makedirs(dst)
    os.chmod(dst, 0o700)
    for name in sorted(os.listdir(src)):
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if name in DB_NAMES:
            os.close(os.open(d, os.O_CREAT | os.O_WRONLY, 0o600))  # private, as the kiosk's
            with sqlite3.connect(s) as a, sqlite3.connect(d) as b:
                a.backup(b)
            a.close()
            b.close()
        elif not name.endswith(("-wal", "-shm", "-journal")) and os.path.isfile(s):
            shutil.copy2(s, d)


def restore_data_dir(saved, dst):
    """Replaces dst (and any -wal/-shm a killed process left) by a fresh copy of `saved`."""
    if os.path.exists(dst):
        shutil.rmtree(dst)
    save_data_dir(saved, dst)


def mirror_fingerprint(mirror_db):
    """What the mirror holds, as a comparable tuple: feed_state (sequence, generated_at, key id,
    counts), the row counts, SHA-256 over the ordered rows of trainees and certificates, and the
    schema (tables and indexes: a first sync drops and rebuilds an index inside its transaction).
    Also returns PRAGMA integrity_check's answer. Opens the file as the kiosk would
    (read-write, so a crashed writer's WAL is recovered)."""
    con = sqlite3.connect(mirror_db, timeout=30)
    try:
        integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
        state = con.execute("SELECT sequence, generated_at, key_id, trainees, certificates "
                            "FROM feed_state WHERE id = 1").fetchone()
        counts = []
        h = hashlib.sha256()
        for table, key in (("trainees", "trainee_no"), ("certificates", "certificate_no")):
            n = 0
            for row in con.execute(f"SELECT * FROM {table} ORDER BY {key}"):
                h.update(repr(row).encode())
                n += 1
            counts.append(n)
        schema = tuple(con.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name"))
        return (state, tuple(counts), h.hexdigest(), schema), integrity
    finally:
        con.close()
