#!/usr/bin/env python3
"""Runs build/bin/reader_probe (a PcscReader printing CardEvents as JSON lines) for the PC/SC
integration tests and benchmarks, and lets a test wait for the events it expects."""
import json
import os
import queue
import subprocess
import threading
import time


class Probe:
    def __init__(self, build_dir, *args):
        exe = os.path.join(build_dir, "bin", "reader_probe")
        if not os.path.exists(exe):
            raise RuntimeError(f"{exe} is missing: build the reader_probe target first")
        self.proc = subprocess.Popen([exe, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.events = queue.Queue()
        self.stderr_lines = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self):
        for line in self.proc.stdout:
            e = json.loads(line)
            e["seen_at"] = time.monotonic()
            self.events.put(e)

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip())

    def next(self, timeout=5.0):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no card event within {timeout} s; reader log:\n  " +
                                 "\n  ".join(self.stderr_lines[-10:]))

    def expect(self, kind, timeout=5.0, **fields):
        """The next event must be `kind` with the given field values; returns it."""
        e = self.next(timeout)
        if e["kind"] != kind:
            raise AssertionError(f"expected {kind}, got {e}")
        for k, v in fields.items():
            if e.get(k) != v:
                raise AssertionError(f"expected {k}={v!r} in {kind}, got {e}")
        return e

    def expect_quiet(self, seconds):
        """No event may arrive within `seconds`."""
        try:
            e = self.events.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"expected no event for {seconds} s, got {e}")

    def stop(self, timeout=5.0):
        """Closes stdin (the probe stops its reader) and returns the final 'stopped' event."""
        self.proc.stdin.close()
        self.proc.wait(timeout=timeout)
        return self.expect("stopped", timeout=1.0)

    def pid(self):
        return self.proc.pid

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
