#!/usr/bin/env python3
"""PcscReader against a real pcscd + vpcd (issue 4): cards that answer badly become ReaderError
events naming what is wrong, and the reader goes on serving the next card. Covers 6A 81, garbage,
a missing status word, a too-short UID, an unknown ATR, a card pulled in the
middle of the UID read (a 0-byte answer), and cards that never answer (the APDU time bound). argv[1] = build directory."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pcscd_fixture import Pcscd  # noqa: E402
from reader_probe import Probe  # noqa: E402
from vpcd_card import ATR_CONTACT, ATR_MIFARE_1K, VirtualCard  # noqa: E402

GOOD_UID = "04A1B2C3D4E5F6"
APDU_TIMEOUT_MS = 500


def good_tap(probe):
    card = VirtualCard(GOOD_UID, ATR_MIFARE_1K)
    card.insert()
    probe.expect("card-presented", uid=GOOD_UID)
    card.remove()
    probe.expect("card-removed")


def bad_card(probe, mode, message_part, atr=ATR_MIFARE_1K):
    card = VirtualCard(GOOD_UID, atr, mode=mode)
    card.insert()
    e = probe.expect("reader-error", uid=None)
    assert message_part in e["message"], f"{mode}: {e['message']!r} lacks {message_part!r}"
    card.remove()
    probe.expect("card-removed")
    good_tap(probe)  # the reader keeps serving


def stalled_card(probe, mode):
    card = VirtualCard(GOOD_UID, ATR_MIFARE_1K, mode=mode, stall_s=4.0)
    card.insert()
    e = probe.expect("reader-error", timeout=5.0)
    assert e["message"] == f"card did not answer GET UID within {APDU_TIMEOUT_MS} ms", e
    waited_ms = (e["queued_us"] - e["detected_us"]) / 1000
    assert APDU_TIMEOUT_MS <= waited_ms < APDU_TIMEOUT_MS + 300, waited_ms
    # The reader thread gave up on the read; pcscd's driver waits until the card leaves.
    card.remove()
    probe.expect("card-removed", timeout=5.0)
    time.sleep(0.5)
    good_tap(probe)


def main():
    build = sys.argv[1]
    with Pcscd():
        probe = Probe(build, "--apdu-timeout-ms", str(APDU_TIMEOUT_MS))
        try:
            probe.expect("reader-available")
            for mode, part in [
                ("sixa81", "status word 6A 81 (function not supported)"),
                ("garbage", "status word 37 42"),
                ("no_sw", "no status word"),
                ("short_uid", "UID is 2 bytes, expected 4 to 10"),
            ]:
                print(f"-- {mode}", flush=True)
                bad_card(probe, mode, part)

            print("-- unknown ATR", flush=True)
            bad_card(probe, "ok", "unrecognised card (ATR 3B 02 14 50)", atr=ATR_CONTACT)

            print("-- pulled during the UID read", flush=True)
            card = VirtualCard(GOOD_UID, ATR_MIFARE_1K, mode="disconnect")
            card.insert()
            e = probe.expect("reader-error")
            assert card.get_uid_count == 1, "the read must have started"
            # vpcd gives a 0-byte answer or pcsc-lite a "removed" error (field-notes.md).
            assert (e["message"] == "card sent an empty answer to GET UID"
                    or "removed during the UID read" in e["message"]), e
            probe.expect("card-removed")
            card.remove()
            good_tap(probe)

            for mode in ("stall", "empty"):
                print(f"-- {mode}: the card does not answer", flush=True)
                stalled_card(probe, mode)
            stopped = probe.stop()
            assert stopped["stop_us"] < 500_000, stopped
        finally:
            probe.kill()
    print("ok")


if __name__ == "__main__":
    main()
