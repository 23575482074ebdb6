// How long the synthetic test database takes to generate and how big it gets: the default
// 2,000 patients (meant to be a few MB in well under 2 s) and 50,000 patients (must work).
// Prints figures; asserts nothing about timing.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "db/testdb.h"

namespace {

void BM_GenerateTestDatabase(benchmark::State& state) {
    const int patients = static_cast<int>(state.range(0));
    std::string dir =
        (std::filesystem::temp_directory_path() / "kiosk-testdb-bench-XXXXXX").string();
    if (!::mkdtemp(dir.data())) {
        state.SkipWithError("mkdtemp failed");
        return;
    }
    const std::string path = dir + "/testdb.sqlite";
    std::uintmax_t bytes = 0;
    for (auto _ : state) {
        std::string err;
        if (!kiosk::db::generate_test_database(path, patients, kiosk::db::kTestDbDefaultSeed,
                                               &err)) {
            state.SkipWithError(err.c_str());
            break;
        }
        state.PauseTiming();
        bytes = std::filesystem::file_size(path);
        std::filesystem::remove(path);
        state.ResumeTiming();
    }
    state.counters["MB"] = static_cast<double>(bytes) / 1e6;
    state.counters["patients/s"] = benchmark::Counter(
        static_cast<double>(patients), benchmark::Counter::kIsIterationInvariantRate);
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_GenerateTestDatabase)->Arg(2000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GenerateTestDatabase)
    ->Arg(50000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
