// Decision speed on a full-size mirror (issue: foundation, "Speed"): the decision function alone;
// lookup + decision (card binding, mirror, sessions — the Gatekeeper with its audit discarded);
// and lookup + decision + durable audit commit (the real kiosk.db, WAL + synchronous=FULL).
// Each benchmark reports p50/p99 per call as counters. The mirror is built once, through the real
// signed-snapshot import, from the demo feed: KIOSK_BENCH_TRAINEES bulk trainees (default 250,000,
// ≈ 1,000,000 certificates).
//   build/bin/decision_bench [--benchmark_min_time=2]
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "db/data_dir.h"
#include "db/feed_import.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "kiosk/demo_data.h"
#include "kiosk/gatekeeper.h"

namespace {

using namespace kiosk;
namespace fs = std::filesystem;

// Audit sink for the "lookup + decision" figure only: it keeps nothing it is given; the rollback
// floor the decision reads still comes from the real trail (it is part of the lookup).
class DiscardingAudit final : public AuditTrail {
public:
    explicit DiscardingAudit(AuditTrail& trail) : trail_(trail) {}
    bool append(const AuditEvent&, AuditReceipt* out, std::string*) override {
        out->seq = ++seq_;
        return true;
    }
    bool highest_applied_snapshot(std::optional<AppliedSnapshot>* out, std::string* err) override {
        return trail_.highest_applied_snapshot(out, err);
    }
    // Nothing is written, so there is nothing to commit together.
    bool transact(const std::function<bool(std::string*)>& work, std::string* err) override {
        return work(err);
    }

private:
    AuditTrail& trail_;
    std::int64_t seq_ = 0;
};

struct World {
    fs::path dir;
    std::unique_ptr<db::DataDir> data;
    std::int64_t trainees = 0;
    std::vector<CardUid> cards;
    Instant now{};

    World() {
        if (sodium_init() < 0) throw std::runtime_error("sodium_init");
        const char* env = std::getenv("KIOSK_BENCH_TRAINEES");
        trainees = env ? std::atoll(env) : 250000;
        dir = fs::temp_directory_path() / fmt::format("kiosk-bench-{}", getpid());
        fs::create_directories(dir);
        std::string csv = (dir / "feed.csv").string(), err, report;
        std::int64_t rows;
        {
            std::ofstream f(csv);
            rows = write_demo_feed(f, trainees);
        }
        std::array<unsigned char, 32> seed{};
        auto kp = db::minisign_keypair_from_seed(seed);
        auto pub = (dir / "office.pub").string(), key = (dir / "office.key").string();
        now = *parse_instant("2026-11-24T10:00:00+09:00");
        check(db::write_minisign_key_files(kp, pub, key, &err), err);
        check(db::minisign_sign_file(csv, kp, "sequence=1 generated_at=2026-11-24T02:00:00+09:00",
                                     csv + ".minisig", &err),
              err);
        auto data_dir = (dir / "data").string();
        check(db::DataDir::init(data_dir, &report, &err), err);
        data = db::DataDir::open(data_dir, &err);
        check(data != nullptr, err);
        db::SyncRequest req;
        req.csv_path = csv;
        req.public_key_path = pub;
        req.now = now;
        db::SyncReport rep;
        auto t0 = std::chrono::steady_clock::now();
        check(db::sync_snapshot(req, data->mirror(), data->audit(), &rep, &err), err);
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        fmt::print(stderr, "mirror: {} trainees, {} certificates (import {:.2f} s)\n",
                   rep.diff.trainees_after, rep.diff.certificates_after, secs);
        (void)rows;
        // 1,000 enrolled cards spread over the trainees.
        std::mt19937_64 rng(7);
        for (int i = 0; i < 1000; ++i) {
            CardUid uid;
            for (int b = 0; b < 7; ++b) uid.bytes.push_back(static_cast<std::uint8_t>(rng()));
            std::string no = fmt::format("T-{:06}", 1 + rng() % trainees);
            if (data->local().enroll(card_hash(data->secret(), uid), no, now, &err))
                cards.push_back(uid);
        }
    }
    ~World() {
        data.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    static void check(bool ok, const std::string& err) {
        if (!ok) throw std::runtime_error(err);
    }
};

World& world() {
    static World w;
    return w;
}

// Per-call latency percentiles as counters (microseconds).
struct Latencies {
    std::vector<double> us;
    void report(benchmark::State& state) {
        if (us.empty()) return;
        std::sort(us.begin(), us.end());
        auto at = [&](double q) { return us[std::min(us.size() - 1, size_t(q * us.size()))]; };
        state.counters["p50_us"] = at(0.50);
        state.counters["p99_us"] = at(0.99);
        state.counters["max_us"] = us.back();
    }
};

template <class F>
void timed(benchmark::State& state, F&& f) {
    Latencies lat;
    lat.us.reserve(1 << 20);
    for (auto _ : state) {
        auto t0 = std::chrono::steady_clock::now();
        f();
        lat.us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    lat.report(state);
}

void BM_DecisionFunctionOnly(benchmark::State& state) {
    auto& w = world();
    std::optional<Trainee> t;
    std::string err;
    w.data->mirror().find_trainee("T-000005", &t, &err);
    std::vector<Revision> revs{revision_2024()};
    DecisionInput in;
    in.trainee_no = t->trainee_no;
    in.trainee = &*t;
    in.mirror_generated_at = *parse_instant("2026-11-24T02:00:00+09:00");
    in.revisions = revs;
    in.now = w.now;
    timed(state, [&] { benchmark::DoNotOptimize(decide(in)); });
}
BENCHMARK(BM_DecisionFunctionOnly);

void BM_LookupAndDecision(benchmark::State& state) {
    auto& w = world();
    DiscardingAudit audit(w.data->audit());
    Gatekeeper g(w.data->mirror(), w.data->local(), audit, w.data->secret(), Policy{});
    std::mt19937_64 rng(11);
    timed(state, [&] {
        benchmark::DoNotOptimize(g.decide_card(w.cards[rng() % w.cards.size()], w.now, "bench"));
    });
}
BENCHMARK(BM_LookupAndDecision);

void BM_LookupDecisionDurableAudit(benchmark::State& state) {
    auto& w = world();
    Gatekeeper g(w.data->mirror(), w.data->local(), w.data->audit(), w.data->secret(), Policy{});
    std::mt19937_64 rng(13);
    timed(state, [&] {
        auto r = g.decide_card(w.cards[rng() % w.cards.size()], w.now, "bench");
        if (r.decision.has_reason(Code::KioskFault)) state.SkipWithError(r.fault.c_str());
    });
}
BENCHMARK(BM_LookupDecisionDurableAudit);

}  // namespace

BENCHMARK_MAIN();
