#!/usr/bin/env python3
"""`kioskctl readers` and `kioskctl watch [--decide]` against a real pcscd + vpcd (issue 4):
"no reader service" and exit 1 without pcscd; reader states with and without a card; watch prints
card events, decides for a tapped card (audited, through the Gatekeeper) and exits 0 on SIGTERM
and SIGINT. argv[1] = build directory."""
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pcscd_fixture import Pcscd  # noqa: E402
from vpcd_card import ATR_MIFARE_1K, VirtualCard  # noqa: E402

UID = "04A1B2C3D4E5F6"


def kioskctl(build, *args):
    return subprocess.run([os.path.join(build, "bin", "kioskctl"), *args], capture_output=True,
                          text=True, timeout=30)


def check_readers(build, pcscd):
    pcscd.stop()
    r = kioskctl(build, "readers")
    assert r.returncode == 1, r
    assert r.stderr.startswith("kioskctl: no reader service"), r.stderr
    pcscd.start()
    r = kioskctl(build, "readers")
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["Virtual PCD 00 00\tempty", "Virtual PCD 00 01\tempty"], r.stdout
    card = VirtualCard(UID, ATR_MIFARE_1K)
    card.insert()
    try:
        for _ in range(20):  # pcscd sees the card at its next 400 ms poll
            r = kioskctl(build, "readers")
            if "\tcard" in r.stdout:
                break
            threading.Event().wait(0.1)
        first = r.stdout.splitlines()[0]
        assert first == ("Virtual PCD 00 00\tcard ISO14443A\t"
                         "ATR 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"), first
    finally:
        card.remove()
    threading.Event().wait(0.6)  # until pcscd's next poll sees the card gone


class Watch:
    def __init__(self, build, *args):
        self.proc = subprocess.Popen([os.path.join(build, "bin", "kioskctl"), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(json.loads(x)) for x in self.proc.stdout],
                         daemon=True).start()

    def next(self, timeout=5.0):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"kioskctl watch printed nothing within {timeout} s")

    def stop(self, sig):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=3)
        assert rc == 0, (rc, self.proc.stderr.read())


def check_watch(build):
    w = Watch(build, "watch", "--json", "--reader", "00 00")
    try:
        e = w.next()
        assert e["event"] == "reader-available" and e["reader"] == "Virtual PCD 00 00", e
        card = VirtualCard(UID, ATR_MIFARE_1K)
        card.insert()
        e = w.next()
        assert e["event"] == "card-presented" and e["uid"] == UID and e["family"] == "ISO14443A", e
        card.remove()
        assert w.next()["event"] == "card-removed"
        w.stop(signal.SIGTERM)
    finally:
        w.proc.kill()


def check_watch_decide(build):
    with tempfile.TemporaryDirectory() as data:
        r = kioskctl(build, "--data-dir", data, "init")
        assert r.returncode == 0, r
        w = Watch(build, "--data-dir", data, "watch", "--decide", "--json")
        try:
            assert w.next()["event"] == "reader-available"
            card = VirtualCard(UID, ATR_MIFARE_1K)
            card.insert()
            assert w.next()["uid"] == UID
            d = w.next()
            assert d["event"] == "decision" and d["decision"] == "deny", d
            assert [x["code"] for x in d["reasons"]] == ["CARD_UNKNOWN"], d
            card.remove()
            assert w.next()["event"] == "card-removed"
            w.stop(signal.SIGINT)
        finally:
            w.proc.kill()
        r = kioskctl(build, "--data-dir", data, "audit", "verify")
        assert r.returncode == 0, r


def main():
    build = sys.argv[1]
    with Pcscd() as pcscd:
        for name, case in (("readers", lambda: check_readers(build, pcscd)),
                           ("watch", lambda: check_watch(build)),
                           ("watch --decide", lambda: check_watch_decide(build))):
            print(f"-- {name}", flush=True)
            case()
    print("ok")


if __name__ == "__main__":
    main()
