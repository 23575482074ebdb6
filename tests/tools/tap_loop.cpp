// tap_loop: opens a data directory once and asks the real Gatekeeper (mirror, local state, durable
// audit) for decisions in a tight loop, to show that decisions keep succeeding while
// `kioskctl sync` imports a snapshot (tests/integration/test_sync_concurrent_taps.py,
// tests/bench/sync_bench.py). Cards and trainee numbers are used in turn. With --mirror-reads it
// times only the mirror reads of a decision (feed_state + find_trainee, trainee numbers only): the
// part an import could contend with, without the audit row's fsync.
//   tap_loop --data-dir DIR (--card UID | --trainee NO)... [--at TIME] [--seconds S] [--lines]
//            [--mirror-reads]
// Runs until SIGINT/SIGTERM or --seconds (default 300). With --lines, prints one line per
// decision: "<CLOCK_MONOTONIC ns at start> <latency ns> <grant|deny|fault> [what failed]".
// Always ends with one summary line:
//   "summary decisions=N faults=F grants=G p50_us=X p99_us=Y max_us=Z first_ns=A last_ns=B".
// Exit status 0 when every decision was answered without KIOSK_FAULT, 1 otherwise, 2 on usage.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "db/data_dir.h"
#include "db/mirror_store.h"
#include "kiosk/card_id.h"
#include "kiosk/gatekeeper.h"
#include "kiosk/time.h"

namespace {

using namespace kiosk;

volatile std::sig_atomic_t g_quit = 0;

void on_signal(int) { g_quit = 1; }

std::int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// One thing to tap: a card UID or a trainee number.
struct Target {
    std::optional<CardUid> card;
    std::string trainee_no;
};

int usage(const std::string& why) {
    fmt::print(stderr,
               "tap_loop: {}\nusage: tap_loop --data-dir DIR (--card UID | --trainee NO)... "
               "[--at TIME] [--seconds S] [--lines]\n",
               why);
    return 2;
}

double percentile_us(std::vector<std::int64_t> ns, double p) {
    if (ns.empty()) return 0;
    auto k = static_cast<std::size_t>(p * static_cast<double>(ns.size() - 1));
    std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
    return static_cast<double>(ns[k]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir, at_text;
    double seconds = 300;
    bool lines = false, mirror_reads = false;
    std::vector<Target> targets;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "--data-dir") {
                data_dir = value();
            } else if (a == "--card") {
                std::string err, text = value();
                auto uid = parse_card_uid(text, &err);
                if (!uid) return usage(fmt::format("--card {}: {}", text, err));
                targets.push_back({uid, ""});
            } else if (a == "--trainee") {
                targets.push_back({std::nullopt, value()});
            } else if (a == "--at") {
                at_text = value();
            } else if (a == "--seconds") {
                seconds = std::stod(value());
            } else if (a == "--lines") {
                lines = true;
            } else if (a == "--mirror-reads") {
                mirror_reads = true;
            } else {
                return usage("unknown argument " + a);
            }
        } catch (const std::exception& e) {
            return usage(e.what());
        }
    }
    if (data_dir.empty() || targets.empty())
        return usage("needs --data-dir and a --card or --trainee");
    if (mirror_reads)
        for (auto& t : targets)
            if (t.card) return usage("--mirror-reads takes trainee numbers only");
    if (sodium_init() < 0) return usage("libsodium failed to initialise");
    Instant at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    if (!at_text.empty()) {
        auto parsed = parse_instant(at_text);
        if (!parsed) return usage("--at " + at_text + ": not an ISO 8601 time with offset");
        at = *parsed;
    }

    std::string err;
    auto dir = db::DataDir::open(data_dir, &err);
    if (!dir) {
        fmt::print(stderr, "tap_loop: {}\n", err);
        return 1;
    }
    Gatekeeper gate(dir->mirror(), dir->local(), dir->audit(), dir->secret(), Policy{});

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::vector<std::int64_t> latencies;
    latencies.reserve(1 << 16);
    std::int64_t faults = 0, grants = 0, first_ns = 0, last_ns = 0;
    const std::int64_t deadline = monotonic_ns() + static_cast<std::int64_t>(seconds * 1e9);
    std::string line;
    for (std::size_t n = 0; !g_quit; ++n) {
        const Target& t = targets[n % targets.size()];
        const std::int64_t start = monotonic_ns();
        if (start >= deadline) break;
        TapResult r;
        if (mirror_reads) {
            std::optional<FeedState> feed;
            if (!dir->mirror().feed_state(&feed, &r.fault) ||
                !dir->mirror().find_trainee(t.trainee_no, &r.trainee, &r.fault))
                r.decision.reasons.push_back({Code::KioskFault, std::nullopt, {}});
            r.decision.granted = r.trainee.has_value();  // "grant": the trainee was found
        } else {
            r = t.card ? gate.decide_card(*t.card, at, "tap_loop")
                       : gate.decide_trainee(t.trainee_no, at, "tap_loop");
        }
        const std::int64_t end = monotonic_ns();
        const bool fault = r.decision.has_reason(Code::KioskFault);
        if (first_ns == 0) first_ns = start;
        last_ns = end;
        latencies.push_back(end - start);
        faults += fault ? 1 : 0;
        grants += r.decision.granted ? 1 : 0;
        if (lines || fault) {
            line = fmt::format("{} {} {}", start, end - start,
                               fault ? "fault" : (r.decision.granted ? "grant" : "deny"));
            if (fault) line += " " + r.fault;
            std::fputs((line + "\n").c_str(), stdout);
        }
    }
    fmt::print(
        "summary decisions={} faults={} grants={} p50_us={:.1f} p99_us={:.1f} max_us={:.1f} "
        "first_ns={} last_ns={}\n",
        latencies.size(), faults, grants, percentile_us(latencies, 0.50),
        percentile_us(latencies, 0.99), percentile_us(latencies, 1.0), first_ns, last_ns);
    std::fflush(stdout);
    return faults == 0 ? 0 : 1;
}
