// PostgreSQL gate speed: opens and closes trainee sessions through the real PgGate against a
// server given on the command line (tests/bench/pg_gate_bench.py starts one on a Unix socket and
// sets it up) and prints p50/p99 of open and of close. Target: <= 100 ms p99 each (issue 10).
//   pg_gate_bench ADMIN_CONNINFO DATABASE [ROUNDS]
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "db/pg_gate.h"

using namespace kiosk;

static double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fmt::print(stderr, "usage: pg_gate_bench ADMIN_CONNINFO DATABASE [ROUNDS]\n");
        return 2;
    }
    if (sodium_init() < 0) return 1;
    int rounds = argc > 3 ? std::atoi(argv[3]) : 200;
    db::PgGateOptions o;
    o.pg.admin_conninfo = argv[1];
    o.pg.database = argv[2];
    o.seats = 1000;
    o.kiosk_id = "bench";
    std::string err;
    auto gate = db::PgGate::create(o, &err);
    if (!gate || !gate->check(&err)) {
        fmt::print(stderr, "pg_gate_bench: {}\n", err);
        return 1;
    }
    std::vector<double> opens, closes;
    using clock = std::chrono::steady_clock;
    for (int i = 0; i < rounds; ++i) {
        // 20 trainees in turn: the first round creates their roles, later rounds reuse them.
        GateSession s{i + 1, fmt::format("B-{:04}", i % 20), now(), now() + std::chrono::hours(2)};
        auto t0 = clock::now();
        auto opened = gate->open(s, now());
        auto t1 = clock::now();
        if (!opened.ok) {
            fmt::print(stderr, "pg_gate_bench: open: {}\n", opened.error);
            return 1;
        }
        if (!gate->close(s, EndCause::EndedByTrainee, now(), &err)) {
            fmt::print(stderr, "pg_gate_bench: close: {}\n", err);
            return 1;
        }
        auto t2 = clock::now();
        opens.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        closes.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    fmt::print("pg_gate_bench: {} open+close rounds over 20 trainee roles, Unix socket\n", rounds);
    fmt::print("open   p50 {:7.2f} ms  p99 {:7.2f} ms  max {:7.2f} ms\n", pct(opens, 0.5),
               pct(opens, 0.99), pct(opens, 1.0));
    fmt::print("close  p50 {:7.2f} ms  p99 {:7.2f} ms  max {:7.2f} ms\n", pct(closes, 0.5),
               pct(closes, 0.99), pct(closes, 1.0));
    return 0;
}
