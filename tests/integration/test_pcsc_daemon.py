#!/usr/bin/env python3
"""PcscReader when pcscd itself fails (issue 4): pcscd killed and started again (the reader comes
back, the next tap is read), pcscd absent at start-up ("no reader service", then recovery when it
starts), and pcscd without any reader ("no reader connected"). argv[1] = build directory."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pcscd_fixture import Pcscd  # noqa: E402
from reader_probe import Probe  # noqa: E402
from vpcd_card import ATR_FELICA, ATR_MIFARE_1K, VirtualCard  # noqa: E402

READER = "Virtual PCD 00 00"


def tap(probe, uid, atr=ATR_MIFARE_1K):
    card = VirtualCard(uid, atr)
    card.insert()
    probe.expect("card-presented", uid=uid)
    card.remove()
    probe.expect("card-removed")


def pcscd_killed_and_restarted(build, pcscd):
    probe = Probe(build)
    try:
        probe.expect("reader-available", reader=READER)
        tap(probe, "04A1B2C3D4E5F6")
        # A card on the reader when pcscd dies is reported removed before the reader is lost.
        card = VirtualCard("0123456789ABCDEF", ATR_FELICA)
        card.insert()
        probe.expect("card-presented", uid="0123456789ABCDEF")
        pcscd.kill()
        card.remove()
        probe.expect("card-removed", timeout=2.0)
        probe.expect("reader-lost", message="no reader service", timeout=2.0)
        probe.expect_quiet(1.0)  # reported once while it stays down
        ready = pcscd.start()
        e = probe.expect("reader-available", reader=READER, timeout=3.0)
        assert e["seen_at"] - ready < 1.0, "back within a few retries of 250 ms"
        tap(probe, "04A1B2C3D4E5F6")
        probe.stop()
    finally:
        probe.kill()


def pcscd_absent_at_start_up(build, pcscd):
    pcscd.stop()
    probe = Probe(build)
    try:
        probe.expect("reader-lost", message="no reader service")
        probe.expect_quiet(0.8)
        pcscd.start()
        probe.expect("reader-available", reader=READER, timeout=3.0)
        tap(probe, "04A1B2C3D4E5F6")
        stopped = probe.stop()
        assert stopped["stop_us"] < 500_000, stopped
    finally:
        probe.kill()


def no_readers(build):
    bare = Pcscd(no_readers=True)
    bare.start()
    probe = Probe(build)
    try:
        probe.expect("reader-lost", message="no reader connected")
        probe.expect_quiet(1.5)  # re-listing on each timeout says nothing new
        # pcscd replaced by one with the vpcd readers: the reader is found.
        bare.close()
        probe.expect("reader-lost", message="no reader service", timeout=2.0)
        with Pcscd():
            probe.expect("reader-available", reader=READER, timeout=3.0)
            tap(probe, "04A1B2C3D4E5F6")
            probe.stop()
    finally:
        probe.kill()
        bare.close()


def main():
    build = sys.argv[1]
    with Pcscd() as pcscd:
        for case in (pcscd_killed_and_restarted, pcscd_absent_at_start_up):
            print(f"-- {case.__name__}", flush=True)
            case(build, pcscd)
    print("-- no_readers", flush=True)
    no_readers(build)
    print("ok")


if __name__ == "__main__":
    main()
