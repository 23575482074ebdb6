// StaffDesk over the real SQLite stores (issue 11): the PIN lockout survives a restart, a rehash
// is stored, and two processes racing on the same staff action (ending one session, overriding
// for one trainee, enrolling one card, PIN attempts on one staff card) leave exactly one result
// and nothing half-done.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "db/data_dir.h"
#include "db/feed_import.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "db/staff_records.h"
#include "db_test_dir.h"
#include "kiosk/staff_desk.h"

namespace kiosk::db {
namespace {

Instant T(const char* s) { return *parse_instant(s); }
Gatekeeper::StartRequest plain_start(const CardUid& c) {
    Gatekeeper::StartRequest r;
    r.card = c;
    return r;
}

// One opened data directory with the staff service over it, as a kiosk process has it.
struct Kiosk {
    std::unique_ptr<DataDir> data;
    std::unique_ptr<StaffRecordsStore> records;
    std::unique_ptr<Gatekeeper> gate;
    std::unique_ptr<StaffDesk> desk;

    Kiosk(const std::string& dir, StaffConfig config) {
        std::string err;
        data = DataDir::open(dir, &err);
        if (!data) throw std::runtime_error(err);
        records = std::make_unique<StaffRecordsStore>(data->local(), data->audit());
        gate = std::make_unique<Gatekeeper>(data->mirror(), data->local(), data->audit(),
                                            data->secret(), Policy{});
        desk = std::make_unique<StaffDesk>(*gate, data->mirror(), data->local(), data->audit(),
                                           *records, data->secret(), config, 120, Policy{});
    }
};

class StaffDeskDbTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_GE(sodium_init(), 0);
        std::string err, report;
        ASSERT_TRUE(DataDir::init(dir / "data", &report, &err)) << err;
        auto data = DataDir::open(dir / "data", &err);
        ASSERT_TRUE(data) << err;
        std::ofstream(dir / "feed.csv")
            << "trainee_no,name,course,certificate_no,completed_on,status,user_since\n"
               "A-1,Taro,OVERVIEW,C-1,2024-05-01,issued,2023-04-01\n"
               "A-1,Taro,SYSOP,C-2,2024-06-01,issued,2023-04-01\n"
               "L-1,Jiro,OVERVIEW,C-3,2024-05-01,issued,2023-04-01\n"
               "L-1,Jiro,SYSOP,C-4,2024-06-01,lost,2023-04-01\n"
               "N-1,Hanako,OVERVIEW,C-5,2024-05-01,issued,\n"
               "N-1,Hanako,SYSOP,C-6,2024-06-01,issued,\n";
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
        ASSERT_TRUE(data->local().enroll(card_hash(data->secret(), card("04000000000001")), "A-1",
                                         now, &err));
        ASSERT_TRUE(data->local().enroll(card_hash(data->secret(), card("04000000000002")), "L-1",
                                         now, &err));
        // add_staff hashes at libsodium's INTERACTIVE cost, the default of [staff].
        ASSERT_TRUE(data->local().add_staff(
            "S-1", "Sato", card_hash(data->secret(), card("05000000000001")), "123456", &err))
            << err;
        // The tests sign in many times: a cheap hash keeps them fast (the cost is configuration;
        // ARaisedHashCostIsStoredAtTheNextSignIn and staff_bench cover the shipped one).
        config.pin_hash_passes = 1;
        config.pin_hash_memory_mib = 8;
        StaffRecordsStore records(data->local(), data->audit());
        std::optional<StaffAccount> a;
        ASSERT_TRUE(records.find_staff_by_card(card_hash(data->secret(), card("05000000000001")),
                                               &a, &err));
        StaffAccount cheap = *a;
        ASSERT_TRUE(hash_pin(data->secret(), "123456", {1, 8u << 20}, &cheap.pin_hash, &err));
        bool applied = false;
        ASSERT_TRUE(records.update_staff_attempt(*a, cheap, &applied, &err) && applied) << err;
    }

    static CardUid card(const char* hex) {
        std::string err;
        return *parse_card_uid(hex, &err);
    }
    std::string data_dir() { return dir / "data"; }

    std::vector<AuditRow> audit_rows(const std::string& kind) {
        std::string err;
        auto data = DataDir::open(data_dir(), &err);
        std::vector<AuditRow> all, out;
        EXPECT_TRUE(data->audit().latest(100000, &all, &err)) << err;
        for (auto& r : all)
            if (r.event.kind == kind) out.push_back(r);
        return out;
    }

    // Runs `action` in two child processes at once (released together through a pipe); returns
    // their exit codes.
    std::vector<int> race(const std::function<int(int which)>& action) {
        int go[2];
        EXPECT_EQ(::pipe(go), 0);
        std::vector<pid_t> kids;
        for (int i = 0; i < 2; ++i) {
            pid_t pid = ::fork();
            if (pid == 0) {
                ::close(go[1]);
                char c;
                if (::read(go[0], &c, 1) != 1) ::_exit(100);
                int rc = 101;
                try {
                    rc = action(i);
                } catch (...) {
                }
                ::_exit(rc);
            }
            kids.push_back(pid);
        }
        ::close(go[0]);
        EXPECT_EQ(::write(go[1], "gg", 2), 2);
        ::close(go[1]);
        std::vector<int> codes;
        for (pid_t k : kids) {
            int st = 0;
            ::waitpid(k, &st, 0);
            codes.push_back(WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }
        std::sort(codes.begin(), codes.end());
        return codes;
    }

    StaffSignIn sign_in(Kiosk& k) {
        auto r = k.desk->sign_in(card("05000000000001"), "123456", now, "reader");
        if (!r.staff) throw std::runtime_error(r.outcome.message);
        return *r.staff;
    }

    testing::TempDir dir;
    StaffConfig config;
    Instant now = T("2026-11-24T10:00:00+09:00");
};

TEST_F(StaffDeskDbTest, TheLockoutSurvivesARestartAndEveryAttemptIsInTheAuditTrail) {
    {
        Kiosk k(data_dir(), config);
        for (int i = 0; i < 5; ++i)
            k.desk->sign_in(card("05000000000001"), "999999", now, "reader");
    }
    Kiosk restarted(data_dir(), config);
    auto r = restarted.desk->sign_in(card("05000000000001"), "123456",
                                     now + std::chrono::minutes(10), "reader");
    EXPECT_EQ(r.outcome.issue, StaffIssue::StaffLocked);
    EXPECT_FALSE(r.staff);
    auto later = restarted.desk->sign_in(card("05000000000001"), "123456",
                                         now + std::chrono::minutes(15), "reader");
    EXPECT_TRUE(later.outcome.ok()) << later.outcome.message;
    std::vector<std::string> outcomes;
    for (auto& row : audit_rows("staff.signin"))
        outcomes.insert(outcomes.begin(), row.event.outcome);
    EXPECT_EQ(outcomes, (std::vector<std::string>{"wrong", "wrong", "wrong", "wrong", "lockout",
                                                  "locked", "ok"}));
}

TEST_F(StaffDeskDbTest, ARaisedHashCostIsStoredAtTheNextSignIn) {
    config.pin_hash_passes = 2;
    config.pin_hash_memory_mib = 16;
    Kiosk k(data_dir(), config);
    auto r = k.desk->sign_in(card("05000000000001"), "123456", now, "reader");
    ASSERT_TRUE(r.outcome.ok()) << r.outcome.message;
    EXPECT_TRUE(r.rehashed);
    std::optional<StaffAccount> a;
    std::string err;
    ASSERT_TRUE(k.records->find_staff_by_card(card_hash(k.data->secret(), card("05000000000001")),
                                              &a, &err));
    EXPECT_NE(a->pin_hash.find("m=16384,t=2"), std::string::npos) << a->pin_hash;
    EXPECT_FALSE(k.desk->sign_in(card("05000000000001"), "123456", now, "reader").rehashed);
}

TEST_F(StaffDeskDbTest, TwoProcessesEndingTheSameSessionEndItOnceWithOneAuditRow) {
    std::int64_t id = 0;
    {
        Kiosk k(data_dir(), config);
        auto s = k.gate->start_session(plain_start(card("04000000000001")), now, "reader");
        ASSERT_TRUE(s.session);
        id = s.session->id;
    }
    auto codes = race([&](int) {
        Kiosk k(data_dir(), config);
        StaffSignIn who = sign_in(k);
        return static_cast<int>(k.desk->end_session(who, id, now + std::chrono::minutes(1)).issue);
    });
    EXPECT_EQ(codes, (std::vector<int>{static_cast<int>(StaffIssue::None),
                                       static_cast<int>(StaffIssue::SessionNotActive)}));
    EXPECT_EQ(audit_rows("session.end").size(), 1u);
}

TEST_F(StaffDeskDbTest, TwoProcessesOverridingForOneTraineeStartOneSession_TR5) {
    auto codes = race([&](int i) {
        Kiosk k(data_dir(), config);
        StaffSignIn who = sign_in(k);
        OverrideRequest req{card("04000000000002"), "", "", fmt::format("kiosk {}", i), 30};
        return static_cast<int>(k.desk->override_refusal(who, req, now).outcome.issue);
    });
    EXPECT_EQ(codes, (std::vector<int>{static_cast<int>(StaffIssue::None),
                                       static_cast<int>(StaffIssue::AlreadyInSession)}));
    auto starts = audit_rows("session.start");
    ASSERT_EQ(starts.size(), 1u);
    EXPECT_EQ(starts[0].event.outcome, "override");
    Kiosk k(data_dir(), config);
    std::vector<SessionRecord> active;
    std::string err;
    ASSERT_TRUE(k.data->local().active_sessions(now, &active, &err));
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].override_by, "S-1");
}

TEST_F(StaffDeskDbTest, TwoProcessesEnrollingOneCardToTwoTraineesBindItOnce_TR5) {
    auto codes = race([&](int i) {
        Kiosk k(data_dir(), config);
        StaffSignIn who = sign_in(k);
        return static_cast<int>(
            k.desk->enroll(who, card("04ABCDEF000001"), i == 0 ? "N-1" : "A-1", now).issue);
    });
    EXPECT_EQ(codes, (std::vector<int>{static_cast<int>(StaffIssue::None),
                                       static_cast<int>(StaffIssue::CardBoundElsewhere)}));
    auto rows = audit_rows("card.enroll");
    int ok = 0;
    for (auto& r : rows) ok += r.event.outcome == "ok";
    EXPECT_EQ(ok, 1);
}

TEST_F(StaffDeskDbTest, WrongPinsFromTwoProcessesAreAllCounted) {
    auto codes = race([&](int) {
        Kiosk k(data_dir(), config);
        int last = 0;
        for (int n = 0; n < 2; ++n)
            last = static_cast<int>(
                k.desk->sign_in(card("05000000000001"), "000000", now, "reader").outcome.issue);
        return last;
    });
    EXPECT_EQ(codes.size(), 2u);
    Kiosk k(data_dir(), config);
    std::optional<StaffAccount> a;
    std::string err;
    ASSERT_TRUE(k.records->find_staff_by_card(card_hash(k.data->secret(), card("05000000000001")),
                                              &a, &err));
    EXPECT_EQ(a->failed_attempts, 4);
    EXPECT_EQ(audit_rows("staff.signin").size(), 4u);
}

}  // namespace
}  // namespace kiosk::db
