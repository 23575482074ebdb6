"""Integration test of `kioskctl testdb query` (product.md section 6, issue 10): one query through
the workspace's guarded engine. Reading works (text and --json, the row cap); every way to write,
escape or exhaust time or memory exits 1 with the reason on one line; the test database is byte
for byte unchanged and no file appears; with --data-dir every query is in the audit (and a query
that cannot be audited does not run); without one it runs unaudited; usage errors exit 2.

Usage: test_testdb_query.py BUILD_DIR"""
import hashlib, json, os, sys

sys.path.insert(0, os.path.dirname(__file__))
from kioskctl_harness import Harness  # noqa: E402


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    h = Harness(sys.argv[1])
    db = os.path.join(h.work, "testdb.sqlite")
    p = h.kc("testdb", "generate", "--out", db, "--patients", "500", data=False)
    h.check(p.returncode == 0, f"testdb generate: {p.stderr.strip()}")
    p = h.kc("init")
    h.check(p.returncode == 0, f"init: {p.stderr.strip()}")
    before = sha(db)
    files_before = sorted(os.listdir(h.work))

    def q(*args, data=True):
        return h.kc("testdb", "query", "--db", db, *args, data=data)

    # Reading: text output is a tab-separated header and rows; the summary goes to stderr.
    p = q("SELECT patient_id, sex FROM patients ORDER BY patient_id LIMIT 3")
    lines = p.stdout.splitlines()
    h.check(p.returncode == 0 and lines[0] == "patient_id\tsex" and len(lines) == 4
            and lines[1].startswith("P0000001\t"), f"text query: {p.stdout[:120]!r} {p.stderr!r}")
    h.check("(3 rows," in p.stderr, f"text summary on stderr: {p.stderr.strip()!r}")

    p = q("--json", "SELECT patient_id, birth_year, NULL AS empty FROM patients LIMIT 2")
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    h.check(j.get("outcome") == "done" and j.get("row_count") == 2 and j.get("columns") ==
            ["patient_id", "birth_year", "empty"] and isinstance(j["rows"][0][1], int)
            and j["rows"][0][2] is None and j.get("truncated") is False and j.get("audited") is True,
            f"json query: {p.stdout[:200]!r}")

    # The row cap cuts and says so (exit 0: the rows kept are valid).
    p = q("--json", "--max-rows", "10", "SELECT * FROM lab_results")
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    h.check(j.get("outcome") == "cut" and j.get("row_count") == 10 and j.get("truncated") is True
            and "row cap of 10" in j.get("message", ""), f"row cap: {p.stdout[:200]!r}")
    p = q("--max-rows", "10", "SELECT * FROM lab_results")
    h.check(p.returncode == 0 and "row cap of 10" in p.stderr, f"row cap (text): {p.stderr!r}")

    # Every way to write, escape or exhaust: exit 1 with the reason.
    attach_target = os.path.join(h.work, "evil.db")
    vacuum_target = os.path.join(h.work, "copy.db")
    attacks = [
        ("insert", "INSERT INTO meta VALUES ('a', 'b')", "INSERT"),
        ("CTE-wrapped delete", "WITH x AS (SELECT 1) DELETE FROM patients", "DELETE"),
        ("drop", "DROP TABLE visits", "DROP"),
        ("attach", f"ATTACH '{attach_target}' AS evil", "ATTACH"),
        ("vacuum into", f"VACUUM INTO '{vacuum_target}'", "only reads"),
        ("temp table", "CREATE TEMP TABLE t AS SELECT * FROM patients", "CREATE TEMP"),
        ("pragma", "PRAGMA user_version = 9", "PRAGMA user_version"),
        ("pragma query_only off", "PRAGMA query_only = OFF", "PRAGMA query_only"),
        ("load_extension", "SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')",
         "load_extension"),
        ("two statements", "SELECT 1; DELETE FROM patients", "exactly one statement"),
        ("transaction", "BEGIN", "BEGIN"),
        ("syntax error", "SELEC 1", "syntax error"),
        ("no such table", "SELECT * FROM nonesuch", "no such table: nonesuch"),
        ("randomblob", "SELECT randomblob(2000000000)", "too big"),
        ("zeroblob", "SELECT zeroblob(1000000000)", "too big"),
    ]
    for what, sql, reason in attacks:
        p = q(sql)
        h.expect_error(what, p, 1, reason)
    p = q("--time-limit-ms", "200",
          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
    h.expect_error("recursive CTE", p, 1, "time limit of 200 ms")
    p = q("--time-limit-ms", "200", "SELECT count(*) FROM lab_results a, lab_results b, visits c")
    h.expect_error("huge join", p, 1, "time limit of 200 ms")
    p = q("--json", "DELETE FROM patients")
    h.check(p.returncode == 1 and json.loads(p.stdout).get("outcome") == "refused",
            f"refused with --json prints the outcome too: {p.stdout[:120]!r}")

    h.check(sha(db) == before, "the test database is byte for byte unchanged")
    h.check(not os.path.exists(attach_target) and not os.path.exists(vacuum_target),
            "ATTACH and VACUUM INTO created no file")
    h.check(sorted(os.listdir(h.work)) == files_before, "no new file beside the test database")

    # The audit shows each query run with --data-dir: its text, outcome, rows and duration.
    rows = [r for r in h.audit_rows() if r.get("kind") == "workspace.query"]
    queries_run = 4 + len(attacks) + 3
    h.check(len(rows) == queries_run, f"one audit row per query: {len(rows)} (want {queries_run})")
    by_sql = {}
    for r in rows:
        d = json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]
        by_sql[d["sql"]] = (r["outcome"], d)
    o, d = by_sql.get(f"ATTACH '{attach_target}' AS evil", (None, {}))
    h.check(o == "refused" and "ATTACH" in d.get("message", ""), f"ATTACH audited: {o} {d}")
    o, d = by_sql.get("SELECT * FROM nonesuch", (None, {}))
    h.check(o == "failed" and d.get("message") == "no such table: nonesuch",
            f"failure audited with SQLite's message: {o} {d}")
    o, d = by_sql.get("SELECT patient_id, sex FROM patients ORDER BY patient_id LIMIT 3", (None, {}))
    h.check(o == "done" and d.get("rows") == 3 and d.get("duration_ms", -1) >= 0,
            f"reading query audited with rows and duration: {o} {d}")
    p = h.kc("audit", "verify")
    h.check(p.returncode == 0, f"audit chain verifies: {p.stdout.strip()} {p.stderr.strip()}")

    # Without a data directory: runs, unaudited, and says so in --json.
    p = q("--json", "SELECT count(*) FROM patients", data=False)
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    h.check(j.get("audited") is False and j.get("rows") == [[500]],
            f"no data dir: unaudited run: {p.stdout[:120]!r} {p.stderr!r}")
    # A data directory that cannot be opened: the query does not run (fail secure).
    p = h.kc("--data-dir", os.path.join(h.work, "nonesuch"), "testdb", "query", "--db", db,
             "SELECT 1", data=False)
    h.expect_error("unopenable data dir", p, 1)
    h.check(p.stdout == "", "nothing printed when the query cannot be audited")

    # Bad input at the command line.
    p = h.kc("testdb", "query", "--db", os.path.join(h.work, "nope.sqlite"), "SELECT 1")
    h.expect_error("missing database", p, 1, "nope.sqlite")
    h.expect_error("row cap 0", q("--max-rows", "0", "SELECT 1"), 2)
    h.expect_error("time limit 0", q("--time-limit-ms", "0", "SELECT 1"), 2)
    h.expect_error("no SQL", q(), 2)
    h.check(sha(db) == before, "the test database is still unchanged")
    h.finish()


if __name__ == "__main__":
    main()
