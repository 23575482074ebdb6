#!/usr/bin/env python3
"""Our own pcscd for integration tests and benchmarks (with vsmartcard's vpcd driver).

pcscd 1.9.9 always serves /run/pcscd/pcscd.comm, so there is one per machine: Pcscd.start()
first stops whatever pcscd is running (a system one or a stale one of ours) and removes a stale
/run/pcscd/pcscd.pid (after a SIGKILL it makes a new pcscd exit), then runs
`pcscd --foreground --error` (never --auto-exit) and waits until it serves. A pcscd that was
running before the fixture is started again by close(), with its own command line.

    with Pcscd() as d:        # started and ready
        d.kill()              # SIGKILL, as if it crashed
        d.start()             # back
"""
import os
import signal
import socket
import subprocess
import tempfile
import time

RUN_DIR = "/run/pcscd"
PID_FILE = os.path.join(RUN_DIR, "pcscd.pid")
COMM_SOCKET = os.path.join(RUN_DIR, "pcscd.comm")
VPCD_PORT = 35963


def _pcscd_pids():
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() == "pcscd":
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode() for a in f.read().split(b"\0") if a]
    except OSError:
        return None


def _wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.path.exists(f"/proc/{pid}"):
            return True
        try:  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.01)
    return not os.path.exists(f"/proc/{pid}")


def _vpcd_listening(port=VPCD_PORT):
    """True when something listens on TCP `port` (read from /proc: connecting would insert a card)."""
    want = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if cols[1].endswith(want) and cols[3] == "0A":  # 0A = LISTEN
                        return True
        except OSError:
            pass
    return False


def _serves():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(COMM_SOCKET)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Pcscd:
    def __init__(self, no_readers=False, debug=False):
        """no_readers: load no reader drivers (an empty reader.conf.d), so pcscd has no reader."""
        self.no_readers = no_readers
        self.debug = debug
        self.proc = None
        self._restore_cmdline = None  # a pcscd that was running before us
        self._empty_conf = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def _stop_others(self):
        for pid in _pcscd_pids():
            if self.proc is not None and pid == self.proc.pid:
                continue
            cmd = _cmdline(pid)
            if self._restore_cmdline is None and cmd and self.proc is None:
                self._restore_cmdline = cmd
            os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, 3.0):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 3.0)
        if os.path.exists(PID_FILE):
            os.unlink(PID_FILE)

    def start(self, timeout=10.0):
        """Starts pcscd and returns the monotonic time at which it first served a client."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("pcscd already running")
        self._stop_others()
        args = ["pcscd", "--foreground", "--debug" if self.debug else "--error"]
        if self.no_readers:
            self._empty_conf = self._empty_conf or tempfile.mkdtemp(prefix="pcscd-noreaders-")
            args += ["--config", self._empty_conf]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pcscd exited with status {self.proc.returncode} at start")
            if _serves() and (self.no_readers or _vpcd_listening()):
                return time.monotonic()
            time.sleep(0.005)
        raise RuntimeError("pcscd did not become ready within %.0f s" % timeout)

    def stop(self):
        """SIGTERM and wait (pcscd removes its own pid file)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self):
        """SIGKILL, as in a crash: leaves the stale pid file that start() cleans up."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        if self._restore_cmdline:
            self._stop_others()
            subprocess.Popen(self._restore_cmdline, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
            self._restore_cmdline = None
        if self._empty_conf:
            os.rmdir(self._empty_conf)
            self._empty_conf = None
