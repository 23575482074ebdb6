// The nightly sync at full size: a signed 1,000,000-certificate snapshot (333,334 trainees)
// verified and imported into an empty mirror, then the next night's snapshot (a few hundred rows
// changed) diffed and applied over it. Prints figures; asserts nothing about time.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "db/audit_store.h"
#include "db/feed_import.h"
#include "db/minisign.h"

namespace {

namespace fs = std::filesystem;
using namespace kiosk;
using namespace kiosk::db;

constexpr int kCertificates = 1'000'000;

void write_feed(const std::string& path, int certificates, int variant) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "trainee_no,name,affiliation,course,provider,certificate_no,completed_on,status,"
           "request_accepted_on,user_since\n";
    static const char* courses[] = {"OVERVIEW", "SYSOP", "ADVANCED"};
    for (int i = 0; i < certificates; ++i) {
        int t = i / 3;
        // The second night: every 5000th trainee's row changes status, a few are renamed.
        const char* status = (variant == 1 && t % 5000 == 0) ? "lost" : "issued";
        const char* suffix = (variant == 1 && t % 7000 == 1) ? " (renamed)" : "";
        out << "T-" << t << ",研修 太郎 " << t << suffix << ",大学 " << (t % 97) << ","
            << courses[i % 3] << ",PMDA,C-" << i << ",2024-0" << (1 + i % 9) << "-1" << (i % 9)
            << "," << status << ",2023-12-01,\n";
    }
}

void BM_SyncMillionCertificates(benchmark::State& state) {
    char tmpl[] = "/tmp/kiosk-sync-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) {
        state.SkipWithError("mkdtemp failed");
        return;
    }
    const fs::path dir = tmpl;
    std::array<unsigned char, 32> seed{};
    auto kp = minisign_keypair_from_seed(seed);
    std::string err;
    write_minisign_key_files(kp, dir / "office.pub", dir / "office.key", &err);
    const std::string csv = dir / "completions.csv";
    auto sign = [&](int seq) {
        minisign_sign_file(csv, kp,
                           "sequence=" + std::to_string(seq) + " generated_at=2026-11-2" +
                               std::to_string(seq) + "T02:00:00+09:00",
                           csv + ".minisig", &err);
    };
    SyncRequest req;
    req.csv_path = csv;
    req.public_key_path = dir / "office.pub";
    req.now = *parse_instant("2026-11-30T00:00:00+09:00");
    for (auto _ : state) {
        state.PauseTiming();
        fs::remove(dir / "mirror.db");
        fs::remove(dir / "mirror.db-wal");
        write_feed(csv, kCertificates, 0);
        sign(1);
        MirrorStore mirror((dir / "mirror.db").string(), true);
        AuditStore audit((dir / "audit.db").string(), true);
        SyncReport report;
        state.ResumeTiming();
        auto t0 = std::chrono::steady_clock::now();
        if (!sync_snapshot(req, mirror, audit, &report, &err)) state.SkipWithError(err.c_str());
        auto t1 = std::chrono::steady_clock::now();
        state.PauseTiming();
        write_feed(csv, kCertificates, 1);
        sign(2);
        state.ResumeTiming();
        auto t2 = std::chrono::steady_clock::now();
        if (!sync_snapshot(req, mirror, audit, &report, &err)) state.SkipWithError(err.c_str());
        auto t3 = std::chrono::steady_clock::now();
        state.counters["first_import_s"] = std::chrono::duration<double>(t1 - t0).count();
        state.counters["next_night_s"] = std::chrono::duration<double>(t3 - t2).count();
        state.counters["changed_certs"] = static_cast<double>(report.diff.certificates_changed);
        state.counters["changed_trainees"] = static_cast<double>(report.diff.trainees_changed);
    }
    fs::remove_all(dir);
}
BENCHMARK(BM_SyncMillionCertificates)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
