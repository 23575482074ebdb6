"""A throw-away PostgreSQL 15 server for tests and benchmarks: initdb as the `postgres` user into a
temporary directory, Unix socket only (listen_addresses=''), scram-sha-256 for every login in
pg_hba.conf, a random port (it only names the socket file). Use it as a context manager:

    with PgServer() as pg:
        pg.psql("SELECT 1")                      # as the superuser
        pg.psql("SELECT 1", user="r", password="pw", db="midnet")

setup_gate(pg, kioskctl, config) runs the setup SQL that `kioskctl testdb pg-setup-sql` prints
(the documented least-privilege gate role) and fills a small test table."""
import os, pwd, random, shutil, subprocess, tempfile

PG_BIN = "/usr/lib/postgresql/15/bin"
SUPERUSER_PASSWORD = "fixture-superuser-pw"
GATE_PASSWORD = "fixture-gate-pw"


def _as_postgres(cmd, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--"] + cmd, **kw)


class PgServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kiosk-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "server.log")
        self.port = random.randint(20000, 60000)
        self.running = False

    def __enter__(self):
        self.start(first=True)
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, first=False):
        pg = pwd.getpwnam("postgres")
        if first:
            os.makedirs(self.sock)
            for p in (self.dir, self.sock):
                os.chown(p, pg.pw_uid, pg.pw_gid)
            pwfile = os.path.join(self.dir, "pw")
            with open(pwfile, "w") as f:
                f.write(SUPERUSER_PASSWORD + "\n")
            os.chown(pwfile, pg.pw_uid, pg.pw_gid)
            _as_postgres([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--pwfile", pwfile,
                          "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
                         check=True, capture_output=True)
            os.unlink(pwfile)
            # Every login, the superuser's too, by password: VALID UNTIL applies to password logins.
            with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
                f.write("local all all scram-sha-256\n")
        opts = f"-k {self.sock} -p {self.port} -c listen_addresses='' -c password_encryption=scram-sha-256"
        _as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-o", opts, "start"],
                     check=True, capture_output=True)
        self.running = True

    def stop(self):
        if self.running:
            _as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"],
                         capture_output=True)
            self.running = False

    def env(self, password):
        e = dict(os.environ)
        e.update(PGHOST=self.sock, PGPORT=str(self.port), PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
        return e

    def psql(self, sql, user="postgres", password=SUPERUSER_PASSWORD, db="postgres", host=None,
             port=None, check=False):
        """Runs sql with the stock psql client; returns the CompletedProcess (stdout: unaligned)."""
        e = self.env(password)
        if host:
            e["PGHOST"] = host
        if port:
            e["PGPORT"] = str(port)
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", db,
                            "-c", sql], capture_output=True, text=True, env=e, timeout=60)
        if check and p.returncode != 0:
            raise RuntimeError(f"psql {sql!r} as {user}: {p.stderr.strip()}")
        return p

    def conninfo(self, user="kiosk_gate", password=GATE_PASSWORD):
        return f"host={self.sock} port={self.port} user={user} password={password}"


def write_config(path, pg, seats=4, database="midnet", user="kiosk_gate", password=GATE_PASSWORD,
                 extra=""):
    with open(path, "w") as f:
        f.write(f'[sessions]\nbackend = "postgres"\nseats = {seats}\n\n[postgres]\n'
                f'admin_conninfo = "{pg.conninfo(user, password)}"\ndatabase = "{database}"\n{extra}')
    return path


def setup_gate(pg, kioskctl, config, database="midnet"):
    """Creates the test database with a little data, then runs the printed setup SQL."""
    pg.psql(f"CREATE DATABASE {database}", check=True)
    pg.psql("CREATE TABLE patients (id int PRIMARY KEY, sex text, born int);"
            "INSERT INTO patients SELECT g, CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END, 1940 + g % 60 "
            "FROM generate_series(1, 500) g;", db=database, check=True)
    p = subprocess.run([kioskctl, "--config", config, "testdb", "pg-setup-sql"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError(f"pg-setup-sql: {p.stderr.strip()}")
    sql = p.stdout.replace("CHANGE-ME", GATE_PASSWORD)
    path = os.path.join(pg.dir, "setup.sql")
    with open(path, "w") as f:
        f.write(sql)
    e = pg.env(SUPERUSER_PASSWORD)
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", database,
                        "-f", path], capture_output=True, text=True, env=e)
    if r.returncode != 0:
        raise RuntimeError(f"setup SQL: {r.stderr.strip()}")
    return sql
