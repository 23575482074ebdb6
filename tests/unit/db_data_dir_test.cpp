// Tests of the data directory (db/data_dir.h) and the site secret (db/site_secret.h): init creates
// and migrates idempotently, open refuses missing, uninitialised, newer and badly protected
// directories with clear messages and without modifying anything.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "db/data_dir.h"
#include "db/local_store.h"
#include "db/mirror_store.h"
#include "db/site_secret.h"
#include "db/sqlite.h"
#include "db_test_dir.h"

namespace kiosk::db {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

// Every file in `dir` with its size and a hash of its bytes (compact in failure messages).
std::map<std::string, std::string> snapshot(const std::string& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string bytes = testing::read_bytes(e.path().string());
        files[e.path().filename().string()] = std::to_string(bytes.size()) + " bytes, hash " +
                                              std::to_string(std::hash<std::string>{}(bytes));
    }
    return files;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// ---- Site secret -----------------------------------------------------------------------------

TEST(SiteSecret, CreatedWith32RandomBytesMode0600) {
    TempDir dir;
    std::string path = dir / "site.key", err;
    ASSERT_TRUE(create_site_secret(path, &err)) << err;
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(fs::file_size(path), 32u);
    auto s = load_site_secret(path, &err);
    ASSERT_TRUE(s) << err;
    EXPECT_NE(*s, SiteSecret{});

    TempDir other;
    ASSERT_TRUE(create_site_secret(other / "site.key", &err)) << err;
    EXPECT_NE(testing::read_bytes(other / "site.key"), testing::read_bytes(path));
}

TEST(SiteSecret, CreateIsANoOpWhenItExists) {
    TempDir dir;
    std::string path = dir / "site.key", err;
    ASSERT_TRUE(create_site_secret(path, &err)) << err;
    std::string before = testing::read_bytes(path);
    ASSERT_TRUE(create_site_secret(path, &err)) << err;
    EXPECT_EQ(testing::read_bytes(path), before);
}

TEST(SiteSecret, LoadRefusesWrongSize) {
    TempDir dir;
    std::string path = dir / "site.key", err;
    {
        std::ofstream out(path, std::ios::binary);
        out << std::string(31, 'k');
    }
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_FALSE(load_site_secret(path, &err));
    EXPECT_TRUE(contains(err, "is 31 bytes, expected exactly 32")) << err;
}

TEST(SiteSecret, LoadRefusesFileReadableByOthers) {
    TempDir dir;
    std::string path = dir / "site.key", err;
    ASSERT_TRUE(create_site_secret(path, &err)) << err;
    ::chmod(path.c_str(), 0644);
    EXPECT_FALSE(load_site_secret(path, &err));
    EXPECT_TRUE(contains(err, "accessible by group or others (mode 0644)")) << err;
    ::chmod(path.c_str(), 0640);
    EXPECT_FALSE(load_site_secret(path, &err));
    ::chmod(path.c_str(), 0400);
    EXPECT_TRUE(load_site_secret(path, &err)) << err;
}

TEST(SiteSecret, LoadMissingSaysRunInit) {
    TempDir dir;
    std::string err;
    EXPECT_FALSE(load_site_secret(dir / "site.key", &err));
    EXPECT_TRUE(contains(err, "does not exist: run kioskctl init")) << err;
}

// ---- init ------------------------------------------------------------------------------------

TEST(DataDir, InitCreatesEverything) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_EQ(mode_of(dir + "/site.key"), 0600u);
    EXPECT_EQ(fs::file_size(dir + "/site.key"), 32u);
    for (const char* db : {"mirror.db", "local.db", "audit.db"}) {
        EXPECT_TRUE(fs::exists(dir + "/" + db)) << db;
        const int version = std::string(db) == "audit.db"    ? AuditStore::kSchemaVersion
                            : std::string(db) == "mirror.db" ? MirrorStore::kSchemaVersion
                                                             : LocalStore::kSchemaVersion;
        EXPECT_TRUE(contains(report, fmt::format("created {} (schema version {})", db, version)))
            << report;
    }
    EXPECT_TRUE(contains(report, "created data directory " + dir + " (mode 0700)")) << report;
    EXPECT_TRUE(contains(report, "created site.key")) << report;
}

TEST(DataDir, InitIsIdempotent) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    std::string key = testing::read_bytes(dir + "/site.key");
    {
        auto d = DataDir::open(dir, &err);
        ASSERT_TRUE(d) << err;
        AuditReceipt r;
        ASSERT_TRUE(d->audit().append(AuditEvent{.kind = "test",
                                                 .actor = "test",
                                                 .trainee_no = "",
                                                 .card_prefix = "",
                                                 .outcome = "ok"},
                                      &r, &err))
            << err;
        ASSERT_TRUE(d->local().enroll(std::string(64, 'a'), "T-1", Instant{}, &err)) << err;
    }
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    EXPECT_EQ(testing::read_bytes(dir + "/site.key"), key);
    EXPECT_TRUE(contains(report, "site.key exists (kept)")) << report;
    EXPECT_TRUE(contains(report, "local.db is up to date (schema version 1)")) << report;
    EXPECT_FALSE(contains(report, "created")) << report;
    auto d = DataDir::open(dir, &err);
    ASSERT_TRUE(d) << err;
    std::int64_t seq = 0;
    std::string hash;
    ASSERT_TRUE(d->audit().head(&seq, &hash, &err)) << err;
    EXPECT_EQ(seq, 1);
    std::optional<CardBinding> b;
    ASSERT_TRUE(d->local().find_binding(std::string(64, 'a'), &b, &err)) << err;
    EXPECT_TRUE(b);
}

TEST(DataDir, InitMigratesAnOlderDatabase) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    // An uninitialised (version 0) audit.db, as a crash during the first init could leave it.
    fs::remove(dir + "/audit.db");
    { Database empty(dir + "/audit.db", Database::Mode::ReadWriteCreate); }
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    EXPECT_TRUE(contains(report, fmt::format("migrated audit.db from schema version 0 to {}",
                                             AuditStore::kSchemaVersion)))
        << report;
}

TEST(DataDir, InitRefusesNewerDatabaseBeforeWritingAnything) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    fs::remove(dir + "/site.key");
    {
        Database db(dir + "/audit.db", Database::Mode::ReadWrite);
        db.set_user_version(4);
    }
    auto before = snapshot(dir);
    EXPECT_FALSE(DataDir::init(dir, &report, &err));
    EXPECT_TRUE(contains(err, fmt::format("audit.db has schema version 4, newer than this program "
                                          "supports ({})",
                                          AuditStore::kSchemaVersion)))
        << err;
    EXPECT_EQ(snapshot(dir), before);  // no site.key created either
}

// ---- open ------------------------------------------------------------------------------------

TEST(DataDir, OpenGivesTheStoresAndTheSecret) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    auto d = DataDir::open(dir, &err);
    ASSERT_TRUE(d) << err;
    EXPECT_EQ(d->dir(), dir);
    EXPECT_EQ(d->path_of("mirror.db"), dir + "/mirror.db");
    auto secret = load_site_secret(dir + "/site.key", &err);
    ASSERT_TRUE(secret) << err;
    EXPECT_EQ(d->secret(), *secret);
    std::optional<FeedState> fs_state;
    ASSERT_TRUE(d->mirror().feed_state(&fs_state, &err)) << err;
    EXPECT_FALSE(fs_state);
    // The local store is peppered with the site secret: staff PINs work.
    ASSERT_TRUE(d->local().add_staff("S-1", "Sato", std::string(64, 'c'), "2468", &err)) << err;
    StaffCheck c;
    ASSERT_TRUE(d->local().verify_staff_pin(std::string(64, 'c'), "2468", Instant{}, &c, &err))
        << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Ok);
}

TEST(DataDir, OpenMissingDirectorySaysRunInit) {
    TempDir tmp;
    std::string dir = tmp / "nowhere", err;
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_EQ(err, "data directory " + dir + " does not exist: run kioskctl init");
    EXPECT_FALSE(fs::exists(dir));
}

TEST(DataDir, OpenAFileIsRefused) {
    TempDir tmp;
    std::string path = tmp / "file", err;
    std::ofstream(path) << "x";
    EXPECT_FALSE(DataDir::open(path, &err));
    EXPECT_EQ(err, "data directory " + path + " is not a directory");
}

TEST(DataDir, OpenUninitialisedDirectorySaysRunInit) {
    TempDir tmp;
    std::string err;
    EXPECT_FALSE(DataDir::open(tmp.path(), &err));
    EXPECT_TRUE(contains(err, "is not initialised")) << err;
    EXPECT_TRUE(contains(err, "run kioskctl init")) << err;
    EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(DataDir, OpenUnreadableDirectoryIsRefused) {
    if (::geteuid() == 0) GTEST_SKIP() << "root reads any directory";
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    ::chmod(dir.c_str(), 0);
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_TRUE(contains(err, "cannot use data directory")) << err;
    ::chmod(dir.c_str(), 0700);
}

TEST(DataDir, OpenNewerLocalDbIsRefusedAndNothingChanges) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    {
        Database db(dir + "/local.db", Database::Mode::ReadWrite);
        db.set_user_version(7);
    }
    auto before = snapshot(dir);
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_EQ(err, "data directory " + dir +
                       ": local.db has schema version 7, newer than this program supports (1): "
                       "upgrade the kiosk software");
    EXPECT_EQ(snapshot(dir), before);
}

TEST(DataDir, OpenNewerMirrorDbIsRefusedAndNothingChanges) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    {
        Database db(dir + "/mirror.db", Database::Mode::ReadWrite);
        db.set_user_version(MirrorStore::kSchemaVersion + 1);
    }
    auto before = snapshot(dir);
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_TRUE(contains(err, "newer than this program supports")) << err;
    EXPECT_EQ(snapshot(dir), before);
}

TEST(DataDir, OpenWithBadSiteSecretIsRefused) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    ::chmod((dir + "/site.key").c_str(), 0644);
    auto before = snapshot(dir);
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_TRUE(contains(err, "site secret " + dir + "/site.key is accessible by group or others"))
        << err;
    EXPECT_EQ(snapshot(dir), before);

    ::chmod((dir + "/site.key").c_str(), 0600);
    fs::resize_file(dir + "/site.key", 16);
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_TRUE(contains(err, "is 16 bytes, expected exactly 32")) << err;
}

TEST(DataDir, OpenWithAMissingDatabaseSaysWhichOne) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    fs::remove(dir + "/audit.db");
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_EQ(err, "data directory " + dir +
                       " is not initialised (audit.db is missing): run kioskctl init");
    EXPECT_FALSE(fs::exists(dir + "/audit.db"));
}

}  // namespace
}  // namespace kiosk::db
