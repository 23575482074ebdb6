#!/usr/bin/env python3
"""The systemd units in config/systemd/ (the kiosk service, the nightly sync service and its timer):
`systemd-analyze verify` accepts them with ExecStart pointing at the built binaries, they carry the
properties the operator relies on (oneshot sync of sync.source with the hardening options and the
data dir writable, a nightly persistent timer with a random delay, a kiosk restarted always), and
CMake configured installable copies with no placeholder left. Skips verify (saying so) where
systemd-analyze is not installed. Usage: test_systemd_units.py BUILD_DIR"""
import os, re, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kioskctl_harness import Harness

h = Harness(sys.argv[1])
build = os.path.abspath(sys.argv[1])
src = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
units = ["onsite-kiosk.service", "onsite-kiosk-sync.service", "onsite-kiosk-sync.timer"]


def props(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line.strip())
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


text = {u: open(os.path.join(src, "config", "systemd", u)).read() for u in units}
sync, timer, kiosk = (props(text[u]) for u in
                      ("onsite-kiosk-sync.service", "onsite-kiosk-sync.timer", "onsite-kiosk.service"))
data_dir = re.search(r'^data_dir\s*=\s*"([^"]+)"', open(os.path.join(src, "config", "kiosk.toml")).read(),
                     re.M).group(1)

h.check(sync.get("Type") == ["oneshot"], "sync service is Type=oneshot")
h.check(sync.get("ExecStart", [""])[0].endswith("/kioskctl --config /etc/onsite-kiosk/kiosk.toml sync"),
        f"sync service runs kioskctl sync with the installed config: {sync.get('ExecStart')}")
for key, want in [("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
                  ("ProtectHome", "yes"), ("ReadWritePaths", data_dir)]:
    h.check(sync.get(key) == [want], f"sync service {key}={want} (got {sync.get(key)})")
h.check(timer.get("OnCalendar") == ["*-*-* 03:00:00"] and timer.get("Persistent") == ["true"] and
        timer.get("RandomizedDelaySec") == ["30min"], f"timer: nightly, persistent, random delay {timer}")
h.check(kiosk.get("Restart") == ["always"], "kiosk service Restart=always")
h.check(kiosk.get("ReadWritePaths") == [data_dir], "kiosk service may write only the data dir")

for u in units:
    p = os.path.join(build, "systemd", u)
    h.check(os.path.exists(p) and "@KIOSK_" not in open(p).read(),
            f"CMake configured {u} for install with no placeholder left")

analyze = shutil.which("systemd-analyze")
if not analyze:
    print("skip systemd-analyze verify: systemd-analyze is not installed on this machine")
else:
    tmp = tempfile.mkdtemp(prefix="units-")
    for u in units:
        with open(os.path.join(tmp, u), "w") as f:
            f.write(text[u].replace("@KIOSK_BINDIR@", os.path.join(build, "bin"))
                    .replace("@KIOSK_DOCDIR@", src))
    to_verify = [os.path.join(tmp, u) for u in ("onsite-kiosk-sync.service", "onsite-kiosk-sync.timer")]
    if os.path.exists(os.path.join(build, "bin", "kiosk")):
        to_verify.append(os.path.join(tmp, "onsite-kiosk.service"))
    else:
        print("skip verify of onsite-kiosk.service: the kiosk program is not built in", build)
    p = subprocess.run([analyze, "verify"] + to_verify, capture_output=True, text=True, timeout=60)
    h.check(p.returncode == 0 and not p.stderr.strip(),
            f"systemd-analyze verify {' '.join(map(os.path.basename, to_verify))}: "
            f"{p.returncode} {p.stderr.strip()[:300]}")
    p = subprocess.run([analyze, "calendar", "--iterations=2", timer["OnCalendar"][0]],
                       capture_output=True, text=True, timeout=30)
    h.check(p.returncode == 0 and "03:00:00" in p.stdout, "the timer fires at 03:00 each day")
h.finish()
