// Tests of the hash-chained audit trail (db/audit_store.h): append and verify, the append-only
// triggers, and tamper evidence when the triggers are dropped (the acceptance criterion).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "db/audit_store.h"
#include "db/kiosk_db.h"
#include "db/local_store.h"
#include "db/sqlite.h"
#include "db_test_dir.h"

namespace kiosk::db {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

const Instant kT0 = *parse_instant("2026-11-24T10:00:00+09:00");

AuditEvent event(int i) {
    return AuditEvent{.at = kT0 + std::chrono::seconds{i},
                      .kind = "decision",
                      .actor = "reader-1",
                      .trainee_no = "T-" + std::to_string(1000 + i),
                      .card_prefix = "a1b2c3d4e5f6",
                      .outcome = i % 2 ? "deny" : "grant",
                      .detail = R"({"reasons":["ORDER_VIOLATION"],"n":)" + std::to_string(i) + "}"};
}

// Appends n events to a fresh audit.db and returns its path.
std::string make_trail(const TempDir& dir, int n) {
    std::string path = dir / "audit.db";
    AuditStore store(path, true);
    for (int i = 1; i <= n; ++i) {
        std::string err;
        AuditReceipt r;
        EXPECT_TRUE(store.append(event(i), &r, &err)) << err;
        EXPECT_EQ(r.seq, i);
    }
    return path;
}

// Runs SQL on audit.db through the sqlite3 C API, as an attacker with file access would.
void tamper(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* msg = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    std::string m = msg ? msg : "";
    sqlite3_free(msg);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << m;
}

constexpr const char* kDropGuards = "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;";

AuditVerifyResult verify(const std::string& path) {
    AuditStore store(path, false);
    AuditVerifyResult r;
    std::string err;
    EXPECT_TRUE(store.verify(&r, &err)) << err;
    return r;
}

TEST(AuditStore, AppendChainsRowsFromGenesisAndVerifies) {
    TempDir dir;
    AuditStore store(dir / "audit.db", true);
    std::int64_t seq = -1;
    std::string hash, err;
    ASSERT_TRUE(store.head(&seq, &hash, &err)) << err;
    EXPECT_EQ(seq, 0);
    EXPECT_EQ(hash, kAuditGenesisHash);

    AuditReceipt r1, r2;
    ASSERT_TRUE(store.append(event(1), &r1, &err)) << err;
    ASSERT_TRUE(store.append(event(2), &r2, &err)) << err;
    EXPECT_EQ(r1.seq, 1);
    EXPECT_EQ(r2.seq, 2);
    EXPECT_EQ(r1.row_hash.size(), 64u);
    EXPECT_EQ(r1.row_hash, AuditStore::compute_row_hash(kAuditGenesisHash, 1, event(1)));
    EXPECT_EQ(r2.row_hash, AuditStore::compute_row_hash(r1.row_hash, 2, event(2)));

    ASSERT_TRUE(store.head(&seq, &hash, &err)) << err;
    EXPECT_EQ(seq, 2);
    EXPECT_EQ(hash, r2.row_hash);

    AuditVerifyResult v;
    ASSERT_TRUE(store.verify(&v, &err)) << err;
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_EQ(v.rows, 2);
    EXPECT_EQ(v.first_bad_seq, 0);
    EXPECT_EQ(v.head_hash, r2.row_hash);
}

TEST(AuditStore, UsesItsOwnWalFile) {
    TempDir dir;
    std::string path = make_trail(dir, 1);
    Database db(path, Database::Mode::ReadOnly);
    auto st = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "wal");
}

TEST(AuditStore, EmptyTrailVerifies) {
    TempDir dir;
    AuditStore store(dir / "audit.db", true);
    AuditVerifyResult v;
    std::string err;
    ASSERT_TRUE(store.verify(&v, &err)) << err;
    EXPECT_TRUE(v.ok);
    EXPECT_EQ(v.rows, 0);
    EXPECT_EQ(v.head_hash, kAuditGenesisHash);
}

TEST(AuditStore, RowsSurviveReopen) {
    TempDir dir;
    std::string path = make_trail(dir, 3);
    AuditStore store(path, false);
    std::string err;
    AuditReceipt r;
    ASSERT_TRUE(store.append(event(4), &r, &err)) << err;
    EXPECT_EQ(r.seq, 4);
    EXPECT_TRUE(verify(path).ok);
}

TEST(AuditStore, HashCoversEveryFieldWithLengthPrefixes) {
    AuditEvent a = event(1);
    std::string base = AuditStore::compute_row_hash(kAuditGenesisHash, 1, a);
    auto differs = [&](AuditEvent e) {
        return AuditStore::compute_row_hash(kAuditGenesisHash, 1, e) != base;
    };
    AuditEvent e = a;
    e.at += 1s;
    EXPECT_TRUE(differs(e));
    for (std::string AuditEvent::*field :
         {&AuditEvent::kind, &AuditEvent::actor, &AuditEvent::trainee_no, &AuditEvent::card_prefix,
          &AuditEvent::outcome, &AuditEvent::detail}) {
        e = a;
        e.*field += "x";
        EXPECT_TRUE(differs(e));
    }
    // Moving a character across a field boundary changes the hash (length prefixes).
    e = a;
    e.kind = "decisio";
    e.actor = "nreader-1";
    EXPECT_TRUE(differs(e));
    EXPECT_NE(AuditStore::compute_row_hash(kAuditGenesisHash, 2, a), base);
}

TEST(AuditStore, TriggersRefuseUpdateAndDelete) {
    TempDir dir;
    std::string path = make_trail(dir, 3);
    Database db(path, Database::Mode::ReadWrite);
    try {
        db.exec("UPDATE events SET outcome = 'grant' WHERE seq = 2");
        FAIL() << "UPDATE was allowed";
    } catch (const SqliteError& e) {
        EXPECT_NE(std::string(e.what()).find("append-only"), std::string::npos) << e.what();
    }
    try {
        db.exec("DELETE FROM events WHERE seq = 3");
        FAIL() << "DELETE was allowed";
    } catch (const SqliteError& e) {
        EXPECT_NE(std::string(e.what()).find("append-only"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(verify(path).ok);
}

TEST(AuditStore, TamperAlteredFieldIsNamed) {
    TempDir dir;
    std::string path = make_trail(dir, 30);
    tamper(path, std::string(kDropGuards) + "UPDATE events SET outcome = 'grant' WHERE seq = 17;");
    AuditVerifyResult v = verify(path);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 17);
    EXPECT_EQ(v.problem, "row 17: hash does not match its contents");
}

TEST(AuditStore, TamperAlteredTimeIsNamed) {
    TempDir dir;
    std::string path = make_trail(dir, 10);
    tamper(path, std::string(kDropGuards) + "UPDATE events SET at = at + 3600 WHERE seq = 4;");
    AuditVerifyResult v = verify(path);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 4);
}

TEST(AuditStore, TamperAlteredFieldWithRecomputedHashIsCaughtAtTheNextRow) {
    TempDir dir;
    std::string path = make_trail(dir, 30);
    AuditEvent forged = event(17);
    forged.outcome = "grant";
    std::string prev;
    {
        AuditStore store(path, false);
        std::vector<AuditRow> rows;
        std::string err;
        ASSERT_TRUE(store.latest(14, &rows, &err)) << err;
        ASSERT_EQ(rows.back().seq, 17);
        prev = rows.back().prev_hash;
    }
    std::string hash = AuditStore::compute_row_hash(prev, 17, forged);
    tamper(path, std::string(kDropGuards) + "UPDATE events SET outcome = 'grant', row_hash = '" +
                     hash + "' WHERE seq = 17;");
    AuditVerifyResult v = verify(path);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 18);
    EXPECT_EQ(v.problem, "row 18: prev_hash does not match row 17");
}

TEST(AuditStore, TamperDeletedRowIsNamed) {
    TempDir dir;
    std::string path = make_trail(dir, 20);
    tamper(path, std::string(kDropGuards) + "DELETE FROM events WHERE seq = 12;");
    AuditVerifyResult v = verify(path);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 12);
    EXPECT_EQ(v.problem, "row 12 is missing (seq jumps from 11 to 13)");
}

TEST(AuditStore, TamperDeletedAndRenumberedRowsAreNamed) {
    TempDir dir;
    std::string path = make_trail(dir, 20);
    // Delete row 12 and close the gap by renumbering the rows after it.
    tamper(path, std::string(kDropGuards) +
                     "DELETE FROM events WHERE seq = 12;"
                     "UPDATE events SET seq = -(seq - 1) WHERE seq > 12;"
                     "UPDATE events SET seq = -seq WHERE seq < 0;");
    AuditVerifyResult v = verify(path);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 12);
    EXPECT_EQ(v.problem, "row 12: prev_hash does not match row 11");
}

TEST(AuditStore, TamperSwappedRowsAreNamed) {
    TempDir dir;
    std::string path = make_trail(dir, 20);
    // Swap the whole contents (hashes included) of rows 5 and 6: a reordering.
    tamper(path, std::string(kDropGuards) +
                     "UPDATE events SET seq = -1 WHERE seq = 5;"
                     "UPDATE events SET seq = 5 WHERE seq = 6;"
                     "UPDATE events SET seq = 6 WHERE seq = -1;");
    AuditVerifyResult v = verify(path);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 5);
    EXPECT_EQ(v.problem, "row 5: prev_hash does not match row 4");
}

TEST(AuditStore, TamperSwappedFieldsAreNamed) {
    TempDir dir;
    std::string path = make_trail(dir, 20);
    // Swap only the event fields of rows 8 and 9, leaving the chain columns in place.
    tamper(path, std::string(kDropGuards) +
                     "CREATE TEMP TABLE t AS SELECT * FROM events WHERE seq IN (8, 9);"
                     "UPDATE events SET (at, kind, actor, trainee_no, card_prefix, outcome, detail)"
                     " = (SELECT at, kind, actor, trainee_no, card_prefix, outcome, detail FROM t"
                     " WHERE t.seq = 17 - events.seq) WHERE seq IN (8, 9);");
    AuditVerifyResult v = verify(path);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 8);
    EXPECT_EQ(v.problem, "row 8: hash does not match its contents");
}

TEST(AuditStore, AppendToBrokenDatabaseReturnsFalse) {
    TempDir dir;
    std::string path = make_trail(dir, 2);
    AuditStore store(path, false);
    tamper(path, std::string(kDropGuards) + "DROP TABLE events;");
    std::string err;
    AuditReceipt r;
    EXPECT_FALSE(store.append(event(3), &r, &err));
    EXPECT_NE(err.find("cannot append to the audit trail"), std::string::npos) << err;
    EXPECT_NE(err.find("events"), std::string::npos) << err;
}

TEST(AuditStore, AppendToOverwrittenFileReturnsFalse) {
    TempDir dir;
    std::string path = make_trail(dir, 2);
    AuditStore store(path, false);
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << std::string(8192, 'x');
    }
    std::error_code ec;
    std::filesystem::remove(path + "-wal", ec);
    std::string err;
    AuditReceipt r;
    EXPECT_FALSE(store.append(event(3), &r, &err));
    EXPECT_FALSE(err.empty());
}

TEST(AuditStore, AppendWhileAnotherWriterHoldsTheLockReturnsFalse) {
    TempDir dir;
    std::string path = make_trail(dir, 1);
    AuditStore store(path, false);
    Database other(path, Database::Mode::ReadWrite);
    other.exec("BEGIN IMMEDIATE");
    std::string err;
    AuditReceipt r;
    EXPECT_FALSE(store.append(event(2), &r, &err));  // after the 5 s busy timeout
    EXPECT_NE(err.find("locked"), std::string::npos) << err;
    other.exec("ROLLBACK");
    EXPECT_TRUE(store.append(event(2), &r, &err)) << err;
    EXPECT_EQ(r.seq, 2);
}

TEST(AuditStore, AppendToReadOnlyFileReturnsFalse) {
    if (::geteuid() == 0) GTEST_SKIP() << "root can write a read-only file";
    TempDir dir;
    std::string path = make_trail(dir, 1);
    std::filesystem::permissions(path, std::filesystem::perms::owner_read);
    try {
        AuditStore store(path, false);
        std::string err;
        AuditReceipt r;
        EXPECT_FALSE(store.append(event(2), &r, &err));
        EXPECT_FALSE(err.empty());
    } catch (const std::exception& e) {
        SUCCEED() << "refused at open: " << e.what();
    }
}

TEST(AuditStore, ConcurrentAppendersKeepOneChain) {
    TempDir dir;
    std::string path = make_trail(dir, 0);
    auto writer = [&](int base) {
        AuditStore store(path, false);
        for (int i = 0; i < 25; ++i) {
            std::string err;
            AuditReceipt r;
            EXPECT_TRUE(store.append(event(base + i), &r, &err)) << err;
        }
    };
    std::thread a(writer, 0), b(writer, 100);
    a.join();
    b.join();
    AuditVerifyResult v = verify(path);
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_EQ(v.rows, 50);
}

// ---- transact: a change and its audit row commit together or not at all (issue 9 item 2) ----

struct SharedStores {
    explicit SharedStores(const std::string& path)
        : db(KioskDb::open(path, true)), local(db, SiteSecret{}), audit(db) {}
    std::shared_ptr<Database> db;
    LocalStore local;
    AuditStore audit;
    std::int64_t rows() {
        std::int64_t seq = 0;
        std::string hash, err;
        EXPECT_TRUE(audit.head(&seq, &hash, &err)) << err;
        return seq;
    }
    bool bound(const std::string& card) {
        std::optional<CardBinding> b;
        std::string err;
        EXPECT_TRUE(local.find_binding(card, &b, &err)) << err;
        return b.has_value();
    }
};

const std::string kCard(64, 'c');
const Instant kAt = *parse_instant("2026-11-24T10:00:00+09:00");

TEST(AuditTransact, ChangeAndAuditRowCommitTogether) {
    TempDir dir;
    SharedStores s(dir / "kiosk.db");
    std::string err;
    AuditReceipt r;
    ASSERT_TRUE(s.audit.transact(
        [&](std::string* e) {
            return s.local.enroll(kCard, "T-1", kAt, e) && s.audit.append(event(1), &r, e);
        },
        &err))
        << err;
    EXPECT_TRUE(s.bound(kCard));
    EXPECT_EQ(r.seq, 1);
    EXPECT_EQ(s.rows(), 1);
    // and they are durable on another connection
    SharedStores other(dir / "kiosk.db");
    EXPECT_TRUE(other.bound(kCard));
    EXPECT_EQ(other.rows(), 1);
}

TEST(AuditTransact, RefusedWorkLeavesNeitherChangeNorRow) {
    TempDir dir;
    SharedStores s(dir / "kiosk.db");
    std::string err;
    AuditReceipt r;
    EXPECT_FALSE(s.audit.transact(
        [&](std::string* e) {
            if (!s.local.enroll(kCard, "T-1", kAt, e) || !s.audit.append(event(1), &r, e))
                return false;
            *e = "the effect failed";
            return false;
        },
        &err));
    EXPECT_EQ(err, "the effect failed");
    EXPECT_FALSE(s.bound(kCard));
    EXPECT_EQ(s.rows(), 0);
    // An exception thrown by the work rolls back too, and is reported.
    EXPECT_FALSE(s.audit.transact(
        [&](std::string* e) -> bool {
            if (!s.local.enroll(kCard, "T-1", kAt, e)) return false;
            throw std::runtime_error("boom");
        },
        &err));
    EXPECT_NE(err.find("boom"), std::string::npos) << err;
    EXPECT_FALSE(s.bound(kCard));
}

TEST(AuditTransact, FailedAuditAppendUndoesTheChange) {
    TempDir dir;
    SharedStores s(dir / "kiosk.db");
    // The trail refuses rows (as a broken or read-only trail would): an insert trigger aborts.
    s.db->exec(
        "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'no rows'); "
        "END");
    std::string err;
    AuditReceipt r;
    EXPECT_FALSE(s.audit.transact(
        [&](std::string* e) {
            return s.local.enroll(kCard, "T-1", kAt, e) && s.audit.append(event(1), &r, e);
        },
        &err));
    EXPECT_NE(err.find("no rows"), std::string::npos) << err;
    EXPECT_FALSE(s.bound(kCard));
}

TEST(AuditTransact, FailedStoreWriteInsideKeepsTheOuterTransactionUsable) {
    TempDir dir;
    SharedStores s(dir / "kiosk.db");
    std::string err;
    AuditReceipt r;
    ASSERT_TRUE(s.audit.transact(
        [&](std::string* e) {
            std::string ignored;
            // A refused inner write (its savepoint rolled back) does not end the transaction.
            EXPECT_FALSE(s.local.unenroll(kCard, kAt, &ignored));
            return s.local.enroll(kCard, "T-1", kAt, e) && s.audit.append(event(1), &r, e);
        },
        &err))
        << err;
    EXPECT_TRUE(s.bound(kCard));
    // A nested transact joins the outer one: rolled back with it.
    EXPECT_FALSE(s.audit.transact(
        [&](std::string* e) {
            EXPECT_TRUE(s.audit.transact(
                [&](std::string* e2) { return s.audit.append(event(2), &r, e2); }, e));
            *e = "outer refused";
            return false;
        },
        &err));
    EXPECT_EQ(s.rows(), 1);
}

TEST(AuditTransact, TheWriteLockIsHeldFromTheStart) {
    TempDir dir;
    SharedStores s(dir / "kiosk.db");
    std::string err;
    ASSERT_TRUE(s.audit.transact(
        [&](std::string*) {
            // Another writer cannot slip in between what the work reads and what it writes.
            Database other(dir / "kiosk.db", Database::Mode::ReadWrite);
            other.exec("PRAGMA busy_timeout = 0");
            EXPECT_THROW(other.exec("BEGIN IMMEDIATE"), SqliteError);
            return true;
        },
        &err))
        << err;
}

TEST(AuditStore, ExportCsvIsRfc4180WithHeader) {
    TempDir dir;
    std::string path = make_trail(dir, 3);
    AuditStore store(path, false);
    std::ostringstream out;
    std::string err;
    ASSERT_TRUE(store.export_events(out, "csv", std::nullopt, &err)) << err;
    std::string csv = out.str();
    EXPECT_EQ(csv.rfind("seq,at,kind,actor,trainee_no,card_prefix,outcome,detail,row_hash\r\n", 0),
              0u);
    EXPECT_NE(csv.find("1,2026-11-24T10:00:01+09:00,decision,reader-1,T-1001,a1b2c3d4e5f6,deny,"
                       "\"{\"\"reasons\"\":[\"\"ORDER_VIOLATION\"\"],\"\"n\"\":1}\","),
              std::string::npos)
        << csv;
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
}

TEST(AuditStore, ExportJsonSinceFiltersByTime) {
    TempDir dir;
    std::string path = make_trail(dir, 5);
    AuditStore store(path, false);
    std::ostringstream out;
    std::string err;
    ASSERT_TRUE(store.export_events(out, "json", kT0 + 4s, &err)) << err;
    auto j = nlohmann::json::parse(out.str());
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["seq"], 4);
    EXPECT_EQ(j[0]["at"], "2026-11-24T10:00:04+09:00");
    EXPECT_EQ(j[0]["trainee_no"], "T-1004");
    EXPECT_EQ(j[0]["detail"], event(4).detail);
    EXPECT_EQ(j[1]["row_hash"].get<std::string>().size(), 64u);
    for (const char* key : {"seq", "at", "kind", "actor", "trainee_no", "card_prefix", "outcome",
                            "detail", "row_hash"})
        EXPECT_TRUE(j[0].contains(key)) << key;

    std::ostringstream none;
    ASSERT_TRUE(store.export_events(none, "json", kT0 + 1h, &err)) << err;
    EXPECT_EQ(nlohmann::json::parse(none.str()).size(), 0u);
    EXPECT_FALSE(store.export_events(none, "xml", std::nullopt, &err));
    EXPECT_NE(err.find("xml"), std::string::npos);
}

TEST(AuditStore, LatestReturnsNewestFirst) {
    TempDir dir;
    std::string path = make_trail(dir, 5);
    AuditStore store(path, false);
    std::vector<AuditRow> rows;
    std::string err;
    ASSERT_TRUE(store.latest(3, &rows, &err)) << err;
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].seq, 5);
    EXPECT_EQ(rows[2].seq, 3);
    EXPECT_EQ(rows[0].event.trainee_no, "T-1005");
    EXPECT_EQ(rows[0].prev_hash, rows[1].row_hash);
}

TEST(AuditStore, OpenWithoutCreateRefusesMissingFile) {
    TempDir dir;
    try {
        AuditStore store(dir / "audit.db", false);
        FAIL() << "opened a missing audit.db";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("run kioskctl init"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "audit.db"));
}

}  // namespace
}  // namespace kiosk::db
