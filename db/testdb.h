// The bundled synthetic test database that trainees query in the built-in workspace (product.md
// section 7): fictional patients, visits, ICD-10 diagnoses, prescriptions and laboratory results
// laid out loosely like MID-NET / SS-MIX2 standardised storage. It describes no real person.
// Called by `kioskctl testdb generate` and by tests; the workspace reads sample_queries().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiosk::db {

inline constexpr int kTestDbGeneratorVersion = 1;
inline constexpr int kTestDbDefaultPatients = 2000;
inline constexpr int kTestDbMaxPatients = 1'000'000;  // patient ids are 'P' + 7 digits
inline constexpr std::uint64_t kTestDbDefaultSeed = 20240401;

// Writes a NEW SQLite file at `path` holding `patients` fictional patients (1..kTestDbMaxPatients)
// and their records over the fiscal year 2023 (2023-04-01..2024-03-31).
// Contract: refuses, leaving it untouched, a `path` that already exists. Builds the database in
// a scratch file `path + ".tmp-build"`, checks it (integrity_check, foreign_key_check), writes a
// compact copy to `path + ".tmp"` (VACUUM INTO, rollback-journal format) and fsyncs it, then
// publishes that atomically without replacing anything (link + unlink), so `path` is either
// absent or complete. Stale scratch/tmp files of a crashed run are removed first.
// The result is made read-only (mode 0444) and opens with SQLITE_OPEN_READONLY.
// Deterministic: the same (patients, seed) gives the same table contents, and here the same bytes,
// with any standard library: raw std::mt19937_64 outputs mapped by our own integer and IEEE
// +,-,*,/ arithmetic (no std distributions, no libm). On a target with FMA instructions the
// compiler must not contract a*b+c (-ffp-contract=off) for that to hold across compilers.
// Returns false with a message naming the problem in *err (if non-null).
bool generate_test_database(const std::string& path, int patients, std::uint64_t seed,
                            std::string* err);

// An example query the workspace offers. Every one runs on any generated database and returns rows.
struct SampleQuery {
    std::string id;        // stable identifier, e.g. "patients_by_diagnosis"
    std::string title_ja;  // shown in the Japanese UI
    std::string title_en;
    std::string sql;  // one read-only SELECT (or WITH ... SELECT), no trailing semicolon
};

std::vector<SampleQuery> sample_queries();

}  // namespace kiosk::db
