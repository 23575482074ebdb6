#!/usr/bin/env python3
"""An X display of our own for the kiosk's screen tests, tour and benchmark: Xvfb at 1920x1080x24
on a free display number (Xvfb picks it: -displayfd), no TCP, stopped on close.

    with XvfbDisplay() as x:
        subprocess.run([kiosk, ...], env=x.env())
"""
import os
import subprocess
import time


class XvfbDisplay:
    def __init__(self, width=1920, height=1080):
        self.size = f"{width}x{height}x24"
        self.proc = None
        self.display = None

    def __enter__(self):
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", self.size, "-nolisten", "tcp",
             "-noreset"], pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            line = f.readline().strip()
        if not line:
            self.proc.kill()
            raise RuntimeError("Xvfb did not start (is the xvfb package installed?)")
        self.display = ":" + line
        return self

    def env(self, base=None):
        e = dict(os.environ if base is None else base)
        e["DISPLAY"] = self.display
        e.pop("WAYLAND_DISPLAY", None)
        return e

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
