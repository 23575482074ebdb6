"""Shared helpers for the kioskctl integration tests: run the real binary, make minisign keys and
signed snapshots with the stock `minisign` tool, fingerprint stores, collect failures."""
import hashlib, json, os, sqlite3, subprocess, sys, tempfile

HEADER = ("trainee_no,name,affiliation,course,provider,certificate_no,completed_on,status,"
          "request_accepted_on,user_since\n")
AT = "2026-11-24T10:00:00+09:00"
# The local state's tables in kiosk.db (which also holds the audit chain, so its bytes change
# with every audited action, a refusal included).
LOCAL_TABLES = ("cards", "staff", "sessions", "briefings", "revisions")


def local_state(kiosk_db):
    """The local state in kiosk_db as sorted rows per table (None when the file is missing),
    read through a read-only connection."""
    if not os.path.exists(kiosk_db):
        return None
    con = sqlite3.connect(f"file:{kiosk_db}?mode=ro", uri=True)
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in LOCAL_TABLES}
    finally:
        con.close()


class Harness:
    def __init__(self, build_dir):
        self.kioskctl = os.path.join(build_dir, "bin", "kioskctl")
        self.work = tempfile.mkdtemp(prefix="kioskctl-it-")
        self.data = os.path.join(self.work, "data")
        self.pub = os.path.join(self.work, "office.pub")
        self.key = os.path.join(self.work, "office.key")
        self.failures = []
        subprocess.run(["minisign", "-G", "-W", "-p", self.pub, "-s", self.key], check=True,
                       capture_output=True, input=b"")

    def kc(self, *args, data=True, stdin=None):
        cmd = [self.kioskctl] + (["--data-dir", self.data] if data else []) + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, input=stdin, timeout=120)

    def write_feed(self, name, rows, header=HEADER, encoding="utf-8"):
        path = os.path.join(self.work, name)
        with open(path, "w", encoding=encoding, newline="") as f:
            f.write(header + "".join(r + "\n" for r in rows))
        return path

    def sign(self, path, sequence, generated_at="2026-11-24T02:00:00+09:00", key=None, legacy=False):
        cmd = ["minisign", "-S", "-s", key or self.key, "-m", path, "-t",
               f"sequence={sequence} generated_at={generated_at}"]
        if legacy:
            cmd.insert(2, "-l")
        subprocess.run(cmd, check=True, capture_output=True, input=b"")
        return path

    def fingerprint(self, names=("mirror.db", "local.db")):
        """SHA-256 of each named file; "local.db" (the store of earlier versions) means the local
        state's tables inside kiosk.db, compared by content."""
        out = {}
        for n in names:
            if n == "local.db":
                state = local_state(os.path.join(self.data, "kiosk.db"))
                out[n] = None if state is None else hashlib.sha256(repr(state).encode()).hexdigest()
                continue
            p = os.path.join(self.data, n)
            out[n] = hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.exists(p) else None
        return out

    def local_state(self, data=None):
        return local_state(os.path.join(data or self.data, "kiosk.db"))

    def audit_rows(self):
        p = self.kc("audit", "export", "--format", "json")
        return json.loads(p.stdout) if p.returncode == 0 else []

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
            print("FAIL", what)
        else:
            print("ok  ", what)

    def expect_error(self, what, p, status=1, contains=None):
        """One clear line on stderr and the given exit status."""
        lines = [l for l in p.stderr.strip().splitlines() if l.strip()]
        ok = p.returncode == status and len(lines) >= 1 and lines[-1].startswith("kioskctl") or \
            (status == 2 and p.returncode == 2 and lines)
        if contains:
            ok = ok and contains.lower() in p.stderr.lower()
        self.check(ok, f"{what}: exit {p.returncode} (want {status}), stderr {p.stderr.strip()[:160]!r}")

    def finish(self):
        print(f"{'FAILED' if self.failures else 'passed'}: {len(self.failures)} failure(s)")
        sys.exit(1 if self.failures else 0)
