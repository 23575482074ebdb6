// Tests of the workspace's guarded query engine (db/sql_workspace.h, issue 10): reading works and
// every sample query returns rows; every way to write, escape or exhaust memory or time is refused
// or stopped with a message, leaves the test database byte for byte unchanged, creates no file,
// and is audited; each guard layer holds alone; the row cap, the byte cap, cancel and paging.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/audit_store.h"
#include "db/sql_workspace.h"
#include "db/testdb.h"
#include "db_test_dir.h"

namespace kiosk::db {
namespace {

using testing::read_bytes;
using testing::TempDir;
using namespace std::chrono_literals;

std::set<std::string> files_in(const std::string& dir) {
    std::set<std::string> out;
    for (auto& e : std::filesystem::directory_iterator(dir)) out.insert(e.path().filename());
    return out;
}

// One generated database for the whole suite (generation takes a second or two).
class SqlWorkspaceTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        db_path_ = *dir_ / "testdb.sqlite";
        std::string err;
        ok_ = generate_test_database(db_path_, kTestDbDefaultPatients, kTestDbDefaultSeed, &err);
        err_ = err;
        if (ok_) bytes_ = new std::string(read_bytes(db_path_));
    }
    static void TearDownTestSuite() {
        delete bytes_;
        delete dir_;
        bytes_ = nullptr;
        dir_ = nullptr;
    }
    void SetUp() override {
        ASSERT_TRUE(ok_) << err_;
        audit_ = std::make_unique<AuditStore>(local_ / "audit.db", true);
        files_before_ = files_in(dir_->path());
    }
    void TearDown() override {
        // Whatever the test ran, the test database is unchanged and no file appeared beside it.
        EXPECT_EQ(read_bytes(db_path_) == *bytes_, true) << "the test database changed";
        EXPECT_EQ(files_in(dir_->path()), files_before_) << "a file appeared beside the database";
    }

    std::unique_ptr<SqlWorkspace> open(QueryLimits limits = {}, const std::string& path = "",
                                       WorkspaceGuards guards = {}) {
        std::string err;
        auto ws = SqlWorkspace::open(path.empty() ? db_path_ : path, limits,
                                     {audit_.get(), "test", "T-1001"}, &err, guards);
        EXPECT_TRUE(ws) << err;
        return ws;
    }

    // The audit rows of kind workspace.query, oldest first.
    std::vector<AuditRow> query_audit() {
        std::vector<AuditRow> rows;
        std::string err;
        EXPECT_TRUE(audit_->latest(100000, &rows, &err)) << err;
        std::vector<AuditRow> out;
        for (auto it = rows.rbegin(); it != rows.rend(); ++it)
            if (it->event.kind == "workspace.query") out.push_back(*it);
        return out;
    }

    static TempDir* dir_;
    static std::string db_path_, err_;
    static std::string* bytes_;
    static bool ok_;
    TempDir local_;  // the audit database and scratch copies live here, not beside the test db
    std::unique_ptr<AuditStore> audit_;
    std::set<std::string> files_before_;
};
TempDir* SqlWorkspaceTest::dir_ = nullptr;
std::string SqlWorkspaceTest::db_path_;
std::string SqlWorkspaceTest::err_;
std::string* SqlWorkspaceTest::bytes_ = nullptr;
bool SqlWorkspaceTest::ok_ = false;

TEST_F(SqlWorkspaceTest, ReadsRowsWithColumnsCountAndDuration) {
    auto ws = open();
    auto st =
        ws->run("SELECT patient_id, sex, birth_year FROM patients ORDER BY patient_id LIMIT 5");
    ASSERT_EQ(st.outcome, QueryOutcome::Done) << st.message;
    EXPECT_EQ(st.columns, (std::vector<std::string>{"patient_id", "sex", "birth_year"}));
    EXPECT_EQ(st.rows, 5);
    EXPECT_GT(st.elapsed.count(), 0);
    EXPECT_GE(st.first_row.count(), 0);
    auto rows = ws->page(0, 10);
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0][0].text, "P0000001");
    EXPECT_EQ(rows[0][0].type, QueryCell::Type::Text);
    EXPECT_EQ(rows[0][2].type, QueryCell::Type::Integer);
    auto nulls = ws->run("SELECT NULL, 1.5, x'00ff'");
    ASSERT_EQ(nulls.outcome, QueryOutcome::Done) << nulls.message;
    auto r = ws->page(0, 1);
    EXPECT_EQ(r[0][0].type, QueryCell::Type::Null);
    EXPECT_EQ(r[0][1].text, "1.5");
    EXPECT_EQ(r[0][2].text, "X'00FF'");
    EXPECT_EQ(r[0][2].blob_bytes, 2);
}

TEST_F(SqlWorkspaceTest, SchemaBrowsingAndAnalystFeaturesWork) {
    auto ws = open();
    for (const char* sql : {
             "SELECT name, sql FROM sqlite_schema WHERE type = 'table'",
             "PRAGMA table_info(patients)",
             "SELECT * FROM pragma_table_info('lab_results')",
             "PRAGMA index_list('visits')",
             "PRAGMA user_version",
             "SELECT key, value FROM json_each('{\"a\":1,\"b\":2}')",
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
             "SELECT i FROM n",
             "SELECT patient_id, value, AVG(value) OVER (PARTITION BY test_name) FROM lab_results "
             "JOIN visits USING (visit_id) WHERE test_name = 'HbA1c' LIMIT 10",
             "SELECT date('2024-01-31', '+30 days'), julianday('2024-03-01') - "
             "julianday('2024-01-31'), printf('%.1f', 2.25), round(sqrt(2), 3)",
             "EXPLAIN QUERY PLAN SELECT * FROM visits WHERE patient_id = 'P0000001'",
             "  SELECT 1 ;  -- a trailing semicolon and comment are fine\n /* and this */ ;",
         }) {
        auto st = ws->run(sql);
        EXPECT_EQ(st.outcome, QueryOutcome::Done) << sql << ": " << st.message;
        EXPECT_GT(st.rows, 0) << sql;
    }
}

TEST_F(SqlWorkspaceTest, EverySampleQueryRunsThroughTheEngineAndReturnsRows) {
    auto ws = open();
    const auto samples = sample_queries();
    ASSERT_GE(samples.size(), 10u);
    for (auto& q : samples) {
        auto st = ws->run(q.sql);
        EXPECT_EQ(st.outcome, QueryOutcome::Done) << q.id << ": " << st.message;
        EXPECT_GT(st.rows, 0) << q.id;
        std::printf("sample %-28s %6lld rows %8.1f ms\n", q.id.c_str(),
                    static_cast<long long>(st.rows), st.elapsed.count() / 1000.0);
    }
}

// Every way to write or to escape the read-only database, with the full guards: refused before it
// runs (or failed by SQLite), with a message; TearDown checks the file and its directory.
struct Attack {
    const char* what;
    std::string sql;
    const char* message;  // part of the expected message
};

std::vector<Attack> write_attacks(const std::string& dir) {
    return {
        {"insert", "INSERT INTO patients VALUES ('P9999999', 'M', 1980, 'Tokyo')", "INSERT"},
        {"update", "UPDATE patients SET sex = 'F'", "UPDATE"},
        {"delete", "DELETE FROM lab_results", "DELETE"},
        {"replace", "REPLACE INTO meta VALUES ('notice', 'x')", "INSERT"},
        {"insert returning", "INSERT INTO meta VALUES ('a', 'b') RETURNING *", "INSERT"},
        {"upsert", "INSERT INTO meta VALUES ('notice', 'x') ON CONFLICT DO UPDATE SET value = 'y'",
         "INSERT"},
        {"CTE-wrapped delete", "WITH x AS (SELECT 1) DELETE FROM patients", "DELETE"},
        {"CTE-wrapped insert", "WITH x(k, v) AS (SELECT 'a', 'b') INSERT INTO meta SELECT * FROM x",
         "INSERT"},
        {"CTE-wrapped update", "WITH x AS (SELECT 1) UPDATE visits SET department = 'x'", "UPDATE"},
        {"drop table", "DROP TABLE visits", "DROP"},
        {"create table", "CREATE TABLE t (a)", "CREATE"},
        {"create index", "CREATE INDEX i ON patients (sex)", "CREATE"},
        {"create view", "CREATE VIEW v AS SELECT 1", "CREATE"},
        {"create trigger", "CREATE TRIGGER tr AFTER INSERT ON meta BEGIN DELETE FROM patients; END",
         "CREATE"},
        {"alter table", "ALTER TABLE patients ADD COLUMN x", "ALTER"},
        {"rename", "ALTER TABLE patients RENAME TO p2", "ALTER"},
        {"pragma user_version", "PRAGMA user_version = 7", "PRAGMA user_version"},
        {"pragma writable_schema", "PRAGMA writable_schema = ON", "PRAGMA writable_schema"},
        {"pragma journal_mode", "PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"},
        {"pragma query_only off", "PRAGMA query_only = 0", "PRAGMA query_only"},
        {"pragma cache_size", "PRAGMA cache_size = 1", "PRAGMA cache_size"},
        {"pragma temp_store", "PRAGMA temp_store = FILE", "PRAGMA temp_store"},
        {"pragma trusted_schema", "PRAGMA trusted_schema = ON", "PRAGMA trusted_schema"},
        {"pragma locking_mode", "PRAGMA locking_mode = EXCLUSIVE", "PRAGMA locking_mode"},
        {"pragma integrity_check", "PRAGMA integrity_check", "PRAGMA integrity_check"},
        {"pragma function", "SELECT * FROM pragma_journal_mode", "not authorized"},
        {"begin", "BEGIN", "BEGIN"},
        {"begin immediate", "BEGIN IMMEDIATE", "BEGIN"},
        {"commit", "COMMIT", "COMMIT"},
        {"savepoint", "SAVEPOINT s", "SAVEPOINT"},
        {"analyze", "ANALYZE", "changing the schema"},
        {"vacuum", "VACUUM", "only reads"},
        {"reindex", "REINDEX", "only reads"},
        {"attach", "ATTACH DATABASE '" + dir + "/evil.db' AS evil", "ATTACH"},
        {"attach memory", "ATTACH ':memory:' AS m", "ATTACH"},
        {"attach uri", "ATTACH 'file:" + dir + "/evil2.db?mode=rwc' AS e", "ATTACH"},
        {"detach", "DETACH main", "DETACH"},
        {"vacuum into", "VACUUM INTO '" + dir + "/copy.db'", "only reads"},
        {"create temp table", "CREATE TEMP TABLE t AS SELECT * FROM patients", "CREATE TEMP"},
        {"create temp view", "CREATE TEMP VIEW v AS SELECT 1", "CREATE TEMP"},
        {"create temp trigger",
         "CREATE TEMP TRIGGER tt AFTER UPDATE ON patients BEGIN SELECT 1; END", "CREATE TEMP"},
        {"create virtual table", "CREATE VIRTUAL TABLE temp.f USING fts5(a)", "CREATE"},
        {"load_extension", "SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')",
         "load_extension"},
        {"fts3_tokenizer", "SELECT fts3_tokenizer('simple')", "fts3_tokenizer"},
        {"sqlite_log", "SELECT sqlite_log(1, 'x')", "sqlite_log"},
        {"two statements", "SELECT 1; DELETE FROM patients", "exactly one statement"},
        {"two selects", "SELECT 1; SELECT 2", "exactly one statement"},
        {"statement after comment", "SELECT 1; -- x\nDROP TABLE visits", "exactly one statement"},
        {"empty", "", "no SQL statement"},
        {"only a comment", "-- nothing here", "no SQL statement"},
        {"NUL byte", std::string("SELECT 1\0; DELETE FROM patients", 31), "NUL"},
        {"over-long SQL", "SELECT '" + std::string(200'000, 'a') + "'", "longer than"},
    };
}

TEST_F(SqlWorkspaceTest, EveryWayToWriteOrEscapeIsRefusedWithAMessageAndAudited) {
    auto ws = open();
    const auto attacks = write_attacks(local_.path());
    for (auto& a : attacks) {
        auto st = ws->run(a.sql);
        EXPECT_TRUE(st.outcome == QueryOutcome::Refused || st.outcome == QueryOutcome::Failed)
            << a.what << ": " << query_outcome_name(st.outcome);
        EXPECT_NE(st.message.find(a.message), std::string::npos)
            << a.what << ": message '" << st.message << "' lacks '" << a.message << "'";
        EXPECT_EQ(st.rows, 0) << a.what;
    }
    ws.reset();
    // Nothing was created where the attacks pointed (the local dir holds only the audit files).
    for (auto& f : files_in(local_.path()))
        EXPECT_EQ(f.rfind("audit.db", 0), 0u) << "unexpected file " << f;
    // One audit row per query, in order, with its text, outcome and reason.
    auto rows = query_audit();
    ASSERT_EQ(rows.size(), attacks.size());
    for (size_t i = 0; i < attacks.size(); ++i) {
        auto d = nlohmann::json::parse(rows[i].event.detail);
        if (attacks[i].sql.size() <= static_cast<size_t>(kWorkspaceMaxSqlBytes)) {
            EXPECT_EQ(d["sql"], attacks[i].sql) << attacks[i].what;
        } else {
            EXPECT_EQ(d["sql"].get<std::string>().size(),
                      static_cast<size_t>(kWorkspaceMaxSqlBytes));
            EXPECT_EQ(d["sql_truncated"], true);
        }
        EXPECT_TRUE(rows[i].event.outcome == "refused" || rows[i].event.outcome == "failed")
            << attacks[i].what;
        EXPECT_FALSE(d["message"].get<std::string>().empty()) << attacks[i].what;
        EXPECT_EQ(d["rows"], 0);
        EXPECT_EQ(rows[i].event.trainee_no, "T-1001");
        EXPECT_EQ(rows[i].event.actor, "test");
    }
}

// Each guard layer alone, on a writable copy opened read-write where the layer allows it: the
// writes to the database it is meant to stop never change the file.
TEST_F(SqlWorkspaceTest, EachGuardLayerAloneStopsWritesToTheDatabase) {
    const std::string copy = local_ / "copy.sqlite";
    std::filesystem::copy_file(db_path_, copy);
    ::chmod(copy.c_str(), 0644);
    const std::string before = read_bytes(copy);
    const std::vector<std::string> writes = {
        "INSERT INTO meta VALUES ('a', 'b')",
        "UPDATE patients SET sex = 'F'",
        "DELETE FROM lab_results",
        "WITH x AS (SELECT 1) DELETE FROM patients",
        "DROP TABLE visits",
        "CREATE TABLE t (a)",
        "CREATE INDEX i ON patients (sex)",
        "ALTER TABLE patients ADD COLUMN x",
        "PRAGMA user_version = 7",
        "VACUUM",
        "REINDEX",
    };
    struct Layer {
        const char* name;
        WorkspaceGuards guards;
    };
    for (const Layer& layer :
         {Layer{"read-only open", WorkspaceGuards::only_read_only_open()},
          Layer{"authorizer", WorkspaceGuards::only_authorizer()},
          Layer{"sqlite3_stmt_readonly", WorkspaceGuards::only_statement_readonly()},
          Layer{"query_only", WorkspaceGuards::only_query_only()}}) {
        auto ws = open({}, copy, layer.guards);
        ASSERT_TRUE(ws);
        for (auto& sql : writes) {
            auto st = ws->run(sql);
            EXPECT_TRUE(st.outcome == QueryOutcome::Refused || st.outcome == QueryOutcome::Failed)
                << layer.name << " alone let through: " << sql;
            EXPECT_FALSE(st.message.empty()) << layer.name << ": " << sql;
        }
        ws.reset();
        EXPECT_TRUE(read_bytes(copy) == before) << layer.name << " alone: the file changed";
    }
    // With no layer at all the same copy IS written: the test above is not vacuous.
    WorkspaceGuards none{false, false, false, false, false, false};
    auto ws = open({}, copy, none);
    EXPECT_EQ(ws->run("INSERT INTO meta VALUES ('a', 'b')").outcome, QueryOutcome::Done);
    ws.reset();
    EXPECT_FALSE(read_bytes(copy) == before);
}

// Defensive mode (the hardening layer) alone, on a writable copy opened read-write with every
// other layer off: a query that turns on writable_schema still cannot rewrite the schema. With
// no layer at all the same statements do rewrite it, so the test is not vacuous.
TEST_F(SqlWorkspaceTest, DefensiveModeAloneKeepsTheSchemaFromBeingRewritten) {
    const std::string copy = local_ / "copy.sqlite";
    std::filesystem::copy_file(db_path_, copy);
    ::chmod(copy.c_str(), 0644);
    const std::string before = read_bytes(copy);
    const std::string rewrite =
        "UPDATE sqlite_schema SET sql = 'CREATE TABLE meta (x)' WHERE name = 'meta'";
    WorkspaceGuards hardening_only{false, false, false, false, false, true};
    {
        auto ws = open({}, copy, hardening_only);
        ASSERT_TRUE(ws);
        ws->run("PRAGMA writable_schema = ON");
        auto st = ws->run(rewrite);
        EXPECT_EQ(st.outcome, QueryOutcome::Failed) << st.message;
        EXPECT_NE(st.message.find("may not be modified"), std::string::npos) << st.message;
    }
    EXPECT_TRUE(read_bytes(copy) == before) << "defensive mode alone: the file changed";
    WorkspaceGuards none{false, false, false, false, false, false};
    {
        auto ws = open({}, copy, none);
        ASSERT_TRUE(ws);
        ws->run("PRAGMA writable_schema = ON");
        auto st = ws->run(rewrite);
        EXPECT_EQ(st.outcome, QueryOutcome::Done) << st.message;
    }
    EXPECT_FALSE(read_bytes(copy) == before) << "with no layer the schema is rewritten";
}

// Extension loading is off on every connection, whatever layers are on: with all of them off,
// load_extension() is still refused (SQLite's own "not authorized"), and nothing is loaded.
TEST_F(SqlWorkspaceTest, ExtensionLoadingIsOffEvenWithEveryOtherLayerOff) {
    const std::string copy = local_ / "copy.sqlite";
    std::filesystem::copy_file(db_path_, copy);
    ::chmod(copy.c_str(), 0644);
    WorkspaceGuards none{false, false, false, false, false, false};
    auto ws = open({}, copy, none);
    ASSERT_TRUE(ws);
    for (const char* lib : {"libc.so.6", "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0"}) {
        auto st = ws->run(std::string("SELECT load_extension('") + lib + "')");
        EXPECT_EQ(st.outcome, QueryOutcome::Failed) << lib;
        EXPECT_NE(st.message.find("not authorized"), std::string::npos) << st.message;
    }
}

TEST_F(SqlWorkspaceTest, EachEscapeIsStoppedByTwoLayersAlone) {
    const std::string copy = local_ / "copy.sqlite";
    std::filesystem::copy_file(db_path_, copy);
    const std::string target = local_ / "escape.db";
    struct Case {
        const char* what;
        std::string sql;
        std::vector<std::pair<const char*, WorkspaceGuards>> layers;
    };
    WorkspaceGuards hardening_only{false, false, false, false, false, true};
    const std::vector<Case> cases = {
        {"attach",
         "ATTACH '" + target + "' AS x",
         {{"authorizer", WorkspaceGuards::only_authorizer()}, {"limits", hardening_only}}},
        {"vacuum into",
         "VACUUM INTO '" + target + "'",
         {{"authorizer", WorkspaceGuards::only_authorizer()},
          {"sqlite3_stmt_readonly", WorkspaceGuards::only_statement_readonly()}}},
        {"temp table",
         "CREATE TEMP TABLE t (a)",
         {{"authorizer", WorkspaceGuards::only_authorizer()},
          {"sqlite3_stmt_readonly", WorkspaceGuards::only_statement_readonly()}}},
    };
    for (auto& c : cases) {
        for (auto& [name, guards] : c.layers) {
            auto ws = open({}, copy, guards);
            ASSERT_TRUE(ws);
            auto st = ws->run(c.sql);
            EXPECT_TRUE(st.outcome == QueryOutcome::Refused || st.outcome == QueryOutcome::Failed)
                << name << " alone let through " << c.what;
            EXPECT_FALSE(std::filesystem::exists(target)) << name << ": " << c.what;
        }
    }
    // A second statement is refused by the one-statement check; without it, it still never runs
    // (only the first statement is ever prepared), so the check is about saying so, not hiding it.
    auto one = open({}, copy, WorkspaceGuards::only_single_statement());
    EXPECT_EQ(one->run("SELECT 1; CREATE TEMP TABLE t (a)").outcome, QueryOutcome::Refused);
    WorkspaceGuards none{false, false, false, false, false, false};
    auto bare = open({}, copy, none);
    EXPECT_EQ(bare->run("SELECT 1; CREATE TEMP TABLE t (a)").outcome, QueryOutcome::Done);
    EXPECT_EQ(bare->run("SELECT * FROM temp.t").message, "no such table: temp.t");
}

TEST_F(SqlWorkspaceTest, RunawayTimeIsStoppedAtTheTimeLimit) {
    QueryLimits limits;
    limits.time_limit = 300ms;
    auto ws = open(limits);
    for (const char* sql : {
             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
             "SELECT count(*) FROM c",
             "SELECT count(*) FROM lab_results a, lab_results b, lab_results c",
             "SELECT max(a.value * b.value) FROM lab_results a JOIN lab_results b",
         }) {
        auto st = ws->run(sql);
        EXPECT_EQ(st.outcome, QueryOutcome::TimedOut) << sql << ": " << st.message;
        EXPECT_NE(st.message.find("time limit of 300 ms"), std::string::npos) << st.message;
    }
    auto rows = query_audit();
    ASSERT_EQ(rows.size(), 3u);
    for (auto& r : rows) EXPECT_EQ(r.event.outcome, "timed_out");
}

TEST_F(SqlWorkspaceTest, RunawayMemoryIsStoppedWithSqlitesMessage) {
    QueryLimits limits;
    limits.time_limit = 120s;  // so that the heap limit, not the clock, stops them
    auto ws = open(limits);
    struct Case {
        const char* sql;
        const char* message;
    };
    for (const Case& c : {
             Case{"SELECT randomblob(2000000000)", "too big"},
             Case{"SELECT zeroblob(1000000000)", "too big"},
             Case{"SELECT length(zeroblob(2000000))", "too big"},
             Case{"SELECT group_concat(patient_id || prefecture) FROM patients, "
                  "(SELECT 1 FROM visits LIMIT 50)",
                  "too big"},
             Case{"WITH RECURSIVE c(x) AS (SELECT 'a' UNION ALL SELECT x || x FROM c) "
                  "SELECT length(x) FROM c",
                  "too big"},
             // Sorts and DISTINCT sets live in memory (temp_store=MEMORY) under the heap limit.
             Case{"SELECT zeroblob(500000) || lab_result_id AS b FROM lab_results ORDER BY b",
                  "out of memory"},
             Case{"SELECT count(DISTINCT zeroblob(500000) || lab_result_id) FROM lab_results",
                  "out of memory"},
         }) {
        auto st = ws->run(c.sql);
        EXPECT_EQ(st.outcome, QueryOutcome::Failed)
            << c.sql << ": " << query_outcome_name(st.outcome) << " " << st.message;
        EXPECT_NE(st.message.find(c.message), std::string::npos) << c.sql << ": " << st.message;
    }
    // The workspace still works after an out-of-memory query.
    EXPECT_EQ(ws->run("SELECT count(*) FROM patients").outcome, QueryOutcome::Done);
}

TEST_F(SqlWorkspaceTest, RowCapCutsTheResultAndSaysSo) {
    QueryLimits limits;
    limits.max_rows = 1000;
    auto ws = open(limits);
    auto st =
        ws->run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c");
    EXPECT_EQ(st.outcome, QueryOutcome::Cut);
    EXPECT_EQ(st.rows, 1000);
    EXPECT_NE(st.message.find("row cap of 1000"), std::string::npos) << st.message;
    EXPECT_EQ(ws->page(999, 10).size(), 1u);
    EXPECT_EQ(ws->page(999, 1)[0][0].text, "1000");
    // Exactly the cap is not cut.
    auto exact = ws->run("SELECT patient_id FROM patients LIMIT 1000");
    EXPECT_EQ(exact.outcome, QueryOutcome::Done);
    EXPECT_EQ(exact.rows, 1000);
    ws.reset();
    auto rows = query_audit();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].event.outcome, "cut");
    EXPECT_EQ(nlohmann::json::parse(rows[0].event.detail)["rows"], 1000);
}

TEST_F(SqlWorkspaceTest, ResultByteCapCutsTheResultAndSaysSo) {
    QueryLimits limits;
    limits.max_result_bytes = 1 << 20;
    auto ws = open(limits);
    auto st = ws->run("SELECT printf('%.*c', 100000, 'x') FROM patients");
    EXPECT_EQ(st.outcome, QueryOutcome::Cut);
    EXPECT_LT(st.rows, 11);
    EXPECT_GT(st.rows, 5);
    EXPECT_NE(st.message.find("more than 1 MiB"), std::string::npos) << st.message;
}

TEST_F(SqlWorkspaceTest, CancelStopsARunningQueryFromAnotherThread) {
    auto ws = open();  // the default 10 s time limit
    std::string err;
    ASSERT_TRUE(ws->submit(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        &err))
        << err;
    EXPECT_TRUE(ws->poll().running());
    EXPECT_FALSE(ws->submit("SELECT 1", &err)) << "a second query while one runs";
    EXPECT_NE(err.find("still running"), std::string::npos);
    std::thread canceller([&] {
        std::this_thread::sleep_for(100ms);
        ws->cancel();
    });
    EXPECT_TRUE(ws->wait(5s)) << "cancel did not stop the query";
    canceller.join();
    auto st = ws->poll();
    EXPECT_EQ(st.outcome, QueryOutcome::Cancelled);
    EXPECT_EQ(st.message, "cancelled");
    // The next query is not disturbed by the interrupt.
    auto next = ws->run("SELECT count(*) FROM patients");
    EXPECT_EQ(next.outcome, QueryOutcome::Done) << next.message;
    auto rows = query_audit();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].event.outcome, "cancelled");
    EXPECT_EQ(rows[1].event.outcome, "done");
}

TEST_F(SqlWorkspaceTest, RowsCanBePagedWhileTheQueryRuns) {
    auto ws = open();
    std::string err;
    // Rows arrive at once, then the query keeps running (a slow aggregate after the first rows).
    ASSERT_TRUE(ws->submit(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000000) "
        "SELECT x FROM c WHERE x <= 500 OR x = 99999999",
        &err));
    QueryStatus st;
    auto until = std::chrono::steady_clock::now() + 5s;
    do {
        st = ws->poll();
    } while (st.rows < 500 && st.running() && std::chrono::steady_clock::now() < until);
    EXPECT_TRUE(st.running()) << "still running with its first rows available";
    EXPECT_EQ(st.rows, 500);
    auto page = ws->page(400, 100);
    ASSERT_EQ(page.size(), 100u);
    EXPECT_EQ(page[0][0].text, "401");
    ws->cancel();
    EXPECT_TRUE(ws->wait(5s));
    EXPECT_EQ(ws->poll().outcome, QueryOutcome::Cancelled);
}

TEST_F(SqlWorkspaceTest, SqlErrorsCarrySqlitesOwnMessage) {
    auto ws = open();
    auto st = ws->run("SELEC * FROM patients");
    EXPECT_EQ(st.outcome, QueryOutcome::Failed);
    EXPECT_EQ(st.message, "near \"SELEC\": syntax error");
    st = ws->run("SELECT nonesuch FROM patients");
    EXPECT_EQ(st.message, "no such column: nonesuch");
    st = ws->run("SELECT * FROM nonesuch");
    EXPECT_EQ(st.message, "no such table: nonesuch");
    EXPECT_EQ(ws->run("SELECT 1").outcome, QueryOutcome::Done);
}

TEST_F(SqlWorkspaceTest, OpenRefusesAMissingFileOrANonDatabaseNamingIt) {
    std::string err;
    EXPECT_FALSE(SqlWorkspace::open(local_ / "missing.sqlite", {}, {}, &err));
    EXPECT_NE(err.find("missing.sqlite"), std::string::npos) << err;
    EXPECT_NE(err.find("No such file"), std::string::npos) << err;
    const std::string junk = local_ / "junk.sqlite";
    std::ofstream(junk) << std::string(4096, 'j');
    EXPECT_FALSE(SqlWorkspace::open(junk, {}, {}, &err));
    EXPECT_NE(err.find("not a database"), std::string::npos) << err;
    EXPECT_FALSE(SqlWorkspace::open(local_.path(), {}, {}, &err));
    EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
    QueryLimits bad;
    bad.max_rows = 0;
    EXPECT_FALSE(SqlWorkspace::open(db_path_, bad, {}, &err));
    EXPECT_NE(err.find("row cap"), std::string::npos) << err;
}

// Fail secure: a query whose audit row cannot be written shows no rows.
class FailingAudit : public AuditTrail {
public:
    bool append(const AuditEvent&, AuditReceipt*, std::string* err) override {
        *err = "disk full";
        return false;
    }
};

TEST_F(SqlWorkspaceTest, AQueryThatCannotBeAuditedWithholdsItsRows) {
    FailingAudit failing;
    std::string err;
    auto ws = SqlWorkspace::open(db_path_, {}, {&failing, "test", ""}, &err);
    ASSERT_TRUE(ws) << err;
    auto st = ws->run("SELECT * FROM patients LIMIT 10");
    EXPECT_EQ(st.outcome, QueryOutcome::Failed);
    EXPECT_EQ(st.rows, 0);
    EXPECT_TRUE(ws->page(0, 10).empty());
    EXPECT_NE(st.message.find("could not be audited"), std::string::npos);
    EXPECT_NE(st.message.find("disk full"), std::string::npos);
}

TEST_F(SqlWorkspaceTest, TheHeapLimitIsHeldOnlyWhileAWorkspaceIsOpen) {
    // The limit is process-wide (SQLite has no per-connection one): set by the first workspace,
    // kept while any is open, restored when the last one closes.
    const sqlite3_int64 before = sqlite3_hard_heap_limit64(-1);
    auto ws = open();
    EXPECT_EQ(sqlite3_hard_heap_limit64(-1), kWorkspaceHeapLimitBytes);
    auto second = open();
    ws.reset();
    EXPECT_EQ(sqlite3_hard_heap_limit64(-1), kWorkspaceHeapLimitBytes);
    second.reset();
    EXPECT_EQ(sqlite3_hard_heap_limit64(-1), before);
}

}  // namespace
}  // namespace kiosk::db
