#!/usr/bin/env python3
"""Bad input to the `kiosk` program (issue 8, "Bad input"): each gives one clear message on stderr
and a non-zero exit, never a crash or a blank screen: a missing font file, an unreadable or
invalid config, no display, no OpenGL 3 context, a script with an unknown line (usage error naming
the line), a screenshot path that cannot be written; a good script and screenshot work.
argv[1] = build directory."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from xvfb_display import XvfbDisplay  # noqa: E402


def run(build, args, env, timeout=120):
    return subprocess.run([os.path.join(build, "bin", "kiosk"), *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def expect(r, rc, *words):
    assert r.returncode == rc, (r.returncode, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.startswith("kiosk: ")]
    assert len(lines) == 1, r.stderr  # one clear message
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def main():
    build = os.path.abspath(sys.argv[1])
    kioskctl = os.path.join(build, "bin", "kioskctl")
    with tempfile.TemporaryDirectory(prefix="kiosk-bad-") as tmp, XvfbDisplay() as x:
        data = tmp + "/demo/data"
        subprocess.run([kioskctl, "--data-dir", data, "demo-data", "--out", tmp + "/demo",
                        "--trainees", "20"], check=True, capture_output=True)
        env = x.env()
        base = ["--data-dir", data]

        def cfg(name, text):
            p = os.path.join(tmp, name)
            with open(p, "w") as f:
                f.write(text)
            return p

        # Config: unreadable, invalid TOML, a bad value.
        expect(run(build, ["--config", tmp + "/nope.toml", *base], env), 1, "nope.toml",
               "cannot be read")
        expect(run(build, ["--config", cfg("a.toml", "[ui\n"), *base], env), 1, "a.toml",
               "line 1")
        expect(run(build, ["--config", cfg("b.toml", "[ui]\npx_per_mm = 0\n"), *base], env), 1,
               "ui.px_per_mm must be 1..50")
        # A missing font file.
        expect(run(build, ["--config", cfg("f.toml", '[ui]\nfont = "/nonexistent/Noto.ttc"\n'),
                           *base], env), 1, "/nonexistent/Noto.ttc")
        # No display; no OpenGL 3 context (Mesa told to offer 2.1 only).
        nodisp = dict(env)
        nodisp.pop("DISPLAY")
        expect(run(build, base, nodisp), 1, "display")
        old_gl = dict(env, MESA_GL_VERSION_OVERRIDE="2.1", MESA_GLSL_VERSION_OVERRIDE="120")
        expect(run(build, base, old_gl), 1, "OpenGL")
        # A script with an unknown line: usage error naming the line, before any window.
        bad = cfg("bad.script", "# tour\ntap 04D0000000000001\n\njump 3\n")
        expect(run(build, [*base, "--script", bad], nodisp), 2, "line 4", "jump 3")
        expect(run(build, [*base, "--script", cfg("i.script", "press fly\n")], nodisp), 2,
               "line 1", "unknown intent 'fly'")
        # A press whose control is not on the screen.
        expect(run(build, [*base, "--script", cfg("p.script", "press end_session\n")], env), 1,
               "line 1", "no 'end_session' control on the idle screen")
        # A screenshot that cannot be written.
        expect(run(build, [*base, "--screenshot", tmp + "/missing-dir/idle.png"], env), 1,
               "missing-dir/idle.png")
        shot = cfg("s.script", f"shot {tmp}/ro/a.png\nquit\n")
        os.makedirs(tmp + "/ro")
        os.chmod(tmp + "/ro", 0o500)
        if os.geteuid() != 0:  # root writes anywhere
            expect(run(build, [*base, "--script", shot], env), 1, "ro/a.png")
        # And the good paths: a script with a shot, then --screenshot of the screen reached.
        good = cfg("g.script", f"tap 04D0000000000005\nshot {tmp}/refused.png\npress ok\n")
        r = run(build, [*base, "--script", good, "--screenshot", tmp + "/after.png"], env)
        assert r.returncode == 0, r.stderr
        for p in ("refused.png", "after.png"):
            with open(os.path.join(tmp, p), "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n", p
    print("kiosk bad input: config, font, display, GL, script lines, screenshot paths")


if __name__ == "__main__":
    main()
