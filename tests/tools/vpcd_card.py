#!/usr/bin/env python3
"""A contactless card for pcscd's vpcd driver (vsmartcard), for tests and benchmarks only.

The card is a TCP client of vpcd (127.0.0.1:35963 is "Virtual PCD 00 00"): connecting inserts
it, closing removes it. Every message both ways is a 2-byte big-endian length + payload; a 1-byte
payload from vpcd is control (00 power off, 01 power on, 02 reset: no reply; 04: reply with the
ATR); a longer one is a command APDU, answered with a response APDU. GET UID (FF CA 00 00 Le)
is answered according to `mode`:

    ok          UID + 90 00                 sixa81      6A 81 (function not supported)
    garbage     3 bytes that are no answer  short_uid   2-byte UID + 90 00
    no_sw       1 byte (no status word)
    empty       a 0-byte frame: vpcd 0.8 does not pass it on but goes on waiting, so to PC/SC
                this is a card that never answers (until it leaves)
    stall       no answer for stall_s seconds, then the card leaves
    disconnect  the card leaves instead of answering (pulled during the UID read): SCardTransmit
                then returns success with a 0-byte answer, or a "removed" error

Use it as a module (`VirtualCard(uid=..., atr=...).insert()`) or from a shell:
    vpcd_card.py --uid 04A1B2C3D4E5F6 [--atr felica|mifare|HEX] [--mode M]
then type `insert`, `remove`, `mode M`, `uid HEX`, `quit` on stdin. Standard library only.
"""
import argparse
import socket
import struct
import sys
import threading
import time

VPCD_PORT = 35963  # reader "Virtual PCD 00 00"

# PC/SC part 3 storage-card ATRs (field-notes.md): FeliCa has 11 003B where MIFARE 1K has 03 0001.
ATR_FELICA = bytes.fromhex("3B8F8001804F0CA00000030611003B0000000042")
ATR_MIFARE_1K = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
# A contact card's ATR (T=0, no contactless historical bytes): the kiosk cannot classify it.
ATR_CONTACT = bytes.fromhex("3B021450")

MODES = ("ok", "sixa81", "garbage", "empty", "short_uid", "no_sw", "stall", "disconnect")


def atr_from_name(name):
    return {"felica": ATR_FELICA, "mifare": ATR_MIFARE_1K, "contact": ATR_CONTACT}.get(
        name.lower()) or bytes.fromhex(name)


class VirtualCard:
    """One card that can be inserted into and removed from vpcd's reader."""

    def __init__(self, uid="04A1B2C3D4E5F6", atr=ATR_MIFARE_1K, mode="ok", port=VPCD_PORT,
                 stall_s=5.0):
        assert mode in MODES, mode
        self.uid = bytes.fromhex(uid) if isinstance(uid, str) else bytes(uid)
        self.atr = atr
        self.mode = mode
        self.port = port
        self.stall_s = stall_s
        self.get_uid_count = 0  # GET UID commands received, over all insertions
        self.last_get_uid_at = None  # time.monotonic() of the last GET UID
        self._sock = None
        self._thread = None
        self._left = threading.Event()

    # -- insertion and removal --------------------------------------------------------------
    def insert(self, timeout=10.0):
        """Connects to vpcd (retrying while pcscd is starting); returns the monotonic time."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"vpcd is not listening on port {self.port}")
                time.sleep(0.02)
        s.settimeout(None)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = s
        self._left.clear()
        inserted_at = time.monotonic()
        self._thread = threading.Thread(target=self._serve, args=(s,), daemon=True)
        self._thread.start()
        return inserted_at

    def remove(self):
        """Closes the connection (the card leaves the field); returns the monotonic time."""
        s, self._sock = self._sock, None
        self._left.set()
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        return time.monotonic()

    @property
    def inserted(self):
        return self._sock is not None

    # -- the protocol -----------------------------------------------------------------------
    def _recv_exact(self, s, n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("vpcd closed the connection")
            buf += chunk
            # vpcd writes length and payload separately without TCP_NODELAY: ACK at once, or
            # every message waits ~44 ms for the delayed ACK.
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return buf

    def _send(self, s, payload):
        s.sendall(struct.pack(">H", len(payload)) + payload)

    def _answer_get_uid(self, s):
        self.get_uid_count += 1
        self.last_get_uid_at = time.monotonic()
        m = self.mode
        if m == "ok":
            return self.uid + b"\x90\x00"
        if m == "sixa81":
            return b"\x6a\x81"
        if m == "garbage":
            return b"\x13\x37\x42"
        if m == "empty":
            return b""
        if m == "short_uid":
            return self.uid[:2] + b"\x90\x00"
        if m == "no_sw":
            return b"\x90"
        if m == "stall":
            self._left.wait(self.stall_s)
            return None  # leave without answering
        return None  # disconnect

    def _serve(self, s):
        try:
            while True:
                (length,) = struct.unpack(">H", self._recv_exact(s, 2))
                payload = self._recv_exact(s, length) if length else b""
                if len(payload) == 1:
                    if payload[0] == 0x04:
                        self._send(s, self.atr)
                    continue  # 00 power off, 01 power on, 02 reset: no reply
                if payload[:2] == b"\xff\xca":
                    answer = self._answer_get_uid(s)
                    if answer is None:
                        break
                    self._send(s, answer)
                else:
                    self._send(s, b"\x6d\x00")  # instruction not supported
        except (OSError, ConnectionError, struct.error):
            pass
        finally:
            if self._sock is s:
                self._sock = None
            try:
                s.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uid", default="04A1B2C3D4E5F6")
    ap.add_argument("--atr", default="mifare", help="felica, mifare, contact or hex")
    ap.add_argument("--mode", default="ok", choices=MODES)
    ap.add_argument("--port", type=int, default=VPCD_PORT)
    args = ap.parse_args()
    card = VirtualCard(args.uid, atr_from_name(args.atr), args.mode, args.port)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        if cmd == "insert":
            card.insert()
        elif cmd == "remove":
            card.remove()
        elif cmd == "mode" and len(words) == 2 and words[1] in MODES:
            card.mode = words[1]
        elif cmd == "uid" and len(words) == 2:
            card.uid = bytes.fromhex(words[1])
        elif cmd == "atr" and len(words) == 2:
            card.atr = atr_from_name(words[1])
        elif cmd == "quit":
            break
        else:
            print(f"unknown command: {line.strip()}", file=sys.stderr)
            continue
        print("ok", flush=True)
    card.remove()


if __name__ == "__main__":
    main()
