// Tests of the synthetic test database generator (db/testdb.h, product.md section 7): determinism,
// scaling, referential integrity, plausibility, the sample queries, the no-overwrite contract and
// read-only use.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "db/sqlite.h"
#include "db/testdb.h"
#include "db_test_dir.h"

namespace kiosk::db {
namespace {

using testing::read_bytes;
using testing::TempDir;

constexpr const char* kTables[] = {"meta",   "drugs",     "lab_tests",     "patients",
                                   "visits", "diagnoses", "prescriptions", "lab_results"};

std::int64_t scalar(Database& db, const std::string& sql) {
    auto st = db.prepare(sql);
    EXPECT_TRUE(st.step()) << sql;
    return st.column_int(0);
}

std::string meta(Database& db, const std::string& key) {
    auto st = db.prepare("SELECT value FROM meta WHERE key = ?1");
    st.bind(1, key);
    return st.step() ? st.column_text(0) : std::string();
}

// Every row of every table as text, in primary-key order: equal dumps = equal contents.
std::string dump(const std::string& path) {
    Database db(path, Database::Mode::ReadOnly);
    std::string out;
    for (const char* table : kTables) {
        out += std::string("## ") + table + "\n";
        const std::string sql = std::string("SELECT * FROM ") + table + " ORDER BY 1";
        sqlite3_stmt* raw = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &raw, nullptr), SQLITE_OK);
        std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> guard(raw, sqlite3_finalize);
        const int columns = sqlite3_column_count(raw);
        while (sqlite3_step(raw) == SQLITE_ROW) {
            for (int c = 0; c < columns; ++c) {
                const unsigned char* text = sqlite3_column_text(raw, c);
                out += text ? reinterpret_cast<const char*>(text) : "NULL";
                out += '|';
            }
            out += '\n';
        }
    }
    return out;
}

std::string generate(const TempDir& dir, const std::string& name, int patients,
                     std::uint64_t seed) {
    std::string path = dir / name;
    std::string err;
    EXPECT_TRUE(generate_test_database(path, patients, seed, &err)) << err;
    return path;
}

// One default-sized database shared by the read-only tests below.
class TestDbDefault : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        path_ = *dir_ / "testdb.sqlite";
        std::string err;
        auto t0 = std::chrono::steady_clock::now();
        ok_ = generate_test_database(path_, kTestDbDefaultPatients, kTestDbDefaultSeed, &err);
        seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        err_ = err;
    }
    static void TearDownTestSuite() {
        delete dir_;
        dir_ = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(ok_) << err_; }

    static TempDir* dir_;
    static std::string path_, err_;
    static bool ok_;
    static double seconds_;
};
TempDir* TestDbDefault::dir_ = nullptr;
std::string TestDbDefault::path_;
std::string TestDbDefault::err_;
bool TestDbDefault::ok_ = false;
double TestDbDefault::seconds_ = 0;

TEST_F(TestDbDefault, DefaultSizeIsAFewMegabytesAndQuick) {
    const auto bytes = std::filesystem::file_size(path_);
    RecordProperty("bytes", std::to_string(bytes));
    RecordProperty("seconds", std::to_string(seconds_));
    std::printf("default test database: %.1f MB in %.2f s\n", bytes / 1e6, seconds_);
    EXPECT_GT(bytes, 1'000'000u);
    EXPECT_LT(bytes, 12'000'000u);
}

TEST_F(TestDbDefault, MetaSaysItIsSyntheticAndRecordsHowItWasMade) {
    Database db(path_, Database::Mode::ReadOnly);
    EXPECT_NE(meta(db, "notice").find("describes no real person"), std::string::npos);
    EXPECT_EQ(meta(db, "generator_version"), std::to_string(kTestDbGeneratorVersion));
    EXPECT_EQ(meta(db, "seed"), std::to_string(kTestDbDefaultSeed));
    EXPECT_EQ(meta(db, "patients"), std::to_string(kTestDbDefaultPatients));
    for (const char* table : {"visits", "diagnoses", "prescriptions", "lab_results"})
        EXPECT_EQ(meta(db, table),
                  std::to_string(scalar(db, std::string("SELECT COUNT(*) FROM ") + table)))
            << table;
}

TEST_F(TestDbDefault, NoOrphansAndForeignKeysHold) {
    Database db(path_, Database::Mode::ReadOnly);
    EXPECT_EQ(scalar(db,
                     "SELECT COUNT(*) FROM visits v LEFT JOIN patients p USING (patient_id) "
                     "WHERE p.patient_id IS NULL"),
              0);
    for (const char* child : {"diagnoses", "prescriptions", "lab_results"})
        EXPECT_EQ(scalar(db, std::string("SELECT COUNT(*) FROM ") + child +
                                 " c LEFT JOIN visits v ON v.visit_id = c.visit_id "
                                 "WHERE v.visit_id IS NULL"),
                  0)
            << child;
    auto fk = db.prepare("PRAGMA foreign_key_check");
    EXPECT_FALSE(fk.step()) << "foreign key violation in " << fk.column_text(0);
    // Every patient came at least once; every visit has exactly one main diagnosis.
    EXPECT_EQ(scalar(db,
                     "SELECT COUNT(*) FROM patients p WHERE NOT EXISTS "
                     "(SELECT 1 FROM visits v WHERE v.patient_id = p.patient_id)"),
              0);
    // Every visit has exactly one main diagnosis.
    EXPECT_EQ(scalar(db,
                     "SELECT COUNT(*) FROM visits v WHERE (SELECT COUNT(*) FROM diagnoses d "
                     "WHERE d.visit_id = v.visit_id AND d.is_main = 1) <> 1"),
              0);
    // Declared foreign keys and indexes on the join columns.
    auto parents = [&](const std::string& table) {
        auto st = db.prepare(
            "SELECT group_concat(\"table\" || '.' || \"to\", ',') FROM (SELECT * "
            "FROM pragma_foreign_key_list(?1) ORDER BY \"table\")");
        st.bind(1, table);
        return st.step() ? st.column_text(0) : std::string();
    };
    EXPECT_EQ(parents("visits"), "patients.patient_id");
    EXPECT_EQ(parents("diagnoses"), "visits.visit_id");
    EXPECT_EQ(parents("prescriptions"), "drugs.drug_code,visits.visit_id");
    EXPECT_EQ(parents("lab_results"), "lab_tests.test_code,visits.visit_id");
    for (const char* index :
         {"visits_patient", "diagnoses_visit", "prescriptions_visit", "lab_results_visit"})
        EXPECT_EQ(scalar(db, std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' "
                                         "AND name = '") +
                                 index + "'"),
                  1)
            << index;
}

TEST_F(TestDbDefault, ValuesArePlausible) {
    Database db(path_, Database::Mode::ReadOnly);
    // Dates within the period; stays end after they start.
    EXPECT_EQ(scalar(db,
                     "SELECT COUNT(*) FROM visits WHERE visit_date NOT BETWEEN '2023-04-01' "
                     "AND '2024-03-31' OR date(visit_date) IS NOT visit_date"),
              0);
    EXPECT_EQ(scalar(db,
                     "SELECT COUNT(*) FROM visits WHERE setting = 'inpatient' AND "
                     "discharge_date > '2024-03-31'"),
              0);
    EXPECT_GT(scalar(db, "SELECT COUNT(*) FROM visits WHERE setting = 'inpatient'"), 0);
    // Both sexes, many prefectures, ids in the documented shape.
    EXPECT_GT(scalar(db, "SELECT COUNT(DISTINCT prefecture) FROM patients"), 30);
    EXPECT_EQ(scalar(db, "SELECT COUNT(DISTINCT sex) FROM patients"), 2);
    EXPECT_EQ(scalar(db, "SELECT MIN(patient_id) = 'P0000001' FROM patients"), 1);
    // About 30 ICD-10 codes, 40 drugs, 15 tests in use; codes have their shapes.
    EXPECT_GE(scalar(db, "SELECT COUNT(DISTINCT icd10) FROM diagnoses"), 28);
    EXPECT_GE(scalar(db, "SELECT COUNT(DISTINCT drug_code) FROM prescriptions"), 38);
    EXPECT_GE(scalar(db, "SELECT COUNT(DISTINCT test_code) FROM lab_results"), 15);
    EXPECT_EQ(scalar(db,
                     "SELECT COUNT(DISTINCT drug_code) = COUNT(DISTINCT generic_name) "
                     "FROM prescriptions"),
              1);
    // The abnormal flag agrees with the stored reference range.
    EXPECT_EQ(scalar(db,
                     "SELECT COUNT(*) FROM lab_results WHERE abnormal <> CASE "
                     "WHEN ref_high IS NOT NULL AND value > ref_high THEN 'H' "
                     "WHEN ref_low IS NOT NULL AND value < ref_low THEN 'L' ELSE '' END"),
              0);
    // Drugs match diagnoses: metformin is prescribed only at visits that list type 2 diabetes.
    EXPECT_GT(scalar(db, "SELECT COUNT(*) FROM prescriptions WHERE generic_name = 'metformin'"), 0);
    EXPECT_EQ(scalar(db,
                     "SELECT COUNT(*) FROM prescriptions p WHERE generic_name = 'metformin' "
                     "AND NOT EXISTS (SELECT 1 FROM diagnoses d WHERE d.visit_id = p.visit_id "
                     "AND d.icd10 = 'E11.9')"),
              0);
    // Diabetic patients' HbA1c runs higher than the others'.
    EXPECT_EQ(scalar(db, R"sql(
        SELECT (SELECT AVG(value) FROM lab_results l JOIN visits v USING (visit_id)
                WHERE test_name = 'HbA1c' AND patient_id IN
                  (SELECT patient_id FROM visits JOIN diagnoses USING (visit_id)
                   WHERE icd10 = 'E11.9'))
             > (SELECT AVG(value) FROM lab_results l JOIN visits v USING (visit_id)
                WHERE test_name = 'HbA1c' AND patient_id NOT IN
                  (SELECT patient_id FROM visits JOIN diagnoses USING (visit_id)
                   WHERE icd10 = 'E11.9')) + 1.0)sql"),
              1);
}

TEST_F(TestDbDefault, EverySampleQueryRunsReadOnlyAndReturnsRows) {
    const auto queries = sample_queries();
    EXPECT_GE(queries.size(), 8u);
    EXPECT_LE(queries.size(), 12u);
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
    std::map<std::string, int> ids;
    for (const SampleQuery& q : queries) {
        SCOPED_TRACE(q.id);
        EXPECT_EQ(++ids[q.id], 1) << "duplicate id";
        EXPECT_FALSE(q.title_ja.empty());
        EXPECT_FALSE(q.title_en.empty());
        sqlite3_stmt* st = nullptr;
        const char* tail = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db.get(), q.sql.c_str(), -1, &st, &tail), SQLITE_OK)
            << sqlite3_errmsg(db.get());
        std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> guard(st, sqlite3_finalize);
        EXPECT_STREQ(tail, "") << "one statement only";
        EXPECT_TRUE(sqlite3_stmt_readonly(st));
        int rows = 0, rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) ++rows;
        EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db.get());
        EXPECT_GT(rows, 0);
    }
}

TEST_F(TestDbDefault, OpensWithReadOnlyFlagAndRefusesWrites) {
    // No WAL: a reader needs neither -wal nor -shm files nor a writable directory.
    EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
    EXPECT_FALSE(std::filesystem::exists(path_ + "-shm"));
    EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
    EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp-build"));
    std::ifstream in(path_, std::ios::binary);
    char header[100] = {};
    ASSERT_TRUE(in.read(header, sizeof header));
    EXPECT_EQ(std::string(header, 16), std::string("SQLite format 3\0", 16));
    EXPECT_EQ(std::string(header + 18, 2), std::string("\x01\x01", 2)) << "file format says WAL";
    struct stat sb {};
    ASSERT_EQ(::stat(path_.c_str(), &sb), 0);
    EXPECT_EQ(sb.st_mode & 0222, 0u) << "the file should be read-only";

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db.get(), "SELECT COUNT(*) FROM patients", -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), kTestDbDefaultPatients);
    sqlite3_finalize(st);
    EXPECT_EQ(sqlite3_exec(db.get(), "DELETE FROM patients", nullptr, nullptr, nullptr),
              SQLITE_READONLY);
}

TEST(TestDb, SameSeedSameContentsDifferentSeedDifferentContents) {
    TempDir dir;
    const std::string a = generate(dir, "a.sqlite", 300, 7);
    const std::string b = generate(dir, "b.sqlite", 300, 7);
    const std::string c = generate(dir, "c.sqlite", 300, 8);
    const std::string dump_a = dump(a);
    EXPECT_EQ(dump_a, dump(b));
    EXPECT_EQ(read_bytes(a), read_bytes(b)) << "same inputs should give the same file";
    const std::string dump_c = dump(c);
    EXPECT_NE(dump_a, dump_c);
    // Not just the seed in meta: the patients themselves differ.
    auto patients = [](const std::string& d) {
        return d.substr(d.find("## patients"), d.find("## visits") - d.find("## patients"));
    };
    EXPECT_NE(patients(dump_a), patients(dump_c));
}

TEST(TestDb, RowCountsScaleWithPatients) {
    TempDir dir;
    Database small(generate(dir, "small.sqlite", 250, 11), Database::Mode::ReadOnly);
    Database large(generate(dir, "large.sqlite", 1000, 11), Database::Mode::ReadOnly);
    EXPECT_EQ(scalar(small, "SELECT COUNT(*) FROM patients"), 250);
    EXPECT_EQ(scalar(large, "SELECT COUNT(*) FROM patients"), 1000);
    for (const char* table : {"visits", "diagnoses", "prescriptions", "lab_results"}) {
        const double s = scalar(small, std::string("SELECT COUNT(*) FROM ") + table);
        const double l = scalar(large, std::string("SELECT COUNT(*) FROM ") + table);
        EXPECT_GT(s, 250) << table;
        EXPECT_GT(l / s, 3.0) << table;
        EXPECT_LT(l / s, 5.0) << table;
    }
}

TEST(TestDb, RefusesToOverwriteAnExistingFileAndLeavesItUnchanged) {
    TempDir dir;
    const std::string path = dir / "precious.sqlite";
    {
        std::ofstream out(path, std::ios::binary);
        out << "not yours to replace\n";
    }
    std::string err;
    EXPECT_FALSE(generate_test_database(path, 50, 1, &err));
    EXPECT_NE(err.find("refusing to overwrite"), std::string::npos) << err;
    EXPECT_NE(err.find(path), std::string::npos) << err;
    EXPECT_EQ(read_bytes(path), "not yours to replace\n");
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

    // An existing earlier database is refused too.
    const std::string db = generate(dir, "db.sqlite", 50, 1);
    const std::string before = read_bytes(db);
    EXPECT_FALSE(generate_test_database(db, 60, 2, &err));
    EXPECT_EQ(read_bytes(db), before);
}

TEST(TestDb, ReplacesAStaleTemporaryFileFromACrashedRun) {
    TempDir dir;
    const std::string path = dir / "db.sqlite";
    {
        std::ofstream out(path + ".tmp", std::ios::binary);
        out << "half a database";
        std::ofstream scratch(path + ".tmp-build", std::ios::binary);
        scratch << "a third of a database";
    }
    std::string err;
    ASSERT_TRUE(generate_test_database(path, 40, 3, &err)) << err;
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp-build"));
    Database db(path, Database::Mode::ReadOnly);
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM patients"), 40);
}

TEST(TestDb, RejectsBadArgumentsWithoutCreatingAFile) {
    TempDir dir;
    const std::string path = dir / "db.sqlite";
    std::string err;
    for (int patients : {0, -5, kTestDbMaxPatients + 1}) {
        EXPECT_FALSE(generate_test_database(path, patients, 1, &err));
        EXPECT_NE(err.find("patient count"), std::string::npos) << err;
    }
    EXPECT_FALSE(generate_test_database("", 10, 1, &err));
    EXPECT_FALSE(generate_test_database(dir / "no-such-dir/db.sqlite", 10, 1, &err));
    EXPECT_NE(err.find("no-such-dir"), std::string::npos) << err;
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace kiosk::db
