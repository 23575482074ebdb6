// The Gatekeeper over the real SQLite stores: a decision is returned only after its audit row
// commits, a failed audit write or an unreadable store turns the answer into a refusal
// (KIOSK_FAULT), sessions follow TR-5, and a newcomer's session queues a briefing (TR-9).
#include <gtest/gtest.h>
#include <sodium.h>
#include <sqlite3.h>

#include <fstream>
#include <thread>

#include "db/audit_store.h"
#include "db/data_dir.h"
#include "db/feed_import.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "db_test_dir.h"
#include "kiosk/gatekeeper.h"

namespace kiosk::db {
namespace {

Instant T(const char* s) { return *parse_instant(s); }

class GatekeeperTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_GE(sodium_init(), 0);
        std::string err, report;
        ASSERT_TRUE(DataDir::init(dir / "data", &report, &err)) << err;
        data = DataDir::open(dir / "data", &err);
        ASSERT_TRUE(data) << err;
        std::ofstream(dir / "feed.csv")
            << "trainee_no,name,course,certificate_no,completed_on,status,user_since\n"
               "A-1,Taro,OVERVIEW,C-1,2024-05-01,issued,2023-04-01\n"
               "A-1,Taro,SYSOP,C-2,2024-06-01,issued,2023-04-01\n"
               "N-1,Hanako,OVERVIEW,C-3,2024-05-01,issued,\n"
               "N-1,Hanako,SYSOP,C-4,2024-06-01,issued,\n";
        auto kp = minisign_keypair_from_seed({});
        ASSERT_TRUE(write_minisign_key_files(kp, dir / "k.pub", dir / "k.key", &err)) << err;
        ASSERT_TRUE(minisign_sign_file(dir / "feed.csv", kp,
                                       "sequence=1 generated_at=2026-11-24T02:00:00+09:00",
                                       dir / "feed.csv.minisig", &err))
            << err;
        SyncRequest req;
        req.csv_path = dir / "feed.csv";
        req.public_key_path = dir / "k.pub";
        req.now = T("2026-11-24T03:00:00+09:00");
        SyncReport rep;
        ASSERT_TRUE(sync_snapshot(req, data->mirror(), data->audit(), &rep, &err)) << err;
        uid = *parse_card_uid("04A1B2C3D4E5F6", &err);
        newcomer = *parse_card_uid("04A1B2C3D4E5F7", &err);
        ASSERT_TRUE(data->local().enroll(card_hash(data->secret(), uid), "A-1", now, &err));
        ASSERT_TRUE(data->local().enroll(card_hash(data->secret(), newcomer), "N-1", now, &err));
        gate = std::make_unique<Gatekeeper>(data->mirror(), data->local(), data->audit(),
                                            data->secret(), Policy{});
    }

    std::int64_t audit_rows() {
        std::int64_t seq = 0;
        std::string hash, err;
        EXPECT_TRUE(data->audit().head(&seq, &hash, &err)) << err;
        return seq;
    }

    testing::TempDir dir;
    std::unique_ptr<DataDir> data;
    std::unique_ptr<Gatekeeper> gate;
    CardUid uid, newcomer;
    Instant now = T("2026-11-24T10:00:00+09:00");
};

TEST_F(GatekeeperTest, EveryDecisionIsAuditedBeforeItIsReturned) {
    auto before = audit_rows();
    auto r = gate->decide_card(uid, now, "test");
    EXPECT_TRUE(r.decision.granted) << decision_json(r.decision);
    EXPECT_EQ(r.audit.seq, before + 1);
    EXPECT_EQ(audit_rows(), before + 1);
    std::optional<AuditRow> row;
    std::string err;
    ASSERT_TRUE(data->audit().row_at(r.audit.seq, &row, &err)) << err;
    ASSERT_TRUE(row);
    EXPECT_EQ(row->event.kind, "decision");
    EXPECT_EQ(row->event.outcome, "grant");
    EXPECT_EQ(row->event.trainee_no, "A-1");
    EXPECT_EQ(row->event.card_prefix, card_hash_prefix(r.card_hash));
    EXPECT_EQ(row->event.detail.find("Taro"), std::string::npos);  // never names
}

TEST_F(GatekeeperTest, FailedAuditWriteTurnsAGrantIntoARefusal) {
    // Break the audit trail behind the store's back: the table is gone.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "data/kiosk.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE events", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto r = gate->decide_card(uid, now, "test");
    EXPECT_FALSE(r.decision.granted);
    EXPECT_TRUE(r.decision.has_reason(Code::KioskFault));
    EXPECT_NE(r.fault.find("audit"), std::string::npos) << r.fault;
    // and no session can start unaudited
    Gatekeeper::StartRequest req;
    req.card = uid;
    auto s = gate->start_session(req, now, "test");
    EXPECT_FALSE(s.decision.granted);
    std::vector<SessionRecord> active;
    std::string err;
    ASSERT_TRUE(data->local().active_sessions(now, &active, &err)) << err;
    EXPECT_TRUE(active.empty());
}

TEST_F(GatekeeperTest, UnreadableMirrorRefuses) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "data/mirror.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE certificates", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto r = gate->decide_card(uid, now, "test");
    EXPECT_FALSE(r.decision.granted);
    EXPECT_TRUE(r.decision.has_reason(Code::KioskFault));
    EXPECT_GT(r.audit.seq, 0);  // the refusal itself is audited
}

// A record edited inside mirror.db (here: its completion dates rewritten) no longer
// matches its digest: the kiosk refuses rather than decides on it, and says why in the audit.
TEST_F(GatekeeperTest, MirrorRecordChangedOutsideASyncRefuses) {
    auto before = gate->decide_card(uid, now, "test");
    ASSERT_TRUE(before.decision.granted) << decision_json(before.decision);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "data/mirror.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE certificates SET completed_on = '2020-01-01'", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    auto r = gate->decide_card(uid, now, "test");
    EXPECT_FALSE(r.decision.granted);
    EXPECT_TRUE(r.decision.has_reason(Code::KioskFault));
    EXPECT_NE(r.fault.find("does not match its digest"), std::string::npos) << r.fault;
    EXPECT_GT(r.audit.seq, 0);
}

TEST_F(GatekeeperTest, TR5_OneSessionPerTraineeAndReTapShowsIt) {
    Gatekeeper::StartRequest req;
    req.card = uid;
    auto s = gate->start_session(req, now, "test");
    ASSERT_TRUE(s.decision.granted) << decision_json(s.decision) << s.fault;
    ASSERT_TRUE(s.session);
    auto again = gate->decide_card(uid, now + std::chrono::minutes(5), "test");
    EXPECT_EQ(again.decision.reasons,
              (std::vector<Finding>{{Code::AlreadyInSession, std::nullopt, {"TR-5"}}}));
    ASSERT_TRUE(again.session);
    EXPECT_EQ(again.session->id, s.session->id);
    auto second = gate->start_session(req, now + std::chrono::minutes(6), "test");
    EXPECT_FALSE(second.decision.granted);
}

TEST_F(GatekeeperTest, TR9_NewcomerSessionQueuesABriefing) {
    Gatekeeper::StartRequest req;
    req.card = newcomer;
    auto s = gate->start_session(req, now, "test");
    ASSERT_TRUE(s.decision.granted);
    EXPECT_TRUE(s.decision.has_notice(Code::BriefingNeeded));
    std::vector<BriefingEntry> queue;
    std::string err;
    ASSERT_TRUE(data->local().briefing_queue(&queue, &err)) << err;
    ASSERT_EQ(queue.size(), 1u);
    EXPECT_EQ(queue[0].trainee_no, "N-1");
    // After that session the newcomer is experienced: no briefing notice next time (TR-9).
    ASSERT_TRUE(
        gate->end_session(s.session->id, now + std::chrono::minutes(30), "test", "ended", &err))
        << err;
    auto later = gate->decide_card(newcomer, now + std::chrono::hours(24), "test");
    EXPECT_TRUE(later.decision.granted);
    EXPECT_FALSE(later.decision.has_notice(Code::BriefingNeeded));
}

TEST_F(GatekeeperTest, StaffOverrideStartsARefusedSessionAndRecordsTheRefusal) {
    Policy one_seat;
    one_seat.seats = 1;
    Gatekeeper g(data->mirror(), data->local(), data->audit(), data->secret(), one_seat);
    Gatekeeper::StartRequest first;
    first.card = uid;
    ASSERT_TRUE(g.start_session(first, now, "test").decision.granted);
    Gatekeeper::StartRequest req;
    req.card = newcomer;
    EXPECT_FALSE(g.start_session(req, now, "test").decision.granted);  // NO_SEAT
    req.override_by = "staff1";
    req.override_reason = "extra terminal opened";
    auto s = g.start_session(req, now, "test");
    ASSERT_TRUE(s.decision.granted);
    ASSERT_TRUE(s.session);
    EXPECT_NE(s.session->override_reason.find("NO_SEAT"), std::string::npos);
    EXPECT_EQ(s.session->override_by, "staff1");
}

// Issue 9 item 2/4: when the session's audit row cannot be written, neither the session nor the
// decision's "grant" stays: the answer is a refusal, and that refusal is what the audit holds.
TEST_F(GatekeeperTest, SessionWhoseAuditRowFailsIsNotStartedAndTheAuditSaysDeny) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "data/kiosk.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER no_start BEFORE INSERT ON events WHEN "
                           "NEW.kind = 'session.start' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    auto before = audit_rows();
    Gatekeeper::StartRequest req;
    req.card = uid;
    auto s = gate->start_session(req, now, "test");
    EXPECT_FALSE(s.decision.granted);
    EXPECT_TRUE(s.decision.has_reason(Code::KioskFault));
    EXPECT_FALSE(s.session);
    EXPECT_NE(s.fault.find("disk full"), std::string::npos) << s.fault;
    std::vector<SessionRecord> all;
    std::string err;
    ASSERT_TRUE(data->local().list_sessions(false, now, &all, &err)) << err;
    EXPECT_TRUE(all.empty());
    ASSERT_EQ(audit_rows(), before + 1);  // one row: the refusal that was shown
    std::optional<AuditRow> row;
    ASSERT_TRUE(data->audit().row_at(before + 1, &row, &err)) << err;
    ASSERT_TRUE(row);
    EXPECT_EQ(row->event.kind, "decision");
    EXPECT_EQ(row->event.outcome, "deny");
    EXPECT_NE(row->event.detail.find("KIOSK_FAULT"), std::string::npos) << row->event.detail;
    EXPECT_EQ(s.audit.seq, before + 1);
}

// Issue 9 item 3/4: two kiosks (two connections) starting at once are decided one after the
// other under the write lock: never more sessions than seats, never two for one trainee, and
// the loser is told what its audit row says.
TEST_F(GatekeeperTest, ConcurrentStartsNeverOverbookSeatsOrBreakTR5) {
    Policy one_seat;
    one_seat.seats = 1;
    for (int round = 0; round < 20; ++round) {
        Instant t = now + std::chrono::minutes(10 * round);
        std::vector<TapResult> results(4);
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&, i] {
                std::string err;
                auto d = DataDir::open(dir / "data", &err);
                ASSERT_TRUE(d) << err;
                Gatekeeper g(d->mirror(), d->local(), d->audit(), d->secret(), one_seat);
                Gatekeeper::StartRequest req;
                req.card = i % 2 ? uid : newcomer;
                results[static_cast<size_t>(i)] = g.start_session(req, t, "test");
            });
        }
        for (auto& th : threads) th.join();
        int started = 0;
        for (auto& r : results) {
            EXPECT_FALSE(r.decision.has_reason(Code::KioskFault)) << r.fault;
            if (r.decision.granted && r.session) ++started;  // (a loser sees the running one)
            if (!r.decision.granted) {
                EXPECT_TRUE(r.decision.has_reason(Code::NoSeat) ||
                            r.decision.has_reason(Code::AlreadyInSession))
                    << decision_json(r.decision);
            }
            std::optional<AuditRow> row;
            std::string err;
            ASSERT_TRUE(data->audit().row_at(r.audit.seq, &row, &err)) << err;
            ASSERT_TRUE(row);
            EXPECT_EQ(row->event.outcome, r.decision.granted ? "grant" : "deny");
        }
        EXPECT_EQ(started, 1) << "round " << round;
        std::vector<SessionRecord> active;
        std::string err;
        ASSERT_TRUE(data->local().active_sessions(t, &active, &err)) << err;
        EXPECT_EQ(active.size(), 1u) << "round " << round;
        for (auto& a : active)
            ASSERT_TRUE(gate->end_session(a.id, t + std::chrono::minutes(1), "test", "ended", &err))
                << err;
    }
}

// Issue 9 item 8: a session past its end is closed by its trainee's next start, and that is
// audited; nobody else's session is touched.
TEST_F(GatekeeperTest, ExpiredSessionClosedByTheNextStartIsAudited) {
    Gatekeeper::StartRequest req;
    req.card = uid;
    req.minutes = 30;
    auto first = gate->start_session(req, now, "test");
    ASSERT_TRUE(first.session) << first.fault;
    auto later = now + std::chrono::hours(2);
    auto second = gate->start_session(req, later, "test");
    ASSERT_TRUE(second.session) << second.fault << decision_json(second.decision);
    std::vector<db::AuditRow> rows;
    std::string err;
    ASSERT_TRUE(data->audit().latest(3, &rows, &err)) << err;
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].event.kind, "session.start");
    EXPECT_EQ(rows[1].event.kind, "session.end");
    EXPECT_NE(rows[1].event.detail.find("expired"), std::string::npos) << rows[1].event.detail;
    EXPECT_NE(rows[1].event.detail.find(std::to_string(first.session->id)), std::string::npos);
    EXPECT_EQ(rows[2].event.kind, "decision");
}

}  // namespace
}  // namespace kiosk::db
