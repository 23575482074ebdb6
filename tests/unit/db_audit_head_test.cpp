// Tests of the exported audit chain head (db/audit_head.h) and the audit store's lookups that
// back it and `kioskctl status`: latest_of_kind (by the schema-2 index), row_at, the migration of a
// schema-1 audit.db, and detection of removed newest rows against an exported head.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "db/audit_head.h"
#include "db/audit_store.h"
#include "db/kiosk_db.h"
#include "db/migrations.h"
#include "db/sqlite.h"
#include "db_test_dir.h"

namespace kiosk::db {
namespace {

using testing::TempDir;

const Instant kT0 = *parse_instant("2026-11-24T03:00:00+09:00");

AuditEvent event(int i, std::string kind) {
    return AuditEvent{.at = kT0 + std::chrono::seconds{i},
                      .kind = std::move(kind),
                      .actor = "kioskctl",
                      .trainee_no = "",
                      .card_prefix = "",
                      .outcome = "ok",
                      .detail = "{\"n\":" + std::to_string(i) + "}"};
}

void append(AuditStore& s, const AuditEvent& e) {
    std::string err;
    AuditReceipt r;
    ASSERT_TRUE(s.append(e, &r, &err)) << err;
}

TEST(AuditHead, FormatAndParseRoundTrip) {
    AuditHead h{42, std::string(64, 'a')};
    std::string line = format_audit_head(h);
    EXPECT_EQ(line, "audit head: seq 42 hash " + std::string(64, 'a'));
    AuditHead back;
    std::string err;
    ASSERT_TRUE(parse_audit_head(line + "\n", "x", &back, &err)) << err;
    EXPECT_EQ(back.seq, 42);
    EXPECT_EQ(back.hash, h.hash);
}

TEST(AuditHead, ParseRefusesWhatIsNotAHead) {
    AuditHead h;
    std::string err;
    EXPECT_FALSE(parse_audit_head("seq 4 hash abc", "head.txt", &h, &err));
    EXPECT_NE(err.find("head.txt: not an audit head"), std::string::npos) << err;
    EXPECT_FALSE(parse_audit_head("audit head: seq x hash " + std::string(64, 'a'), "f", &h, &err));
    EXPECT_FALSE(parse_audit_head("audit head: seq 3 hash ABC", "f", &h, &err));
    EXPECT_NE(err.find("is not 64 lower-case hex digits"), std::string::npos) << err;
    EXPECT_FALSE(parse_audit_head("audit head: seq 3 hash " + std::string(64, 'a') + " more", "f",
                                  &h, &err));
}

TEST(AuditHead, FileIsReplacedAtomicallyAndNoTemporaryStays) {
    TempDir tmp;
    const std::string path = tmp / "audit-head.txt";
    std::string err;
    ASSERT_TRUE(write_audit_head_file(path, {1, std::string(64, '1')}, &err)) << err;
    ASSERT_TRUE(write_audit_head_file(path, {2, std::string(64, '2')}, &err)) << err;
    AuditHead h;
    ASSERT_TRUE(read_audit_head_file(path, &h, &err)) << err;
    EXPECT_EQ(h.seq, 2);
    EXPECT_EQ(h.hash, std::string(64, '2'));
    int files = 0;
    for (auto& e : std::filesystem::directory_iterator(tmp.path())) {
        (void)e;
        ++files;
    }
    EXPECT_EQ(files, 1);
    EXPECT_FALSE(write_audit_head_file(tmp / "no/such/dir/head.txt", h, &err));
    EXPECT_NE(err.find("cannot write the audit head"), std::string::npos) << err;
}

TEST(AuditHead, LatestOfKindFindsTheNewestRowOfThatKind) {
    TempDir tmp;
    AuditStore s(tmp / "audit.db", true);
    std::string err;
    std::optional<AuditRow> row;
    ASSERT_TRUE(s.latest_of_kind("sync.applied", &row, &err)) << err;
    EXPECT_FALSE(row);
    append(s, event(1, "sync.applied"));
    append(s, event(2, "decision"));
    append(s, event(3, "sync.rejected"));
    append(s, event(4, "sync.applied"));
    append(s, event(5, "decision"));
    ASSERT_TRUE(s.latest_of_kind("sync.applied", &row, &err)) << err;
    ASSERT_TRUE(row);
    EXPECT_EQ(row->seq, 4);
    EXPECT_EQ(row->event.detail, "{\"n\":4}");
    ASSERT_TRUE(s.latest_of_kind("sync.rejected", &row, &err)) << err;
    ASSERT_TRUE(row);
    EXPECT_EQ(row->seq, 3);
    ASSERT_TRUE(s.row_at(2, &row, &err)) << err;
    ASSERT_TRUE(row);
    EXPECT_EQ(row->event.kind, "decision");
    ASSERT_TRUE(s.row_at(6, &row, &err)) << err;
    EXPECT_FALSE(row);
}

TEST(AuditHead, SchemaOneTrailIsMigratedAndTheLookupUsesTheIndex) {
    TempDir tmp;
    const std::string path = tmp / "audit.db";
    {  // a trail of schema 1: the events table, no index on kind (kiosk.db's first step)
        auto db = std::make_shared<Database>(path, Database::Mode::ReadWriteCreate);
        migrate(*db, KioskDb::steps().subspan(0, 1), "audit.db");
        AuditStore s(db);
        append(s, event(1, "sync.applied"));
    }
    EXPECT_THROW(AuditStore(path, false), std::exception);  // an open does not migrate
    AuditStore s(path, true);                               // init does
    Database db(path, Database::Mode::ReadOnly);
    EXPECT_EQ(db.user_version(), AuditStore::kSchemaVersion);
    auto plan = db.prepare(
        "EXPLAIN QUERY PLAN SELECT seq FROM events WHERE kind = 'sync.applied' ORDER BY seq DESC "
        "LIMIT 1");
    std::string detail;
    while (plan.step()) detail += plan.column_text(3) + ";";
    EXPECT_NE(detail.find("events_kind_seq"), std::string::npos) << detail;
    std::optional<AuditRow> row;
    std::string err;
    ASSERT_TRUE(s.latest_of_kind("sync.applied", &row, &err)) << err;
    EXPECT_TRUE(row);
}

TEST(AuditHead, RemovedNewestRowsAreDetectedAgainstTheExportedHead) {
    TempDir tmp;
    const std::string path = tmp / "audit.db";
    AuditStore s(path, true);
    for (int i = 1; i <= 5; ++i) append(s, event(i, "decision"));
    AuditHead h;
    std::string err, problem;
    ASSERT_TRUE(export_audit_head(s, tmp / "audit-head.txt", &h, &err)) << err;
    EXPECT_EQ(h.seq, 5);
    append(s, event(6, "decision"));  // later rows are fine
    ASSERT_TRUE(check_audit_head(s, h, &problem, &err)) << err;
    EXPECT_EQ(problem, "");
    {
        Database db(path, Database::Mode::ReadWrite);
        db.exec("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq >= 4");
    }
    AuditVerifyResult v;
    ASSERT_TRUE(s.verify(&v, &err)) << err;
    EXPECT_TRUE(v.ok) << "the chain alone cannot see removed newest rows";
    ASSERT_TRUE(check_audit_head(s, h, &problem, &err)) << err;
    EXPECT_EQ(problem,
              "row 5 of the exported head is missing: the trail ends at row 3 (rows 4..5 were "
              "removed)");
    AuditHead other{3, std::string(64, 'f')};
    ASSERT_TRUE(check_audit_head(s, other, &problem, &err)) << err;
    EXPECT_NE(problem.find("row 3 has hash"), std::string::npos) << problem;
}

}  // namespace
}  // namespace kiosk::db

// Issue 9 item 9: after the trail is rolled back (an older audit.db put back), the export refuses
// to overwrite the head that is no longer in the chain, and leaves the file as it was.
namespace kiosk::db {
namespace {

TEST(AuditHead, ExportRefusesToOverwriteAHeadNoLongerInTheChain) {
    TempDir tmp;
    const std::string head_path = tmp / "audit-head.txt";
    std::string err;
    {
        AuditStore s(tmp / "audit.db", true);
        append(s, event(1, "decision"));
        ASSERT_TRUE(export_audit_head(s, head_path, nullptr, &err)) << err;
    }
    std::filesystem::copy_file(tmp / "audit.db", tmp / "audit-old.db");
    AuditHead exported;
    {
        AuditStore s(tmp / "audit.db", true);
        append(s, event(2, "decision"));
        append(s, event(3, "decision"));
        ASSERT_TRUE(export_audit_head(s, head_path, &exported, &err)) << err;
        EXPECT_EQ(exported.seq, 3);
    }
    std::filesystem::rename(tmp / "audit-old.db", tmp / "audit.db");
    AuditStore rolled_back(tmp / "audit.db", false);
    std::string problem;
    ASSERT_TRUE(check_exported_head(rolled_back, head_path, &problem, &err)) << err;
    EXPECT_NE(problem.find("no longer holds the previously exported head"), std::string::npos)
        << problem;
    EXPECT_FALSE(export_audit_head(rolled_back, head_path, nullptr, &err));
    EXPECT_NE(err.find("kept as evidence"), std::string::npos) << err;
    AuditHead still;
    ASSERT_TRUE(read_audit_head_file(head_path, &still, &err)) << err;
    EXPECT_EQ(still.seq, exported.seq);
    EXPECT_EQ(still.hash, exported.hash);
}

// Issue 9 item 12: an exported head is read only from a regular file, boundedly.
TEST(AuditHead, ReadRefusesSpecialFilesAtOnce) {
    TempDir tmp;
    AuditHead h;
    std::string err;
    EXPECT_FALSE(read_audit_head_file("/dev/zero", &h, &err));
    EXPECT_NE(err.find("character device, not a regular file"), std::string::npos) << err;
    const std::string fifo = tmp / "head.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_FALSE(read_audit_head_file(fifo, &h, &err));  // returns at once: no writer needed
    EXPECT_NE(err.find("FIFO"), std::string::npos) << err;
    EXPECT_FALSE(read_audit_head_file(tmp.path(), &h, &err));
    EXPECT_NE(err.find("directory"), std::string::npos) << err;
}

// Issue 9 item 5: the rollback floor is the highest sequence of any sync.applied row, whatever
// the order in which the rows were appended.
TEST(AuditHead, HighestAppliedSnapshotIsTheHighestSequenceOnRecord) {
    TempDir tmp;
    AuditStore s(tmp / "audit.db", true);
    std::string err;
    std::optional<AppliedSnapshot> floor;
    ASSERT_TRUE(s.highest_applied_snapshot(&floor, &err)) << err;
    EXPECT_FALSE(floor);
    auto applied = [&](int i, int sequence) {
        AuditEvent e = event(i, "sync.applied");
        e.detail = "{\"sequence\":" + std::to_string(sequence) +
                   ",\"generated_at\":\"2026-11-24T02:00:00+09:00\"}";
        append(s, e);
    };
    applied(1, 4);
    append(s, event(2, "decision"));
    ASSERT_TRUE(s.highest_applied_snapshot(&floor, &err)) << err;
    ASSERT_TRUE(floor);
    EXPECT_EQ(floor->sequence, 4);
    EXPECT_EQ(floor->audit_seq, 1);
    applied(3, 6);
    applied(4, 5);  // a sync whose audit row was appended after a newer one's
    ASSERT_TRUE(s.highest_applied_snapshot(&floor, &err)) << err;
    EXPECT_EQ(floor->sequence, 6);
    EXPECT_EQ(floor->audit_seq, 3);
    EXPECT_EQ(floor->generated_at, *parse_instant("2026-11-24T02:00:00+09:00"));
    AuditStore again(tmp / "audit.db", false);  // a fresh reader finds the same
    ASSERT_TRUE(again.highest_applied_snapshot(&floor, &err)) << err;
    EXPECT_EQ(floor->sequence, 6);
}

}  // namespace
}  // namespace kiosk::db
