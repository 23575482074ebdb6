// Tests of the forward-only schema migrations (db/migrations.h).
#include <gtest/gtest.h>

#include <array>
#include <functional>

#include "db/migrations.h"
#include "db_test_dir.h"

namespace kiosk::db {
namespace {

using testing::TempDir;

constexpr std::array<std::string_view, 2> kSteps{
    "CREATE TABLE a(x INTEGER);",
    "CREATE TABLE b(y INTEGER); INSERT INTO a VALUES (1);",
};

int count_tables(Database& db) {
    auto st = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'");
    st.step();
    return static_cast<int>(st.column_int(0));
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(Migrations, AppliesAllStepsToAFreshDatabase) {
    TempDir dir;
    Database db(dir / "x.db", Database::Mode::ReadWriteCreate);
    migrate(db, kSteps, "x.db");
    EXPECT_EQ(db.user_version(), 2);
    EXPECT_EQ(count_tables(db), 2);
}

TEST(Migrations, AppliesOnlyMissingStepsAndIsIdempotent) {
    TempDir dir;
    Database db(dir / "x.db", Database::Mode::ReadWriteCreate);
    migrate(db, std::span(kSteps).first(1), "x.db");
    EXPECT_EQ(db.user_version(), 1);
    migrate(db, kSteps, "x.db");
    migrate(db, kSteps, "x.db");
    EXPECT_EQ(db.user_version(), 2);
    auto st = db.prepare("SELECT count(*) FROM a");
    st.step();
    EXPECT_EQ(st.column_int(0), 1);  // step 2 ran once
}

TEST(Migrations, FailedStepRollsBackItselfButKeepsEarlierSteps) {
    TempDir dir;
    Database db(dir / "x.db", Database::Mode::ReadWriteCreate);
    constexpr std::array<std::string_view, 2> bad{
        "CREATE TABLE a(x INTEGER);",
        "CREATE TABLE b(y INTEGER); INSERT INTO nowhere VALUES (1);",
    };
    std::string msg = message_of([&] { migrate(db, bad, "x.db"); });
    EXPECT_NE(msg.find("x.db: migration to schema version 2 failed"), std::string::npos) << msg;
    EXPECT_EQ(db.user_version(), 1);
    EXPECT_EQ(count_tables(db), 1);  // b was rolled back with its step
}

TEST(Migrations, NewerVersionIsRefusedWithoutWriting) {
    TempDir dir;
    std::string path = dir / "local.db";
    {
        Database db(path, Database::Mode::ReadWriteCreate);
        db.set_user_version(7);
    }
    std::string before = testing::read_bytes(path);
    {
        Database db(path, Database::Mode::ReadWrite);
        EXPECT_EQ(message_of([&] { migrate(db, kSteps, "local.db"); }),
                  "local.db has schema version 7, newer than this program supports (2): upgrade "
                  "the kiosk software");
        EXPECT_EQ(db.user_version(), 7);
        EXPECT_EQ(count_tables(db), 0);
    }
    EXPECT_EQ(testing::read_bytes(path), before);
}

TEST(Migrations, CheckSchemaNamesWhatToDo) {
    TempDir dir;
    Database db(dir / "local.db", Database::Mode::ReadWriteCreate);
    EXPECT_EQ(message_of([&] { check_schema(db, 2, "local.db"); }),
              "local.db is not initialised: run kioskctl init");
    db.set_user_version(1);
    EXPECT_EQ(message_of([&] { check_schema(db, 2, "local.db"); }),
              "local.db has schema version 1, older than this program's (2): run kioskctl init "
              "to migrate");
    db.set_user_version(3);
    EXPECT_EQ(message_of([&] { check_schema(db, 2, "local.db"); }),
              "local.db has schema version 3, newer than this program supports (2): upgrade the "
              "kiosk software");
    db.set_user_version(2);
    EXPECT_NO_THROW(check_schema(db, 2, "local.db"));
}

TEST(Migrations, PreflightReadsWithoutCreatingOrWriting) {
    TempDir dir;
    std::string path = dir / "local.db";
    EXPECT_NO_THROW(preflight_schema(path, 2, "local.db", true));
    EXPECT_NE(message_of([&] {
                  preflight_schema(path, 2, "local.db", false);
              }).find("local.db does not exist"),
              std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_EQ(peek_schema_version(path), std::nullopt);
    {
        // A rollback-journal database: a read-write open would switch it to WAL.
        Database db(path, Database::Mode::ReadWriteCreate);
        db.exec("PRAGMA journal_mode=DELETE");
        db.set_user_version(9);
    }
    std::string before = testing::read_bytes(path);
    EXPECT_NE(message_of([&] { preflight_schema(path, 2, "local.db", true); }).find("version 9"),
              std::string::npos);
    EXPECT_NE(message_of([&] { preflight_schema(path, 2, "local.db", false); }).find("version 9"),
              std::string::npos);
    EXPECT_EQ(peek_schema_version(path), 9);
    EXPECT_EQ(testing::read_bytes(path), before);
}

}  // namespace
}  // namespace kiosk::db
