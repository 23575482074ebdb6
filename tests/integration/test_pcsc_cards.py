#!/usr/bin/env python3
"""PcscReader against a real pcscd + vpcd (issue 4): MIFARE and FeliCa cards inserted, removed and
inserted again, a card held on the reader reported once, a card already present at start-up, and
a prompt clean shutdown. argv[1] = build directory."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pcscd_fixture import Pcscd  # noqa: E402
from reader_probe import Probe  # noqa: E402
from vpcd_card import ATR_FELICA, ATR_MIFARE_1K, VirtualCard  # noqa: E402

READER = "Virtual PCD 00 00"
MIFARE_UID = "04A1B2C3D4E5F6"
FELICA_IDM = "0123456789ABCDEF"


def insert_remove_insert(build):
    probe = Probe(build)
    try:
        probe.expect("reader-available", reader=READER)
        mifare = VirtualCard(MIFARE_UID, ATR_MIFARE_1K)
        felica = VirtualCard(FELICA_IDM, ATR_FELICA)

        mifare.insert()
        e = probe.expect("card-presented", uid=MIFARE_UID, family="ISO14443A", reader=READER)
        assert e["latency_us"] >= 0 and e["queued_us"] >= e["detected_us"], e
        # Held on the reader: reported once, nothing more while it stays.
        probe.expect_quiet(1.5)
        mifare.remove()
        probe.expect("card-removed")

        felica.insert()
        probe.expect("card-presented", uid=FELICA_IDM, family="FeliCa")
        felica.remove()
        probe.expect("card-removed")

        mifare.insert()  # the same card again is a new tap
        probe.expect("card-presented", uid=MIFARE_UID, family="ISO14443A")
        mifare.remove()
        probe.expect("card-removed")
        assert mifare.get_uid_count == 2 and felica.get_uid_count == 1, "one GET UID per tap"

        stopped = probe.stop()
        assert stopped["stop_us"] < 500_000, f"stop took {stopped['stop_us']} us"
    finally:
        probe.kill()


def card_present_at_start_up(build):
    card = VirtualCard(MIFARE_UID, ATR_MIFARE_1K)
    card.insert()
    time.sleep(1.0)  # pcscd sees it (it polls vpcd every 400 ms)
    probe = Probe(build)
    try:
        probe.expect("reader-available")
        probe.expect("card-presented", uid=MIFARE_UID)
        probe.expect_quiet(1.0)
        card.remove()
        probe.expect("card-removed")
        probe.stop()
    finally:
        probe.kill()
        card.remove()


def reader_filter(build):
    # The second vpcd reader holds no card: filtering to it must not see the card on the first.
    probe = Probe(build, "--reader", "00 01")
    card = VirtualCard(MIFARE_UID, ATR_MIFARE_1K)
    try:
        probe.expect("reader-available", reader="Virtual PCD 00 01")
        card.insert()
        probe.expect_quiet(1.5)
        probe.stop()
    finally:
        card.remove()
        probe.kill()
    probe = Probe(build, "--reader", "No Such Reader")
    try:
        probe.expect("reader-lost", message="no reader matching 'No Such Reader'")
        probe.stop()
    finally:
        probe.kill()


def main():
    build = sys.argv[1]
    with Pcscd():
        for case in (insert_remove_insert, card_present_at_start_up, reader_filter):
            print(f"-- {case.__name__}", flush=True)
            case(build)
    print("ok")


if __name__ == "__main__":
    main()
