"""PostgreSQL gate speed on the loopback (Unix) socket: starts its own PostgreSQL 15
(tests/tools/pg_fixture.py), sets it up with `kioskctl testdb pg-setup-sql`, then runs
build/bin/pg_gate_bench (open and close through the real PgGate) and prints p50/p99.
    python3 tests/bench/pg_gate_bench.py BUILD_DIR [ROUNDS]"""
import os, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pg_fixture import PgServer, setup_gate, write_config

build = sys.argv[1] if len(sys.argv) > 1 else "build"
rounds = sys.argv[2] if len(sys.argv) > 2 else "300"
kioskctl = os.path.join(build, "bin", "kioskctl")
with PgServer() as pg:
    conf = write_config(os.path.join(tempfile.mkdtemp(prefix="pg-bench-"), "kiosk.toml"), pg)
    setup_gate(pg, kioskctl, conf)
    load = open("/proc/loadavg").read().split()[0]
    print(f"load average {load} on {os.cpu_count()} cores")
    sys.exit(subprocess.run([os.path.join(build, "bin", "pg_gate_bench"), pg.conninfo(), "midnet",
                             rounds]).returncode)
