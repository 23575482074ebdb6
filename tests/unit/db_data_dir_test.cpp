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
#include "db/kiosk_db.h"
#include "db/local_store.h"
#include "db/migrations.h"
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
    for (const char* db : {"mirror.db", "kiosk.db"}) {
        EXPECT_TRUE(fs::exists(dir + "/" + db)) << db;
        EXPECT_EQ(mode_of(dir + "/" + db), 0600u) << db;
        const int version =
            std::string(db) == "mirror.db" ? MirrorStore::kSchemaVersion : KioskDb::kSchemaVersion;
        EXPECT_TRUE(contains(report, fmt::format("created {} (schema version {})", db, version)))
            << report;
    }
    EXPECT_FALSE(fs::exists(dir + "/local.db"));
    EXPECT_FALSE(fs::exists(dir + "/audit.db"));
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
    EXPECT_TRUE(contains(report, "kiosk.db is up to date (schema version 3)")) << report;
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
    // An uninitialised (version 0) kiosk.db, as a crash during the first init could leave it.
    fs::remove(dir + "/kiosk.db");
    { Database empty(dir + "/kiosk.db", Database::Mode::ReadWriteCreate); }
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    EXPECT_TRUE(contains(report, fmt::format("migrated kiosk.db from schema version 0 to {}",
                                             KioskDb::kSchemaVersion)))
        << report;
}

TEST(DataDir, InitRefusesNewerDatabaseBeforeWritingAnything) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    fs::remove(dir + "/site.key");
    {
        Database db(dir + "/kiosk.db", Database::Mode::ReadWrite);
        db.set_user_version(4);
    }
    auto before = snapshot(dir);
    EXPECT_FALSE(DataDir::init(dir, &report, &err));
    EXPECT_TRUE(contains(err, fmt::format("kiosk.db has schema version 4, newer than this program "
                                          "supports ({})",
                                          KioskDb::kSchemaVersion)))
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

TEST(DataDir, OpenNewerKioskDbIsRefusedAndNothingChanges) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    {
        Database db(dir + "/kiosk.db", Database::Mode::ReadWrite);
        db.set_user_version(7);
    }
    auto before = snapshot(dir);
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_EQ(err, "data directory " + dir +
                       ": kiosk.db has schema version 7, newer than this program supports (3): "
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
    fs::remove(dir + "/kiosk.db");
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_EQ(err, "data directory " + dir +
                       " is not initialised (kiosk.db is missing): run kioskctl init");
    EXPECT_FALSE(fs::exists(dir + "/kiosk.db"));
}

// ---- kiosk.db from the local.db + audit.db of an earlier version ------------------------------

// Builds the two stores as the previous version wrote them: audit.db (kiosk.db's steps 1-2) and
// local.db (its local-state step as version 1), with a chain of rows, a card, staff and a session.
void write_legacy_pair(const std::string& dir, const SiteSecret& pepper) {
    fs::create_directories(dir);
    auto steps = KioskDb::steps();
    auto audit_db = std::make_shared<Database>(dir + "/audit.db", Database::Mode::ReadWriteCreate);
    migrate(*audit_db, steps.subspan(0, 2), "audit.db");
    AuditStore audit(audit_db);
    std::string err;
    AuditReceipt r;
    for (int i = 1; i <= 3; ++i)
        ASSERT_TRUE(audit.append(AuditEvent{.at = Instant{std::chrono::seconds{1000 * i}},
                                            .kind = "decision",
                                            .actor = "test",
                                            .trainee_no = "",
                                            .card_prefix = "",
                                            .outcome = "grant"},
                                 &r, &err))
            << err;
    auto local_db = std::make_shared<Database>(dir + "/local.db", Database::Mode::ReadWriteCreate);
    migrate(*local_db, steps.subspan(KioskDb::kLocalStep - 1, 1), "local.db");
    LocalStore local(local_db, pepper);
    const Instant t0 = *parse_instant("2026-11-24T10:00:00+09:00");
    ASSERT_TRUE(local.enroll(std::string(64, 'a'), "T-1", t0, &err)) << err;
    ASSERT_TRUE(local.add_staff("S-1", "Sato", std::string(64, 's'), "2468", &err)) << err;
    SessionRecord s;
    s.trainee_no = "T-1";
    s.ends_at = t0 + std::chrono::hours(2);
    ASSERT_TRUE(local.start_session(s, t0, &err)) << err;
}

TEST(DataDir, InitMigratesLocalAndAuditDbIntoKioskDb) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    fs::create_directories(dir);
    ASSERT_TRUE(create_site_secret(dir + "/site.key", &err)) << err;
    auto secret = load_site_secret(dir + "/site.key", &err);
    ASSERT_TRUE(secret) << err;
    write_legacy_pair(dir, *secret);
    std::string old_head;
    {
        AuditStore a(std::make_shared<Database>(dir + "/audit.db"));
        std::int64_t seq = 0;
        ASSERT_TRUE(a.head(&seq, &old_head, &err)) << err;
        ASSERT_EQ(seq, 3);
    }
    // An earlier version's directory is not opened as it is.
    EXPECT_FALSE(DataDir::open(dir, &err));
    EXPECT_TRUE(contains(err, "run kioskctl init to migrate them into kiosk.db")) << err;

    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    EXPECT_TRUE(contains(report, "migrated local.db and audit.db into kiosk.db")) << report;
    EXPECT_FALSE(fs::exists(dir + "/local.db"));
    EXPECT_FALSE(fs::exists(dir + "/audit.db"));
    EXPECT_TRUE(fs::exists(dir + "/local.db.migrated"));
    EXPECT_TRUE(fs::exists(dir + "/audit.db.migrated"));
    EXPECT_EQ(mode_of(dir + "/kiosk.db"), 0600u);
    auto d = DataDir::open(dir, &err);
    ASSERT_TRUE(d) << err;
    // The chain is the old one, extended by the migration's own row.
    AuditVerifyResult v;
    ASSERT_TRUE(d->audit().verify(&v, &err)) << err;
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_EQ(v.rows, 4);
    std::optional<AuditRow> row;
    ASSERT_TRUE(d->audit().row_at(3, &row, &err)) << err;
    ASSERT_TRUE(row);
    EXPECT_EQ(row->row_hash, old_head);
    ASSERT_TRUE(d->audit().row_at(4, &row, &err)) << err;
    ASSERT_TRUE(row);
    EXPECT_EQ(row->event.kind, "store.migrated");
    // The local state came along: the card, the staff PIN, the session (and its numbering).
    std::optional<CardBinding> b;
    ASSERT_TRUE(d->local().find_binding(std::string(64, 'a'), &b, &err)) << err;
    ASSERT_TRUE(b);
    EXPECT_EQ(b->trainee_no, "T-1");
    StaffCheck c;
    ASSERT_TRUE(d->local().verify_staff_pin(std::string(64, 's'), "2468", Instant{}, &c, &err));
    EXPECT_EQ(c.result, StaffCheck::Result::Ok);
    std::vector<SessionRecord> all;
    ASSERT_TRUE(d->local().list_sessions(false, Instant{}, &all, &err)) << err;
    ASSERT_EQ(all.size(), 1u);
    std::vector<Revision> revs;
    ASSERT_TRUE(d->local().revisions(&revs, &err)) << err;
    EXPECT_EQ(revs.size(), 1u);
    // Idempotent afterwards.
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    EXPECT_TRUE(contains(report, "kiosk.db is up to date")) << report;
}

// Issue 9 item 6: a store missing beside the others is not silently replaced.
TEST(DataDir, InitRefusesToReplaceAMissingStoreUnlessStartingAfreshAudited) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;

    fs::remove(dir + "/site.key");
    auto before = snapshot(dir);
    EXPECT_FALSE(DataDir::init(dir, &report, &err));
    EXPECT_TRUE(contains(err, "site.key is missing: restore it from the backup")) << err;
    EXPECT_TRUE(contains(err, "--start-afresh")) << err;
    EXPECT_EQ(snapshot(dir), before);
    DataDir::InitOptions afresh;
    afresh.start_afresh = true;
    ASSERT_TRUE(DataDir::init(dir, afresh, &report, &err)) << err;
    EXPECT_TRUE(contains(report, "started afresh with a new site.key")) << report;
    {
        auto d = DataDir::open(dir, &err);
        ASSERT_TRUE(d) << err;
        std::optional<AuditRow> row;
        ASSERT_TRUE(d->audit().latest_of_kind("init.start_afresh", &row, &err)) << err;
        ASSERT_TRUE(row);
        EXPECT_NE(row->event.detail.find("site.key"), std::string::npos) << row->event.detail;
    }

    fs::remove(dir + "/kiosk.db");
    before = snapshot(dir);
    EXPECT_FALSE(DataDir::init(dir, &report, &err));
    EXPECT_TRUE(contains(err, "kiosk.db is missing: restore it from the backup")) << err;
    EXPECT_EQ(snapshot(dir), before);
    ASSERT_TRUE(DataDir::init(dir, afresh, &report, &err)) << err;
    auto d = DataDir::open(dir, &err);
    ASSERT_TRUE(d) << err;
    std::optional<AuditRow> row;
    ASSERT_TRUE(d->audit().row_at(1, &row, &err)) << err;
    ASSERT_TRUE(row);
    EXPECT_EQ(row->event.kind, "init.start_afresh");
    EXPECT_NE(row->event.detail.find("kiosk.db"), std::string::npos) << row->event.detail;
}

TEST(DataDir, InitRefusesHalfALegacyPair) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    fs::create_directories(dir);
    ASSERT_TRUE(create_site_secret(dir + "/site.key", &err)) << err;
    write_legacy_pair(dir, SiteSecret{});
    fs::remove(dir + "/local.db");
    EXPECT_FALSE(DataDir::init(dir, &report, &err));
    EXPECT_TRUE(contains(err, "local.db is missing beside audit.db")) << err;
    EXPECT_FALSE(fs::exists(dir + "/kiosk.db"));
}

// Issue 9 item 13: private whatever the umask, also in a directory that existed (0755).
TEST(DataDir, InitMakesTheDirectoryAndEveryStorePrivateWhateverTheUmask) {
    TempDir tmp;
    std::string dir = tmp / "data", report, err;
    mode_t old = ::umask(022);
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
    bool ok = DataDir::init(dir, &report, &err);
    {
        auto d = DataDir::open(dir, &err);  // creates -wal / -shm
        ASSERT_TRUE(d) << err;
        std::string e2;
        ASSERT_TRUE(d->local().enroll(std::string(64, 'a'), "T-1", Instant{}, &e2)) << e2;
        for (const auto& e : fs::directory_iterator(dir))
            EXPECT_EQ(mode_of(e.path().string()), 0600u) << e.path();
    }
    ::umask(old);
    ASSERT_TRUE(ok) << err;
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_TRUE(contains(report, "made data directory " + dir + " private (mode 0700, was 0755)"))
        << report;
    // A store that became readable by others is made private again by init, and by open.
    ::chmod((dir + "/kiosk.db").c_str(), 0644);
    ASSERT_TRUE(DataDir::init(dir, &report, &err)) << err;
    EXPECT_TRUE(contains(report, "made kiosk.db private (mode 0600, was 0644)")) << report;
    EXPECT_EQ(mode_of(dir + "/kiosk.db"), 0600u);
    ::chmod((dir + "/mirror.db").c_str(), 0644);
    ASSERT_TRUE(DataDir::open(dir, &err)) << err;
    EXPECT_EQ(mode_of(dir + "/mirror.db"), 0600u);
}

}  // namespace
}  // namespace kiosk::db
