#!/usr/bin/env python3
"""Issue 9 item 7: no secrets of sync URLs in the audit trail or status, a way to authenticate that
keeps them out of URLs, and the right signature URL when the URL has a query. Against a real HTTP
server on 127.0.0.1 (http.server in a thread, stopped at the end): a URL with `?token=` is synced
(the server sees `feed.csv.minisig?token=…` for the signature, not `feed.csv?token=….minisig`); a
URL with `user:password@` and a failing one too; then neither the password nor the token appears in
`audit export`, `status`, `status --json` or audit-head.txt. A server that wants HTTP Basic auth is
reached with a netrc-style sync.credentials_file (mode 0600); the same file readable by others is
refused naming `chmod 600`, and without it the server's 401 is the one-line failure.
Usage: test_sync_secrets.py BUILD_DIR"""
import base64, http.server, os, sys, threading
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness, AT

h = Harness(sys.argv[1])
TOKEN, USER, PASSWORD = "tok-SECRET-1234", "kiosk", "pw-SECRET-5678"
ROWS = ["A-1,Taro,Example,OVERVIEW,PMDA,C-1,2024-05-01,issued,,2023-04-01"]
feeds = {}
for seq in (1, 2, 3):
    f = h.sign(h.write_feed(f"feed{seq}.csv", ROWS + [
        f"S-{k},Name,Example,OVERVIEW,PMDA,CS-{k},2024-05-01,issued,,2023-04-01"
        for k in range(1, seq + 1)]), seq)
    feeds[seq] = (open(f, "rb").read(), open(f + ".minisig", "rb").read())
seen = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, data=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="records"')
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        seen.append(self.path)
        path, _, query = self.path.partition("?")
        parts = path.strip("/").split("/")  # seq / (token|basic) / name
        body, sig = feeds[int(parts[0])]
        if parts[1] == "token" and query != f"token={TOKEN}":
            return self.send(403)
        if parts[1] == "basic":
            want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.send(401)
        if parts[2] == "feed.csv":
            return self.send(200, body)
        if parts[2] == "feed.csv.minisig":
            return self.send(200, sig)
        self.send(404)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
base = f"http://127.0.0.1:{server.server_address[1]}"
threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
watchdog = threading.Timer(120, server.shutdown)
watchdog.daemon = True
watchdog.start()


def config(name, creds=""):
    path = os.path.join(h.work, name)
    with open(path, "w") as f:
        f.write("[sync]\nconnect_timeout_seconds = 2\ntotal_timeout_seconds = 10\nretries = 0\n" +
                (f"credentials_file = \"{creds}\"\n" if creds else ""))
    return path


plain = config("plain.toml")
h.check(h.kc("init").returncode == 0, "init")

# A token in the query: applied, and the signature URL keeps the query after .minisig.
url = f"{base}/1/token/feed.csv?token={TOKEN}"
p = h.kc("--config", plain, "sync", url, "--pubkey", h.pub, "--at", AT)
h.check(p.returncode == 0, f"sync of a URL with ?token= applies: {p.stderr.strip()}")
h.check(f"/1/token/feed.csv.minisig?token={TOKEN}" in seen,
        f"the signature was fetched at feed.csv.minisig?token=…: {seen}")
# user:password@ in the URL (a server that ignores it), and a failure with a token.
p = h.kc("--config", plain, "sync", f"http://{USER}:{PASSWORD}@127.0.0.1:{server.server_address[1]}"
         f"/2/token/feed.csv?token={TOKEN}", "--at", AT)
h.check(p.returncode == 0, f"sync of a URL with user:password@ applies: {p.stderr.strip()}")
p = h.kc("--config", plain, "sync", f"{base}/3/token/feed.csv?token=wrong-{TOKEN}", "--at", AT)
h.check(p.returncode == 1 and "403" in p.stderr and TOKEN not in p.stderr,
        f"a refused download fails naming the status, without the token: {p.stderr.strip()}")

texts = {"audit export": h.kc("audit", "export", "--format", "json").stdout,
         "status": h.kc("status").stdout,
         "status --json": h.kc("status", "--json").stdout,
         "audit-head.txt": open(os.path.join(h.data, "audit-head.txt")).read()}
for name, text in texts.items():
    h.check(text and TOKEN not in text and PASSWORD not in text,
            f"{name} holds neither the token nor the password")
h.check(f"{base}/2/token/feed.csv" in texts["audit export"],
        "the audit records the URL without credentials or query")

# HTTP Basic from a netrc-style credentials file.
creds = os.path.join(h.work, "records.netrc")
with open(creds, "w") as f:
    f.write(f"machine 127.0.0.1\nlogin {USER}\npassword {PASSWORD}\n")
os.chmod(creds, 0o644)
with_creds = config("creds.toml", creds)
p = h.kc("--config", with_creds, "sync", f"{base}/3/basic/feed.csv", "--at", AT)
h.check(p.returncode == 1 and "chmod 600" in p.stderr,
        f"a credentials file readable by others is refused: {p.stderr.strip()}")
p = h.kc("--config", plain, "sync", f"{base}/3/basic/feed.csv", "--at", AT)
h.check(p.returncode == 1 and "401" in p.stderr, f"without credentials: HTTP 401: {p.stderr.strip()}")
os.chmod(creds, 0o600)
p = h.kc("--config", with_creds, "sync", f"{base}/3/basic/feed.csv", "--at", AT)
h.check(p.returncode == 0, f"with the 0600 credentials file the sync applies: {p.stderr.strip()}")
text = h.kc("audit", "export", "--format", "json").stdout + h.kc("status", "--json").stdout
h.check(PASSWORD not in text, "the password from the credentials file is not recorded either")
server.shutdown()
h.finish()
