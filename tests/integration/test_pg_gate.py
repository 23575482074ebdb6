"""The PostgreSQL gate against a real PostgreSQL 15 that the test starts itself (tests/tools/pg_fixture.py),
set up with the SQL `kioskctl testdb pg-setup-sql` prints (a gate role that is not a superuser), and proven
with the stock psql client: the shown credentials read; they cannot write or create; an open connection is
cut when the session ends; no login after the end, also with no kiosk running; a restart closes stale
sessions; two kiosks (two data dirs) on one server refuse the second session (TR-5) and share the seats;
any kiosk's recover locks a dead kiosk's ended sessions; every open and close is audited with its cause."""
import json, os, subprocess, sys, tempfile, time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
sys.path.insert(0, os.path.dirname(__file__))
from kioskctl_harness import Harness
from pg_fixture import PgServer, setup_gate, write_config

h = Harness(sys.argv[1])
K = h.kioskctl
UNAVAILABLE = "the test database is unavailable — please call staff"


def kc(data, conf, *args):
    return subprocess.run([K, "--config", conf, "--data-dir", data] + list(args), capture_output=True,
                          text=True, timeout=120)


def start(data, conf, card, *extra):
    p = kc(data, conf, "session", "start", "--card", card, "--json", *extra)
    try:
        return p, json.loads(p.stdout)
    except ValueError:
        return p, {}


def login(pg, g, sql="SELECT count(*) FROM patients"):
    return pg.psql(sql, user=g["role"], password=g["password"], db=g["database"], host=g["host"],
                   port=g["port"])


def audit(data, conf):
    p = kc(data, conf, "audit", "export", "--format", "json")
    return json.loads(p.stdout) if p.returncode == 0 else []


def sessions(data, conf):
    p = kc(data, conf, "sessions", "--json")
    return json.loads(p.stdout) if p.returncode == 0 else None


def role_row(pg, role):
    p = pg.psql(f"SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = '{role}'")
    return p.stdout.strip()


def hold_connection(pg, g):
    """A psql connected as the trainee, kept open in a long query."""
    e = pg.env(g["password"])
    proc = subprocess.Popen(["psql", "-X", "-q", "-U", g["role"], "-d", g["database"], "-c",
                             "SELECT pg_sleep(120)"], env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for _ in range(100):  # until the server lists it
        n = pg.psql(f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{g['role']}'").stdout.strip()
        if n == "1":
            break
        time.sleep(0.05)
    return proc


def cut(proc, within=10):
    try:
        proc.wait(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        return False, "still connected"
    err = proc.stderr.read()
    return proc.returncode != 0, err.strip()


with PgServer() as pg:
    work = tempfile.mkdtemp(prefix="kiosk-pg-it-")
    for k in ("a", "b"):
        subprocess.run([K, "demo-data", "--out", os.path.join(work, k), "--trainees", "20"], check=True,
                       capture_output=True)
    A, B = os.path.join(work, "a", "data"), os.path.join(work, "b", "data")
    conf = write_config(os.path.join(work, "kiosk.toml"), pg, seats=3)

    # ---- setup: the documented SQL, a least-privilege gate role ----------------------------------
    sql = setup_gate(pg, K, conf)
    stmts = [l for l in sql.splitlines() if l.strip() and not l.lstrip().startswith("--")]
    h.check(not any("SUPERUSER" in l.upper() for l in stmts), "the setup SQL grants no superuser")
    gate = pg.psql("SELECT rolsuper, rolcreaterole, pg_has_role('kiosk_gate', 'pg_signal_backend', 'MEMBER') "
                   "FROM pg_roles WHERE rolname = 'kiosk_gate'").stdout.strip()
    h.check(gate == "f|t|t", f"gate role: not superuser, CREATEROLE, pg_signal_backend: {gate}")
    p = subprocess.run([K, "--config", conf, "testdb", "pg-check"], capture_output=True, text=True)
    h.check(p.returncode == 0, f"pg-check passes for the documented role: {p.stdout.strip()} {p.stderr.strip()}")
    # kioskctl runs the A and B data dirs as two kiosks; the demo's "already in session" session of
    # D-0012 is local only (no claim on the server) and the first sweep closes it as lost.
    kc(A, conf, "session", "recover")
    kc(B, conf, "session", "recover")

    # ---- open: the shown credentials read, and cannot write or create ---------------------------
    p, s = start(A, conf, "04D0000000000001")
    g = s.get("gate") or {}
    h.check(p.returncode == 0 and g.get("backend") == "postgres", f"session start: {p.stdout.strip()} {p.stderr.strip()}")
    h.check(set(g) >= {"host", "port", "database", "role", "password", "valid_until"},
            f"--json gate object carries host, port, database, role, password, valid_until: {sorted(g)}")
    h.check(g.get("role") == "trainee_D-0001" and g.get("database") == "midnet" and g.get("port") == pg.port,
            f"role trainee_D-0001 on midnet, port {pg.port}: {g}")
    r = login(pg, g)
    h.check(r.returncode == 0 and r.stdout.strip() == "500", f"the shown credentials read: {r.stdout.strip()} {r.stderr.strip()}")
    for what, stmt in [("insert", "INSERT INTO patients VALUES (9999, 'F', 1990)"),
                       ("update", "UPDATE patients SET sex = 'X'"),
                       ("delete", "DELETE FROM patients"),
                       ("create table", "CREATE TABLE public.mine (a int)"),
                       ("create temp table", "CREATE TEMP TABLE mine (a int)"),
                       ("create schema", "CREATE SCHEMA mine"),
                       ("read the gate's claims", "SELECT * FROM kiosk.sessions"),
                       ("create role", "CREATE ROLE someone"),
                       ("grant itself more", "GRANT pg_read_all_data TO CURRENT_USER")]:
        r = login(pg, g, stmt)
        h.check(r.returncode != 0 and ("permission denied" in r.stderr or "must have" in r.stderr),
                f"trainee cannot {what}: {r.stderr.strip()[:120]}")
    h.check(pg.psql("SELECT count(*) FROM patients WHERE sex = 'X' OR id = 9999", db="midnet").stdout.strip() == "0",
            "the test data is unchanged")
    memberships = pg.psql("SELECT string_agg(pg_get_userbyid(roleid), ',') FROM pg_auth_members "
                          "WHERE member = '\"trainee_D-0001\"'::regrole").stdout.strip()
    h.check(memberships == "kiosk_reader", f"the trainee role is a member of the reader role only: {memberships}")
    verifier = pg.psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'trainee_D-0001'").stdout.strip()
    h.check(verifier.startswith("SCRAM-SHA-256$") and g["password"] not in verifier,
            "the server holds a SCRAM verifier, not the password")
    log = open(pg.log, errors="replace").read()
    h.check(g["password"] not in log, "the clear password never reaches the server's log")
    until = pg.psql("SELECT rolvaliduntil AT TIME ZONE 'UTC' FROM pg_roles WHERE rolname = 'trainee_D-0001'").stdout.strip()
    want = datetime.fromisoformat(g["valid_until"]).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    h.check(until == want, f"VALID UNTIL is the session's end in UTC: {until} vs {want}")

    # ---- TR-5 across kiosks: the second kiosk refuses; seats are shared -------------------------
    p, s2 = start(B, conf, "04D0000000000001")
    codes = [r["code"] for r in s2.get("reasons", [])]
    h.check(p.returncode == 1 and codes == ["ALREADY_IN_SESSION"] and s2.get("gate") is None,
            f"kiosk B refuses D-0001 held at kiosk A: ALREADY_IN_SESSION {codes} {p.stderr.strip()}")
    h.check(sessions(B, conf) == [], "kiosk B holds no session and no seat after the refusal")
    pB, sB = start(B, conf, "012E4CD2A1B2C302")  # D-0002 at kiosk B
    h.check(pB.returncode == 0, f"kiosk B opens D-0002: {pB.stderr.strip()}")
    pA3, sA3 = start(A, conf, "04D0000000000003")  # D-0003 at kiosk A: the third of 3 seats
    h.check(pA3.returncode == 0, f"kiosk A opens D-0003 (3rd seat): {pA3.stderr.strip()}")
    # A fourth session (a staff override at kiosk B, whose own count is 1 of 3): the server's seats are full.
    p = subprocess.run([K, "--config", conf, "--data-dir", B, "session", "start", "--trainee", "D-0005",
                        "--json", "--override-by", "staff1", "--reason", "office confirmed the order"],
                       capture_output=True, text=True)
    codes = [r["code"] for r in json.loads(p.stdout or "{}").get("reasons", [])]
    h.check(p.returncode == 1 and "NO_SEAT" in codes, f"seats are shared across kiosks: NO_SEAT from the server {codes} {p.stderr.strip()[:120]}")
    h.check([x["trainee_no"] for x in sessions(B, conf)] == ["D-0002"], "kiosk B holds only D-0002 after the refusal")
    kc(A, conf, "session", "end", str(sA3["session"]["id"]))
    p = subprocess.run([K, "--config", conf, "--data-dir", B, "session", "start", "--trainee", "D-0005",
                        "--json", "--override-by", "staff1", "--reason", "office confirmed the order"],
                       capture_output=True, text=True)
    h.check(p.returncode == 0, f"a seat freed at kiosk A is free at kiosk B: {p.stderr.strip()[:120]}")
    sid5 = json.loads(p.stdout)["session"]["id"]
    p = kc(B, conf, "session", "end", str(sid5), "--cause", "trainee")
    h.check(p.returncode == 0, f"the trainee ends it: {p.stderr.strip()}")
    h.check(any(x["kind"] == "session.end" and json.loads(x["detail"]).get("cause") == "trainee" for x in audit(B, conf)),
            "audited with cause trainee")

    # ---- close: NOLOGIN, open connection cut, no login after ------------------------------------
    proc = hold_connection(pg, g)
    sid = s["session"]["id"]
    # The server logs the gate's statements for this close (new sessions of the gate role), so
    # that their order can be read back: NOLOGIN committed, then the backends terminated, then a
    # fresh count.
    pg.psql("ALTER ROLE kiosk_gate SET log_statement = 'all'", check=True)
    log_from = os.path.getsize(pg.log)
    t0 = time.monotonic()
    p = kc(A, conf, "session", "end", str(sid))
    took = time.monotonic() - t0
    h.check(p.returncode == 0, f"session end: {p.stdout.strip()} {p.stderr.strip()}")
    pg.psql("ALTER ROLE kiosk_gate RESET log_statement", check=True)
    with open(pg.log, errors="replace") as f:
        f.seek(log_from)
        said = [l for l in f.read().splitlines() if "statement: " in l or "execute " in l]
    def first(word, after=-1):
        return next((i for i, l in enumerate(said) if i > after and word in l), None)
    nologin = first('ALTER ROLE "trainee_D-0001" WITH NOLOGIN PASSWORD NULL')
    commit = first("COMMIT", nologin if nologin is not None else len(said))
    terminate = first("pg_terminate_backend", commit if commit is not None else len(said))
    recount = first("SELECT count(*) FROM pg_stat_activity", terminate if terminate is not None else len(said))
    h.check(None not in (nologin, commit, terminate, recount),
            f"the close in the server's log: NOLOGIN, COMMIT, then pg_terminate_backend, then a fresh count "
            f"(statements {nologin}, {commit}, {terminate}, {recount} of the close)"
            + ("" if None not in (nologin, commit, terminate, recount) else f": {said[:16]}"))
    h.check(first("pg_terminate_backend") == terminate,
            "no backend is terminated before NOLOGIN is committed")
    ok, err = cut(proc)
    h.check(ok and ("terminat" in err or "closed" in err), f"the open connection is cut at the end ({took:.2f}s): {err[:120]}")
    h.check(role_row(pg, "trainee_D-0001") == "f|t", "the role is NOLOGIN without a password after the end")
    r = login(pg, g)
    h.check(r.returncode != 0 and "password authentication failed" in r.stderr, f"no login after the end: {r.stderr.strip()[:120]}")
    rows = audit(A, conf)
    ends = [x for x in rows if x["kind"] == "session.end" and json.loads(x["detail"]).get("session") == sid]
    h.check(len(ends) == 1 and json.loads(ends[0]["detail"])["cause"] == "staff", f"the end is audited with cause staff: {ends}")
    opens = [x for x in rows if x["kind"] == "gate.open" and x["trainee_no"] == "D-0001" and x["outcome"] == "ok"]
    h.check(len(opens) == 1 and "password" not in opens[0]["detail"] and g["password"] not in json.dumps(rows),
            "the open is audited (role, valid_until), the password never")

    # ---- the server ends a session although no kiosk runs ---------------------------------------
    # Start 57 s "ago" for 1 minute: the login is valid for 3 more seconds.
    at = (datetime.now(timezone.utc) - timedelta(seconds=57)).replace(microsecond=0).isoformat()
    p, s = start(A, conf, "04D0000000000001", "--at", at, "--minutes", "1")
    g = s.get("gate") or {}
    h.check(p.returncode == 0 and login(pg, g).returncode == 0, f"short session opens and logs in: {p.stderr.strip()}")
    proc = hold_connection(pg, g)
    time.sleep(max(0, (datetime.fromisoformat(g["valid_until"]) - datetime.now(timezone.utc)).total_seconds()) + 1.5)
    r = login(pg, g)
    h.check(r.returncode != 0 and "password authentication failed" in r.stderr,
            f"no login after the end with no kiosk running (VALID UNTIL): {r.stderr.strip()[:120]}")
    h.check(role_row(pg, "trainee_D-0001") == "t|f", "(the role still has LOGIN: the server's VALID UNTIL refused it)")

    # ---- any kiosk's recover locks the dead kiosk's ended session --------------------------------
    p = kc(B, conf, "session", "recover")
    h.check(p.returncode == 0 and "D-0001" in p.stdout and "expired" in p.stdout,
            f"kiosk B's recover closes kiosk A's expired session: {p.stdout.strip()} {p.stderr.strip()}")
    ok, err = cut(proc)
    h.check(ok, f"... and cuts its open connection: {err[:100]}")
    h.check(role_row(pg, "trainee_D-0001") == "f|t", "... and the role is NOLOGIN again")
    rowsB = audit(B, conf)
    h.check(any(x["kind"] == "gate.close" and x["trainee_no"] == "D-0001" and json.loads(x["detail"])["cause"] == "expired"
                for x in rowsB), "kiosk B audits the close with cause expired")
    p = kc(A, conf, "session", "recover")
    h.check(p.returncode == 0 and sessions(A, conf) == [], f"kiosk A's restart closes its local record: {p.stdout.strip()} {p.stderr.strip()}")
    rowsA = audit(A, conf)
    h.check(any(x["kind"] == "session.end" and json.loads(x["detail"]).get("cause") == "expired" for x in rowsA),
            "kiosk A audits its own session's end as expired")

    # ---- a restart closes what the kiosk no longer holds (state lost in a crash) ------------------
    p, s = start(A, conf, "04D0000000000001")
    g = s.get("gate") or {}
    proc = hold_connection(pg, g)
    C = os.path.join(work, "c")  # kiosk A's data dir as a crash left it: its id, no open session
    subprocess.run([K, "demo-data", "--out", C, "--trainees", "20"], check=True, capture_output=True)
    C = os.path.join(C, "data")
    kc(C, conf, "session", "end", "1")  # the demo's local-only session
    with open(os.path.join(A, "kiosk-id")) as f, open(os.path.join(C, "kiosk-id"), "w") as o:
        o.write(f.read())
    p = kc(C, conf, "session", "recover")
    h.check(p.returncode == 0 and "restart" in p.stdout and "D-0001" in p.stdout,
            f"recover closes a session its kiosk no longer holds (cause restart): {p.stdout.strip()} {p.stderr.strip()}")
    ok, err = cut(proc)
    h.check(ok and role_row(pg, "trainee_D-0001") == "f|t", f"... its connection is cut and the role locked: {err[:80]}")
    p = kc(A, conf, "session", "recover")
    h.check(p.returncode == 0 and "gate-failure" in p.stdout and sessions(A, conf) == [],
            f"kiosk A then finds its session lost on the server and closes it: {p.stdout.strip()} {p.stderr.strip()}")

    # ---- bad input: gate login refused, missing privileges, superuser, server down ---------------
    def refused(conf_path, what, want):
        before = pg.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'trainee\\_D%'").stdout.strip()
        p, s = start(A, conf_path, "04D0000000000003")
        msg = p.stderr.strip()
        h.check(p.returncode == 1 and UNAVAILABLE in msg and want in msg and s.get("gate") is None,
                f"{what}: clear message naming it: {msg[:220]}")
        h.check(sessions(A, conf) == [], f"{what}: no session, no seat held")
        after = pg.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'trainee\\_D%'").stdout.strip()
        h.check(before == after, f"{what}: nothing made on the server ({before} -> {after} trainee roles)")
        rows = audit(A, conf)
        h.check(rows and rows[-1]["kind"] == "gate.open" and rows[-1]["outcome"] == "failed" and
                want in json.loads(rows[-1]["detail"])["error"] and rows[-2]["kind"] == "decision",
                f"{what}: the failure is in the audit after the decision")

    refused(write_config(os.path.join(work, "badpw.toml"), pg, password="wrong"), "gate login refused",
            "password authentication failed for user \"kiosk_gate\"")
    pg.psql("CREATE ROLE weak_gate LOGIN PASSWORD 'weakpw'; GRANT CONNECT ON DATABASE midnet TO weak_gate", check=True)
    refused(write_config(os.path.join(work, "weak.toml"), pg, user="weak_gate", password="weakpw"),
            "gate role without privileges",
            "lacks CREATEROLE, membership of pg_signal_backend, ADMIN OPTION on the reader role kiosk_reader, ownership of the schema kiosk")
    pg.psql("ALTER ROLE weak_gate CREATEROLE; GRANT pg_signal_backend TO weak_gate; "
            "GRANT kiosk_reader TO weak_gate WITH ADMIN OPTION", check=True)
    refused(os.path.join(work, "weak.toml"), "gate role without its schema",
            "ownership of the schema kiosk (it belongs to kiosk_gate)")
    pg.psql("CREATE ROLE super_gate SUPERUSER LOGIN PASSWORD 'superpw'", check=True)
    refused(write_config(os.path.join(work, "super.toml"), pg, user="super_gate", password="superpw"),
            "superuser gate role", "is a superuser")
    p = subprocess.run([K, "--config", os.path.join(work, "weak.toml"), "testdb", "pg-check"], capture_output=True, text=True)
    h.check(p.returncode == 1 and "schema kiosk" in p.stderr, f"pg-check names what is missing: {p.stderr.strip()[:160]}")
    pg.stop()
    refused(conf, "server down", "cannot connect to PostgreSQL")
    pg.start()
    p, s = start(A, conf, "04D0000000000003")
    h.check(p.returncode == 0, f"after the server is back, sessions open again: {p.stderr.strip()}")

    # ---- config: keys checked with clear messages ------------------------------------------------
    for body, want in [('[sessions]\nbackend = "pg"\n', "sessions.backend must be"),
                       ('[sessions]\nbackend = "postgres"\n', "postgres.admin_conninfo is empty"),
                       ('[sessions]\nbackend = "postgres"\n[postgres]\nadmin_conninfo = "host=/x"\n', "postgres.database is empty"),
                       ('[postgres]\nrole_prefix = "Kiosk-"\n', "postgres.role_prefix"),
                       ('[postgres]\nrole_prefix = "pg_x"\n', "must not start with pg_"),
                       ('[postgres]\nreader_role = "r; DROP"\n', "postgres.reader_role"),
                       ('[postgres]\ntrainee_port = 70000\n', "postgres.trainee_port must be"),
                       ('[postgres]\nconnect_timeout_seconds = 0\n', "connect_timeout_seconds must be"),
                       ('[postgres]\nadmin = "x"\n', "unknown key 'postgres.admin'")]:
        path = os.path.join(work, "bad.toml")
        with open(path, "w") as f:
            f.write(body)
        p = subprocess.run([K, "--config", path, "--data-dir", A, "status"], capture_output=True, text=True)
        h.check(p.returncode == 1 and want in p.stderr, f"config {body.strip()!r}: {p.stderr.strip()[:140]}")
    path = write_config(os.path.join(work, "badconn.toml"), pg)
    with open(path, "a") as f:
        pass
    with open(path, "w") as f:
        f.write('[sessions]\nbackend = "postgres"\n[postgres]\nadmin_conninfo = "host= = ="\ndatabase = "midnet"\n')
    p = subprocess.run([K, "--config", path, "--data-dir", A, "session", "start", "--card", "04D0000000000001"],
                       capture_output=True, text=True)
    h.check(p.returncode == 1 and "admin_conninfo cannot be parsed" in p.stderr, f"a bad conninfo is named: {p.stderr.strip()[:140]}")
    h.check(subprocess.run([K, "--data-dir", A, "audit", "verify"], capture_output=True).returncode == 0,
            "kiosk A's audit chain verifies")

h.finish()
