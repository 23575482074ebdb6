#!/usr/bin/env python3
"""`kioskctl sync URL` against a real HTTP server on 127.0.0.1 (http.server in a thread, our own
handler): a good signed feed applies; a 404 fails at once (one request, no retries); a 503 is
retried and then succeeds; a server that stalls mid-body is cut off within the configured timeout;
a truncated body (Content-Length larger than what is sent) and a missing .minisig fail. After every
failure the mirror is byte-for-byte unchanged, no temporary is left in the data dir, and the
failure is audited as sync.rejected. Every request loop is bounded and the server stops itself.
Usage: test_sync_fetch.py BUILD_DIR"""
import http.server, json, os, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
ROWS1 = ["A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"]
ROWS2 = ROWS1 + ["B-2,Hanako,Example,SYSOP,PMDA,C-2,2024-06-01,issued,,2023-04-01"]
feed1 = h.sign(h.write_feed("feed1.csv", ROWS1), 1)
# A larger second snapshot so that "half the body" is a real split.
ROWS2 += [f"P-{i},Name {i},Example,OVERVIEW,PMDA,CP-{i},2024-05-01,issued,,2023-04-01"
          for i in range(400)]
feed2 = h.sign(h.write_feed("feed2.csv", ROWS2), 2)
body1, sig1 = open(feed1, "rb").read(), open(feed1 + ".minisig", "rb").read()
body2, sig2 = open(feed2, "rb").read(), open(feed2 + ".minisig", "rb").read()
feed3 = h.sign(h.write_feed("feed3.csv", ROWS2), 3)
body3, sig3 = open(feed3, "rb").read(), open(feed3 + ".minisig", "rb").read()

stop = threading.Event()  # set at the end: wakes a stalled handler, so the server can stop
counts = {}               # path -> requests seen
lock = threading.Lock()


class FeedHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, data, status=200, length=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            counts[self.path] = n = counts.get(self.path, 0) + 1
        top, _, name = self.path.lstrip("/").partition("/")
        is_sig = name.endswith(".minisig")
        if top == "good":
            self.send_body(sig2 if is_sig else body2)
        elif top == "third":
            self.send_body(sig3 if is_sig else body3)
        elif top == "first":
            self.send_body(sig1 if is_sig else body1)
        elif top == "notfound":
            if is_sig:
                self.send_body(sig2)
            else:
                self.send_error(404, "Not Found")
        elif top == "nosig":
            if is_sig:
                self.send_error(404, "Not Found")
            else:
                self.send_body(body2)
        elif top == "flaky":  # the CSV answers 503 once, then the feed
            if is_sig:
                self.send_body(sig2)
            elif n == 1:
                self.send_error(503, "Service Unavailable")
            else:
                self.send_body(body2)
        elif top == "down":  # always 503
            self.send_error(503, "Service Unavailable")
        elif top == "stall":  # headers and half the body, then silence (bounded by `stop`)
            if is_sig:
                self.send_body(sig2)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body2)))
            self.end_headers()
            self.wfile.write(body2[: len(body2) // 2])
            self.wfile.flush()
            stop.wait(15)
            self.close_connection = True
        elif top == "truncate":  # announces more than it sends, then closes
            if is_sig:
                self.send_body(sig2)
                return
            self.send_body(body2[:1000], length=len(body2))
            self.wfile.flush()
            self.close_connection = True
        elif top == "redirect":  # to a scheme other than http(s)
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/feed.csv")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404, "Not Found")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
server.daemon_threads = True
base = f"http://127.0.0.1:{server.server_address[1]}"
serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
serving.start()
# The server stops itself after at most two minutes, whatever happens to this script.
watchdog = threading.Timer(120, lambda: (stop.set(), server.shutdown()))
watchdog.daemon = True
watchdog.start()


def config(name, connect, total, retries, source=""):
    path = os.path.join(h.work, name)
    with open(path, "w") as f:
        f.write(f"[sync]\nconnect_timeout_seconds = {connect}\ntotal_timeout_seconds = {total}\n"
                f"retries = {retries}\nsource = \"{source}\"\n")
    return path


normal = config("normal.toml", 2, 10, 2)
tight = config("tight.toml", 2, 2, 0)


def sync(url, cfg=normal, *extra):
    t0 = time.monotonic()
    p = h.kc("--config", cfg, "sync", url, "--at", AT, *extra)
    return p, time.monotonic() - t0


def data_files():
    return set(os.listdir(h.data))


def last_audit():
    rows = h.audit_rows()
    return rows[-1] if rows else {}


def expect_failure(what, url, contains, cfg=normal, extra=(), max_seconds=None):
    before_files, before_mirror = data_files(), h.fingerprint(("mirror.db",))
    p, took = sync(url, cfg, *extra)
    h.expect_error(what, p, 1, contains=contains)
    line = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    h.check(url.split("://")[1].split("/")[0] in line or "fetch" not in contains,
            f"{what}: the error names the URL: {line!r}")
    h.check(h.fingerprint(("mirror.db",)) == before_mirror, f"{what}: mirror byte-for-byte unchanged")
    left = data_files() - before_files - {"audit-head.txt"}
    h.check(not left and not any(f.startswith("sync-download-") for f in data_files()),
            f"{what}: no temporary left in the data dir (new: {sorted(left)})")
    ev = last_audit()
    detail = json.loads(ev.get("detail", "{}"))
    h.check(ev.get("kind") == "sync.rejected" and detail.get("file") == url and
            contains.lower() in detail.get("reason", "").lower(),
            f"{what}: audited as sync.rejected for the URL: {ev.get('detail', '')[:160]}")
    h.check("audit head: seq" in p.stdout, f"{what}: the audit head is printed: {p.stdout.strip()!r}")
    if max_seconds is not None:
        h.check(took <= max_seconds, f"{what}: gave up in {took:.1f} s (limit {max_seconds} s)")
    return p


try:
    h.kc("init")
    # Left by a run killed two days ago: removed by the next fetch. A fresh one (a sync running
    # right now) is not touched.
    stale, fresh = (os.path.join(h.data, f"sync-download-{x}.csv") for x in ("OLD123", "NEW456"))
    for f in (stale, fresh):
        open(f, "w").write("partial")
    os.utime(stale, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    p, _ = sync(f"{base}/first/feed.csv", normal, "--pubkey", h.pub)
    h.check(not os.path.exists(stale) and os.path.exists(fresh),
            "a day-old leftover download is removed, a fresh one kept")
    os.remove(fresh)
    h.check(p.returncode == 0 and "applied" in p.stdout,
            f"a good signed feed over http applies: {p.returncode} {p.stderr.strip()[:200]}")
    h.check(f"file: {base}/first/feed.csv" in p.stdout, "the report names the URL, not a temporary")
    ev = last_audit()
    h.check(ev.get("kind") == "sync.applied" and
            json.loads(ev["detail"]).get("file") == f"{base}/first/feed.csv",
            "sync.applied is audited with the URL")
    h.check(not any(f.startswith("sync-download-") for f in data_files()),
            "no temporary left after a successful sync")

    expect_failure("404", f"{base}/notfound/feed.csv", "HTTP 404 Not Found")
    h.check(counts.get("/notfound/feed.csv") == 1,
            f"404 is not retried: the server saw {counts.get('/notfound/feed.csv')} request(s)")

    expect_failure("missing .minisig", f"{base}/nosig/feed.csv", "feed.csv.minisig: HTTP 404")
    h.check(counts.get("/nosig/feed.csv.minisig") == 1 and "/nosig/feed.csv" not in counts,
            "a missing signature fails before the CSV is downloaded")

    p = expect_failure("always 503", f"{base}/down/feed.csv", "HTTP 503 Service Unavailable")
    h.check(counts.get("/down/feed.csv.minisig") == 3 and "(3 attempts)" in p.stderr,
            f"503 is retried sync.retries=2 times, then fails: {counts.get('/down/feed.csv.minisig')} requests")

    # Stalled mid-body: cut off by the 2 s limit (retries=0), well before the handler wakes (15 s).
    p = expect_failure("stall mid-body", f"{base}/stall/feed.csv", "timed out", cfg=tight,
                       max_seconds=6)
    h.check(f"{len(body2) // 2} of {len(body2)} bytes" in p.stderr,
            f"the stall error says how much arrived: {p.stderr.strip()[-160:]!r}")

    p = expect_failure("truncated body", f"{base}/truncate/feed.csv", "truncated")
    h.check(f"after 1000 of {len(body2)} bytes" in p.stderr and "server closed the connection" in p.stderr,
            f"the truncation error gives the byte counts: {p.stderr.strip()[-160:]!r}")
    h.check(counts.get("/truncate/feed.csv") == 3, "a truncated transfer is retried, then fails")

    expect_failure("redirect to ftp", f"{base}/redirect/feed.csv", "only http and https")

    p = expect_failure("port with nothing listening", "http://127.0.0.1:9/feed.csv", "fetch",
                       cfg=tight)

    # A tampered snapshot over http: fetched, rejected by verification, temporaries removed.
    before_files = data_files()
    p, _ = sync(f"{base}/good/feed.csv", normal, "--sig", feed1 + ".minisig")
    h.expect_error("--sig as a local path that does not match", p, 1, contains="signature")
    h.check(not (data_files() - before_files - {"audit-head.txt"}),
            "no temporary left after a rejected verification")

    # 503 once, then the feed: retried and applied.
    p, _ = sync(f"{base}/flaky/feed.csv")
    h.check(p.returncode == 0 and "sequence: 1 -> 2" in p.stdout,
            f"503 then success: applied after a retry ({p.stderr.strip()[:200]})")
    h.check(counts.get("/flaky/feed.csv") == 2, f"the server saw 2 requests: {counts.get('/flaky/feed.csv')}")
    h.check(not any(f.startswith("sync-download-") for f in data_files()),
            "no temporary left after the retried sync")

    # The nightly unit runs `kioskctl --config FILE sync` with no SOURCE: sync.source is the URL.
    nightly = config("nightly.toml", 2, 10, 2, source=f"{base}/third/feed.csv")
    p = h.kc("--config", nightly, "sync", "--at", AT)
    h.check(p.returncode == 0 and "sequence: 2 -> 3" in p.stdout and f"{base}/third/feed.csv" in p.stdout,
            f"sync without SOURCE downloads sync.source: {p.stderr.strip()[:200]}")
finally:
    stop.set()
    watchdog.cancel()
    server.shutdown()
    server.server_close()
h.finish()
