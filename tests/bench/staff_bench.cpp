// Staff mode speed (issue 11, "Speed"): PIN verification at the configured Argon2id cost (target
// ≤ 250 ms), a whole staff sign-in over the real stores (the PIN check, the attempt's
// compare-and-set and its durable audit row), and from the PIN entered to the override session
// started (sign-in + override: decision, session row, audit rows; target ≤ 1 s with the screen).
//   build/bin/staff_bench [--benchmark_min_time=2]
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "db/data_dir.h"
#include "db/feed_import.h"
#include "db/minisign.h"
#include "db/staff_records.h"
#include "kiosk/config.h"
#include "kiosk/staff_desk.h"

namespace {

using namespace kiosk;
namespace fs = std::filesystem;

Instant T(const char* s) { return *parse_instant(s); }
CardUid card(const char* hex) {
    std::string err;
    return *parse_card_uid(hex, &err);
}

// A data directory with a small signed feed, one refused trainee card and one staff member.
struct Site {
    fs::path dir;
    std::unique_ptr<db::DataDir> data;
    std::unique_ptr<db::StaffRecordsStore> records;
    std::unique_ptr<Gatekeeper> gate;
    std::unique_ptr<StaffDesk> desk;
    Instant now = T("2026-11-24T10:00:00+09:00");

    Site() {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
        dir = fs::temp_directory_path() / fmt::format("staff-bench-{}", ::getpid());
        fs::remove_all(dir);
        fs::create_directories(dir);
        std::string err, report;
        std::string data_dir = (dir / "data").string();
        if (!db::DataDir::init(data_dir, &report, &err)) throw std::runtime_error(err);
        data = db::DataDir::open(data_dir, &err);
        std::ofstream(dir / "feed.csv")
            << "trainee_no,name,course,certificate_no,completed_on,status,user_since\n"
               "L-1,Jiro,OVERVIEW,C-3,2024-05-01,issued,2023-04-01\n"
               "L-1,Jiro,SYSOP,C-4,2024-06-01,lost,2023-04-01\n";
        auto kp = db::minisign_keypair_from_seed({});
        db::write_minisign_key_files(kp, (dir / "k.pub").string(), (dir / "k.key").string(), &err);
        db::minisign_sign_file((dir / "feed.csv").string(), kp,
                               "sequence=1 generated_at=2026-11-24T02:00:00+09:00",
                               (dir / "feed.csv.minisig").string(), &err);
        db::SyncRequest req;
        req.csv_path = (dir / "feed.csv").string();
        req.public_key_path = (dir / "k.pub").string();
        req.now = T("2026-11-24T03:00:00+09:00");
        db::SyncReport rep;
        if (!db::sync_snapshot(req, data->mirror(), data->audit(), &rep, &err))
            throw std::runtime_error(err);
        data->local().enroll(card_hash(data->secret(), card("04000000000002")), "L-1", now, &err);
        data->local().add_staff("S-1", "Sato", card_hash(data->secret(), card("05000000000001")),
                                "123456", &err);
        records = std::make_unique<db::StaffRecordsStore>(data->local(), data->audit());
        gate = std::make_unique<Gatekeeper>(data->mirror(), data->local(), data->audit(),
                                            data->secret(), Policy{});
        desk = std::make_unique<StaffDesk>(*gate, data->mirror(), data->local(), data->audit(),
                                           *records, data->secret(), StaffConfig{}, 120, Policy{});
    }
    ~Site() { fs::remove_all(dir); }
};

void BM_PinVerification(benchmark::State& state) {
    if (sodium_init() < 0) state.SkipWithError("libsodium failed to initialise");
    SiteSecret pepper;
    pepper.fill(3);
    StaffConfig c;  // the shipped cost
    PinHashCost cost{static_cast<unsigned long long>(c.pin_hash_passes),
                     static_cast<std::size_t>(c.pin_hash_memory_mib) << 20};
    std::string hash, err;
    hash_pin(pepper, "123456", cost, &hash, &err);
    for (auto _ : state) benchmark::DoNotOptimize(check_pin(pepper, "123456", hash, cost));
}
BENCHMARK(BM_PinVerification)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_StaffSignIn(benchmark::State& state) {
    Site site;
    for (auto _ : state) {
        auto r = site.desk->sign_in(card("05000000000001"), "123456", site.now, "bench");
        if (!r.staff) state.SkipWithError(r.outcome.message.c_str());
    }
}
BENCHMARK(BM_StaffSignIn)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PinEnteredToOverrideSession(benchmark::State& state) {
    Site site;
    std::int64_t id = 0;
    for (auto _ : state) {
        auto r = site.desk->sign_in(card("05000000000001"), "123456", site.now, "bench");
        OverrideRequest req{card("04000000000002"), "", "", "bench", 30};
        auto o = site.desk->override_refusal(*r.staff, req, site.now);
        if (!o.outcome.ok()) {
            state.SkipWithError(o.outcome.message.c_str());
            break;
        }
        id = o.tap.session->id;
        state.PauseTiming();
        site.desk->end_session(*r.staff, id, site.now);
        state.ResumeTiming();
    }
}
BENCHMARK(BM_PinEnteredToOverrideSession)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
