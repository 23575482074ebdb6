// The workspace engine's speed on the default test database (issue 10): a query returning 10,000
// rows, the time until its first page (100 rows) can be shown and until it completes, and what the
// screen's thread pays per frame for poll() + page() while the query runs and while it pages
// through the finished result (the screen's frame budget is 33 ms). Prints figures; asserts
// nothing.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "db/sql_workspace.h"
#include "db/testdb.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kTenThousandRows =
    "SELECT v.patient_id, v.visit_date, v.department, l.test_name, l.value, l.unit, l.abnormal "
    "FROM lab_results l JOIN visits v ON v.visit_id = l.visit_id "
    "ORDER BY v.patient_id, l.sampled_date, l.lab_result_id LIMIT 10000";

struct Database {
    std::string dir, path;
    Database() {
        dir = (std::filesystem::temp_directory_path() / "kiosk-workspace-bench-XXXXXX").string();
        if (!::mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed");
        path = dir + "/testdb.sqlite";
        std::string err;
        if (!kiosk::db::generate_test_database(path, kiosk::db::kTestDbDefaultPatients,
                                               kiosk::db::kTestDbDefaultSeed, &err))
            throw std::runtime_error(err);
    }
    ~Database() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

Database& database() {
    static Database db;
    return db;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Submits the 10,000-row query and polls it as the screen does (poll + one page per "frame",
// frames 1 ms apart so that the first page is seen as soon as it exists).
void BM_TenThousandRows(benchmark::State& state) {
    std::string err;
    auto ws = kiosk::db::SqlWorkspace::open(database().path, {}, {}, &err);
    if (!ws) {
        state.SkipWithError(err.c_str());
        return;
    }
    std::vector<double> first_page, complete, frame_cost;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        if (!ws->submit(kTenThousandRows, &err)) {
            state.SkipWithError(err.c_str());
            break;
        }
        bool seen_first = false;
        for (;;) {
            const auto f0 = Clock::now();
            auto st = ws->poll();
            auto rows = ws->page(0, 100);
            frame_cost.push_back(ms(Clock::now() - f0));
            if (!seen_first && rows.size() == 100) {
                first_page.push_back(ms(Clock::now() - t0));
                seen_first = true;
            }
            if (!st.running()) {
                if (st.rows != 10000) state.SkipWithError(("rows: " + st.message).c_str());
                complete.push_back(ms(Clock::now() - t0));
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    auto p = [](std::vector<double> v, double q) {
        if (v.empty()) return 0.0;
        std::sort(v.begin(), v.end());
        return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
    };
    state.counters["first_page_ms_p50"] = p(first_page, 0.5);
    state.counters["first_page_ms_max"] = p(first_page, 1.0);
    state.counters["complete_ms_p50"] = p(complete, 0.5);
    state.counters["complete_ms_max"] = p(complete, 1.0);
    state.counters["ui_poll_page_ms_p50"] = p(frame_cost, 0.5);
    state.counters["ui_poll_page_ms_p99"] = p(frame_cost, 0.99);
    state.counters["ui_poll_page_ms_max"] = p(frame_cost, 1.0);
}
BENCHMARK(BM_TenThousandRows)->Iterations(20)->Unit(benchmark::kMillisecond)->UseRealTime();

// Paging through the finished 10,000-row result, 100 rows a frame: the screen's cost per page.
void BM_PageThroughResult(benchmark::State& state) {
    std::string err;
    auto ws = kiosk::db::SqlWorkspace::open(database().path, {}, {}, &err);
    if (!ws || ws->run(kTenThousandRows).rows != 10000) {
        state.SkipWithError("query failed");
        return;
    }
    std::int64_t first = 0;
    std::vector<double> cost;
    for (auto _ : state) {
        const auto f0 = Clock::now();
        auto rows = ws->page(first, 100);
        benchmark::DoNotOptimize(rows);
        cost.push_back(ms(Clock::now() - f0));
        first = (first + 100) % 10000;
    }
    std::sort(cost.begin(), cost.end());
    if (!cost.empty()) {
        state.counters["page_ms_p50"] = cost[cost.size() / 2];
        state.counters["page_ms_p99"] = cost[cost.size() * 99 / 100];
        state.counters["page_ms_max"] = cost.back();
    }
}
BENCHMARK(BM_PageThroughResult)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
