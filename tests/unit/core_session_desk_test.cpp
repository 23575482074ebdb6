// SessionDesk over in-memory stores and an in-memory SessionGate (no server needed): a gate that
// fails leaves no session and no seat (TR-5 and seats untouched) and is audited after the
// decision; every open and close is audited with its cause; sweeps close expired sessions, the
// sessions a restart ends, and the sessions the gate no longer holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "kiosk/session_desk.h"

namespace kiosk {
namespace {

Instant T(const char* s) { return *parse_instant(s); }
const Instant kNow = T("2026-11-24T10:00:00+09:00");

struct MemMirror : Mirror {
    std::map<std::string, Trainee, std::less<>> trainees;
    bool find_trainee(std::string_view no, std::optional<Trainee>* out, std::string*) override {
        auto it = trainees.find(no);
        *out = it == trainees.end() ? std::nullopt : std::optional<Trainee>(it->second);
        return true;
    }
    bool feed_state(std::optional<FeedState>* out, std::string*) override {
        FeedState f;
        f.generated_at = kNow - std::chrono::hours(2);
        *out = f;
        return true;
    }
};

struct MemLocal : LocalState {
    std::vector<SessionRecord> sessions;
    std::map<std::string, CardBinding, std::less<>> bindings;  // by card hash
    bool fail_start = false;
    bool fail_extend = false;
    bool find_binding(std::string_view hash, std::optional<CardBinding>* out,
                      std::string*) override {
        auto it = bindings.find(hash);
        *out = it == bindings.end() ? std::nullopt : std::optional<CardBinding>(it->second);
        return true;
    }
    bool extend_session(std::int64_t id, Instant old_end, Instant new_end, Instant now,
                        std::string* err) override {
        if (fail_extend) {
            *err = "disk full";
            return false;
        }
        for (auto& s : sessions)
            if (s.id == id && !s.ended_at && s.ends_at == old_end && old_end > now) {
                s.ends_at = new_end;
                return true;
            }
        *err = "no such running session at that end";
        return false;
    }
    bool active_sessions(Instant now, std::vector<SessionRecord>* out, std::string*) override {
        out->clear();
        for (auto& s : sessions)
            if (!s.ended_at && s.ends_at > now) out->push_back(s);
        return true;
    }
    bool had_session(std::string_view no, Instant now, bool* out, std::string*) override {
        *out = std::any_of(sessions.begin(), sessions.end(),
                           [&](auto& s) { return s.trainee_no == no && s.started_at < now; });
        return true;
    }
    bool revisions(std::vector<Revision>* out, std::string*) override {
        *out = {revision_2024()};
        return true;
    }
    bool start_session(SessionRecord& rec, Instant now, std::string* err) override {
        if (fail_start) {
            *err = "disk full";
            return false;
        }
        for (auto& s : sessions)
            if (s.trainee_no == rec.trainee_no && !s.ended_at && s.ends_at > now) {
                *err = "already";
                return false;
            }
        rec.id = static_cast<std::int64_t>(sessions.size()) + 1;
        rec.started_at = now;
        sessions.push_back(rec);
        return true;
    }
    bool end_session(std::int64_t id, Instant now, std::string reason, std::string* err) override {
        for (auto& s : sessions)
            if (s.id == id && !s.ended_at) {
                s.ended_at = now;
                s.end_reason = reason;
                return true;
            }
        *err = "no such open session";
        return false;
    }
    bool close_expired(std::string_view no, Instant now, std::vector<SessionRecord>* closed,
                       std::string*) override {
        closed->clear();
        for (auto& s : sessions)
            if (s.trainee_no == no && !s.ended_at && s.ends_at <= now) {
                s.ended_at = s.ends_at;
                s.end_reason = "expired";
                closed->push_back(s);
            }
        return true;
    }
    bool mark_briefing_needed(std::string_view, Instant, std::string*) override { return true; }
};

// The trail and the local state commit together, as in kiosk.db: what `work` changed in either
// is put back unless it returned true.
struct MemAudit : AuditTrail {
    MemLocal* local = nullptr;
    bool transact(const std::function<bool(std::string*)>& work, std::string* err) override {
        auto saved_rows = rows;
        auto saved_sessions = local->sessions;
        if (work(err)) return true;
        rows = std::move(saved_rows);
        local->sessions = std::move(saved_sessions);
        return false;
    }
    std::vector<AuditEvent> rows;
    std::string fail_kind_outcome;  // "kind/outcome" to refuse
    bool append(const AuditEvent& e, AuditReceipt* out, std::string* err) override {
        if (fail_kind_outcome == e.kind + "/" + e.outcome) {
            *err = "audit disk full";
            return false;
        }
        rows.push_back(e);
        out->seq = static_cast<std::int64_t>(rows.size());
        return true;
    }
    std::vector<AuditEvent> of(std::string_view kind) const {
        std::vector<AuditEvent> out;
        for (auto& r : rows)
            if (r.kind == kind) out.push_back(r);
        return out;
    }
};

// An in-memory gate: holds claims like the PostgreSQL gate does, one per trainee.
struct MemGate : SessionGate {
    bool survives = true;
    GateRefusal refuse = GateRefusal::None;
    std::map<std::string, GateSession> open_claims;
    std::vector<std::pair<std::string, EndCause>> closes;
    std::string_view backend() const override { return "memory"; }
    bool survives_restart() const override { return survives; }
    GateOpened open(const GateSession& s, Instant) override {
        GateOpened o;
        if (refuse != GateRefusal::None) {
            o.refusal = refuse;
            o.error = "server down";
            return o;
        }
        open_claims[s.trainee_no] = s;
        o.ok = true;
        o.ticket.backend = "memory";
        o.ticket.role = "r_" + s.trainee_no;
        o.ticket.password = "secret-pw";
        o.ticket.valid_until = s.ends_at;
        return o;
    }
    bool fail_extend = false;
    bool extend(const GateSession& s, Instant new_end, Instant now, std::string* err) override {
        auto it = open_claims.find(s.trainee_no);
        if (fail_extend || it == open_claims.end() || it->second.ends_at <= now) {
            *err = "server down";
            return false;
        }
        it->second.ends_at = new_end;
        return true;
    }
    bool close(const GateSession& s, EndCause cause, Instant, std::string*) override {
        open_claims.erase(s.trainee_no);
        closes.push_back({s.trainee_no, cause});
        return true;
    }
    bool recover(Instant now, std::span<const GateSession> here, std::vector<GateClosure>* closed,
                 std::vector<std::int64_t>* lost, std::string*) override {
        for (auto it = open_claims.begin(); it != open_claims.end();) {
            if (it->second.ends_at <= now) {
                closed->push_back(
                    {it->first, "r_" + it->first, "", EndCause::Expired, it->second.ends_at});
                it = open_claims.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& s : here)
            if (!open_claims.count(s.trainee_no)) lost->push_back(s.id);
        return true;
    }
};

Trainee qualified(const char* no) {
    Trainee t;
    t.trainee_no = no;
    t.user_since = *parse_date("2023-04-01");
    int order = 0;
    for (auto [code, day] : {std::pair{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01"}}) {
        Certificate c;
        c.certificate_no = "C-" + std::to_string(order);
        c.course_code = code;
        c.course = course_from_feed(code);
        c.completed_on = *parse_date(day);
        c.file_order = order++;
        t.certificates.push_back(c);
    }
    return t;
}

struct Desk : ::testing::Test {
    MemMirror mirror;
    MemLocal local;
    MemAudit audit;
    MemGate gate;
    SiteSecret secret{};
    Policy policy;
    std::unique_ptr<Gatekeeper> gk;
    std::unique_ptr<SessionDesk> desk;
    void SetUp() override {
        mirror.trainees["T-1"] = qualified("T-1");
        mirror.trainees["T-2"] = qualified("T-2");
        policy.seats = 2;
        audit.local = &local;
        gk = std::make_unique<Gatekeeper>(mirror, local, audit, secret, policy);
        desk = std::make_unique<SessionDesk>(*gk, local, audit, gate);
    }
    SessionStart start(const char* no, Instant at = kNow, int minutes = 60) {
        Gatekeeper::StartRequest req;
        req.trainee_no = no;
        req.minutes = minutes;
        return desk->start(req, at, "test");
    }
    std::string cause_of(const AuditEvent& e) {
        return nlohmann::json::parse(e.detail).value("cause", "");
    }
};

TEST_F(Desk, OpenShowsTheTicketAndAuditsTheOpenWithoutThePassword) {
    auto s = start("T-1");
    ASSERT_TRUE(s.started()) << s.tap.fault;
    EXPECT_EQ(s.ticket->role, "r_T-1");
    EXPECT_EQ(s.ticket->valid_until, kNow + std::chrono::minutes(60));
    ASSERT_EQ(local.sessions.size(), 1u);
    EXPECT_TRUE(gate.open_claims.count("T-1"));
    std::vector<std::string> kinds;
    for (auto& r : audit.rows) kinds.push_back(r.kind);
    EXPECT_EQ(kinds, (std::vector<std::string>{"decision", "session.start", "gate.open"}));
    for (auto& r : audit.rows) EXPECT_EQ(r.detail.find("secret-pw"), std::string::npos);
    auto j = nlohmann::json::parse(gate_ticket_json(*s.ticket));
    EXPECT_EQ(j["backend"], "memory");
}

TEST_F(Desk, GateFailureLeavesNoSessionNoSeatAndIsAuditedAfterTheDecision) {
    gate.refuse = GateRefusal::Unavailable;
    auto s = start("T-1");
    EXPECT_FALSE(s.started());
    EXPECT_TRUE(s.unavailable);
    EXPECT_EQ(s.gate_error, "server down");
    EXPECT_TRUE(s.tap.decision.has_reason(Code::KioskFault));
    EXPECT_TRUE(local.sessions.empty());  // no session, no seat
    ASSERT_EQ(audit.rows.size(), 2u);
    // The decision stays in the audit as what the trainee was shown: a refusal (the rules
    // allowed it, the gate did not open), then what the gate answered.
    EXPECT_EQ(audit.rows[0].kind, "decision");
    EXPECT_EQ(audit.rows[0].outcome, "deny");
    EXPECT_NE(audit.rows[0].detail.find("KIOSK_FAULT"), std::string::npos) << audit.rows[0].detail;
    EXPECT_EQ(audit.rows[1].kind, "gate.open");
    EXPECT_EQ(audit.rows[1].outcome, "failed");
    EXPECT_EQ(cause_of(audit.rows[1]), "gate-failure");
    // The failed first attempt does not count as an earlier session (TR-9's briefing notice).
    gate.refuse = GateRefusal::None;
    auto again = start("T-1");
    EXPECT_TRUE(again.started());
}

TEST_F(Desk, TR5_AnotherKiosksClaimRefusesWithAlreadyInSession) {
    gate.refuse = GateRefusal::AlreadyInSession;
    auto s = start("T-1");
    EXPECT_FALSE(s.started());
    EXPECT_FALSE(s.unavailable);
    ASSERT_TRUE(s.tap.decision.has_reason(Code::AlreadyInSession));
    EXPECT_TRUE(local.sessions.empty());
    EXPECT_EQ(audit.rows.back().outcome, "refused");
}

TEST_F(Desk, ServerSeatsFullRefusesWithNoSeat) {
    gate.refuse = GateRefusal::NoSeat;
    auto s = start("T-1");
    EXPECT_TRUE(s.tap.decision.has_reason(Code::NoSeat));
    EXPECT_TRUE(local.sessions.empty());
}

TEST_F(Desk, RecordFailureAfterTheGateOpenedClosesTheGateAgain) {
    local.fail_start = true;
    auto s = start("T-1");
    EXPECT_FALSE(s.started());
    EXPECT_TRUE(gate.open_claims.empty());
    ASSERT_EQ(gate.closes.size(), 1u);
    EXPECT_EQ(gate.closes[0].second, EndCause::GateFailure);
    EXPECT_EQ(audit.of("gate.close").size(), 1u);
}

TEST_F(Desk, UnauditedOpenDoesNotStand) {
    audit.fail_kind_outcome = "gate.open/ok";
    auto s = start("T-1");
    EXPECT_FALSE(s.started());
    EXPECT_TRUE(s.tap.decision.has_reason(Code::KioskFault));
    EXPECT_TRUE(gate.open_claims.empty());
    ASSERT_EQ(local.sessions.size(), 1u);
    EXPECT_TRUE(local.sessions[0].ended_at.has_value());
}

TEST_F(Desk, EndClosesTheGateFirstAndAuditsTheCause) {
    auto s = start("T-1");
    std::string err;
    ASSERT_TRUE(desk->end(s.tap.session->id, EndCause::EndedByTrainee,
                          kNow + std::chrono::minutes(5), "test", &err))
        << err;
    EXPECT_TRUE(gate.open_claims.empty());
    auto ends = audit.of("session.end");
    ASSERT_EQ(ends.size(), 1u);
    EXPECT_EQ(cause_of(ends[0]), "trainee");
    EXPECT_FALSE(desk->end(s.tap.session->id, EndCause::EndedByStaff, kNow, "test", &err));
    EXPECT_NE(err.find("no open session"), std::string::npos);
}

TEST_F(Desk, ExpireDueClosesSessionsAtTheirTime) {
    start("T-1", kNow, 30);
    start("T-2", kNow, 90);
    SweepReport r;
    std::string err;
    ASSERT_TRUE(desk->expire_due(kNow + std::chrono::minutes(30), "test", &r, &err)) << err;
    EXPECT_EQ(r.closed, 1);
    EXPECT_FALSE(gate.open_claims.count("T-1"));
    EXPECT_TRUE(gate.open_claims.count("T-2"));
    auto ends = audit.of("session.end");
    ASSERT_EQ(ends.size(), 1u);
    EXPECT_EQ(cause_of(ends[0]), "expired");
}

TEST_F(Desk, RestartEndsSessionsThatDoNotSurviveIt) {
    gate.survives = false;  // the workspace: it was on this kiosk's screen
    start("T-1");
    SweepReport r;
    std::string err;
    ASSERT_TRUE(desk->recover(kNow + std::chrono::minutes(1), "test", &r, &err)) << err;
    EXPECT_EQ(r.closed, 1);
    EXPECT_EQ(cause_of(audit.of("session.end").at(0)), "restart");
}

TEST_F(Desk, RestartKeepsSessionsThatSurviveAndEndsThoseTheGateLost) {
    start("T-1");
    start("T-2");
    gate.open_claims.erase("T-2");  // e.g. the server's claim closed by another kiosk
    SweepReport r;
    std::string err;
    ASSERT_TRUE(desk->recover(kNow + std::chrono::minutes(1), "test", &r, &err)) << err;
    std::vector<SessionRecord> active;
    local.active_sessions(kNow + std::chrono::minutes(1), &active, &err);
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].trainee_no, "T-1");
    EXPECT_EQ(cause_of(audit.of("session.end").at(0)), "gate-failure");
}

TEST_F(Desk, SweepAuditsWhatTheGateClosedOnItsOwn) {
    // A claim left on the gate with no local session (another kiosk's, past its end).
    gate.open_claims["T-9"] = GateSession{0, "T-9", kNow, kNow + std::chrono::minutes(1)};
    SweepReport r;
    std::string err;
    ASSERT_TRUE(desk->expire_due(kNow + std::chrono::minutes(2), "test", &r, &err)) << err;
    auto closes = audit.of("gate.close");
    ASSERT_EQ(closes.size(), 1u);
    EXPECT_EQ(closes[0].trainee_no, "T-9");
    EXPECT_EQ(cause_of(closes[0]), "expired");
}

TEST(EndCause, NamesRoundTrip) {
    for (auto c : {EndCause::Expired, EndCause::EndedByTrainee, EndCause::EndedByStaff,
                   EndCause::KioskRestart, EndCause::GateFailure})
        EXPECT_EQ(end_cause_from_name(end_cause_name(c)), c);
    EXPECT_FALSE(end_cause_from_name("ended"));
}

}  // namespace
}  // namespace kiosk

// ---- Extending a running session (issue 8 item 2): a fresh decision, the gate's end and the
// record's end moved together, audited; any refusal or failure changes nothing.
namespace kiosk {
namespace {

struct Extend : Desk {
    CardUid card1{{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}};
    CardUid card2{{0x04, 0x77, 0x22, 0x33, 0x44, 0x55, 0x66}};
    void SetUp() override {
        Desk::SetUp();
        for (auto [card, no] : {std::pair{&card1, "T-1"}, {&card2, "T-2"}}) {
            CardBinding b;
            b.card_hash = card_hash(secret, *card);
            b.trainee_no = no;
            local.bindings[b.card_hash] = b;
        }
        desk->set_extension_limits(extension_limits_for(60, 30));  // at most 120 min in all
    }
    // A card's session of 60 minutes from kNow.
    std::int64_t running(const CardUid& card) {
        Gatekeeper::StartRequest req;
        req.card = card;
        req.minutes = 60;
        auto s = desk->start(req, kNow, "test");
        EXPECT_TRUE(s.started()) << s.tap.fault;
        return s.started() ? s.tap.session->id : 0;
    }
    const Instant kWarn = kNow + std::chrono::minutes(56);  // in the 5-minute warning
    const Instant kOldEnd = kNow + std::chrono::minutes(60);
};

TEST_F(Extend, GrantedMovesTheGateAndTheRecordAndAuditsOldAndNewEnd) {
    auto id = running(card1);
    auto x = desk->extend(id, card1, 30, kWarn, "kiosk");
    ASSERT_TRUE(x.extended) << x.error << x.tap.fault;
    EXPECT_TRUE(x.tap.decision.granted);
    EXPECT_EQ(x.old_ends_at, kOldEnd);
    EXPECT_EQ(x.new_ends_at, kOldEnd + std::chrono::minutes(30));
    EXPECT_EQ(local.sessions[0].ends_at, x.new_ends_at);
    EXPECT_EQ(gate.open_claims["T-1"].ends_at, x.new_ends_at);
    // The running session counts neither as TR-5's second session nor against the seats.
    EXPECT_FALSE(x.tap.decision.has_reason(Code::AlreadyInSession));
    auto rows = audit.of("session.extended");
    ASSERT_EQ(rows.size(), 1u);
    auto d = nlohmann::json::parse(rows[0].detail);
    EXPECT_EQ(d["session"], id);
    EXPECT_EQ(d["minutes"], 30);
    EXPECT_EQ(d["old_ends_at"], format_instant(kOldEnd));
    EXPECT_EQ(d["new_ends_at"], format_instant(x.new_ends_at));
    EXPECT_EQ(d["decision"], x.tap.audit.seq);  // the fresh decision's own audit row
    EXPECT_EQ(audit.rows[static_cast<size_t>(x.tap.audit.seq) - 1].kind, "decision");
    EXPECT_EQ(audit.rows[static_cast<size_t>(x.tap.audit.seq) - 1].outcome, "grant");
    // The session now runs past its old end and the sweep leaves it alone there.
    SweepReport rep;
    std::string err;
    ASSERT_TRUE(desk->expire_due(kOldEnd + std::chrono::minutes(1), "test", &rep, &err)) << err;
    EXPECT_EQ(rep.closed, 0);
    EXPECT_FALSE(local.sessions[0].ended_at);
}

TEST_F(Extend, TR4_ACertificateRevokedSinceTheStartRefusesAndChangesNothing) {
    auto id = running(card1);
    // The night's records revoke the trainee's System-operation certificate (TR-4).
    for (auto& c : mirror.trainees["T-1"].certificates)
        if (c.course == Course::SystemOperation) c.status = CertificateStatus::Revoked;
    const size_t rows_before = audit.rows.size();
    auto x = desk->extend(id, card1, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_TRUE(x.refused_by_rules());
    ASSERT_TRUE(x.tap.decision.has_reason(Code::CertRevoked));
    EXPECT_EQ(local.sessions[0].ends_at, kOldEnd);
    EXPECT_EQ(gate.open_claims["T-1"].ends_at, kOldEnd);
    // Audited: the decision (deny, CERT_REVOKED) and the refused extension with its codes.
    ASSERT_EQ(audit.rows.size(), rows_before + 2);
    EXPECT_EQ(audit.rows[rows_before].kind, "decision");
    EXPECT_EQ(audit.rows[rows_before].outcome, "deny");
    EXPECT_EQ(audit.rows[rows_before + 1].kind, "session.extend");
    EXPECT_EQ(audit.rows[rows_before + 1].outcome, "refused");
    EXPECT_NE(audit.rows[rows_before + 1].detail.find("CERT_REVOKED"), std::string::npos)
        << audit.rows[rows_before + 1].detail;
    EXPECT_TRUE(audit.of("session.extended").empty());
}

TEST_F(Extend, TR5_ARevokedCardRefusesTheExtension) {
    auto id = running(card1);
    local.bindings[card_hash(secret, card1)].revoked = true;
    auto x = desk->extend(id, card1, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_TRUE(x.tap.decision.has_reason(Code::CardRevoked));
    EXPECT_EQ(local.sessions[0].ends_at, kOldEnd);
}

TEST_F(Extend, NoSeatWhenMoreSessionsThanSeatsRunBesideIt) {
    auto id = running(card1);
    running(card2);
    policy.seats = 1;  // the site now has one seat, and T-2 holds one besides T-1's own
    gk = std::make_unique<Gatekeeper>(mirror, local, audit, secret, policy);
    desk = std::make_unique<SessionDesk>(*gk, local, audit, gate);
    desk->set_extension_limits(extension_limits_for(60, 30));
    auto x = desk->extend(id, card1, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_TRUE(x.tap.decision.has_reason(Code::NoSeat));
    policy.seats = 2;  // its own seat is its own: with one seat per session it goes on
    gk = std::make_unique<Gatekeeper>(mirror, local, audit, secret, policy);
    desk = std::make_unique<SessionDesk>(*gk, local, audit, gate);
    desk->set_extension_limits(extension_limits_for(60, 30));
    EXPECT_TRUE(desk->extend(id, card1, 30, kWarn, "kiosk").extended);
}

TEST_F(Extend, AfterItsEndNothingIsExtended) {
    auto id = running(card1);
    auto x = desk->extend(id, card1, 30, kOldEnd + std::chrono::seconds(1), "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_FALSE(x.error.empty());
    EXPECT_FALSE(x.refused_by_rules());
    EXPECT_EQ(x.problem, ExtendProblem::Ended);  // the screen's sentence, by kind
    EXPECT_EQ(local.sessions[0].ends_at, kOldEnd);
    EXPECT_EQ(gate.open_claims["T-1"].ends_at, kOldEnd);
    EXPECT_EQ(audit.of("session.extend").back().outcome, "refused");
    // An ended session neither.
    auto id2 = running(card2);
    std::string err;
    ASSERT_TRUE(desk->end(id2, EndCause::EndedByTrainee, kWarn, "test", &err)) << err;
    x = desk->extend(id2, card2, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_EQ(x.problem, ExtendProblem::NoSession);
}

TEST_F(Extend, AnotherTraineesCardCannotExtendIt) {
    auto id = running(card1);
    running(card2);
    auto x = desk->extend(id, card2, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_NE(x.error.find("not the session of this card"), std::string::npos) << x.error;
    EXPECT_EQ(x.problem, ExtendProblem::NotYours);
    EXPECT_EQ(local.sessions[0].ends_at, kOldEnd);
    EXPECT_EQ(gate.open_claims["T-1"].ends_at, kOldEnd);
    // An unknown card neither.
    EXPECT_FALSE(desk->extend(id, CardUid{{0x01, 0x02, 0x03, 0x04}}, 30, kWarn, "kiosk").extended);
}

TEST_F(Extend, TheTotalStaysWithinTheLimitAndOffMeansOff) {
    auto id = running(card1);
    ASSERT_TRUE(desk->extend(id, card1, 30, kWarn, "kiosk").extended);  // 90 min
    ASSERT_TRUE(desk->extend(id, card1, 30, kWarn + std::chrono::minutes(30), "kiosk").extended);
    auto x = desk->extend(id, card1, 30, kWarn + std::chrono::minutes(60), "kiosk");  // 150 > 120
    EXPECT_FALSE(x.extended);
    EXPECT_NE(x.error.find("120 minutes"), std::string::npos) << x.error;
    EXPECT_EQ(x.problem, ExtendProblem::LongestTotal);
    x = desk->extend(id, card1, 31, kWarn + std::chrono::minutes(60), "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_EQ(x.problem, ExtendProblem::Minutes);
    desk->set_extension_limits(extension_limits_for(60, 0));
    x = desk->extend(id, card1, 10, kWarn + std::chrono::minutes(60), "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_NE(x.error.find("extend_minutes = 0"), std::string::npos) << x.error;
    EXPECT_EQ(x.problem, ExtendProblem::Off);
    EXPECT_EQ(local.sessions[0].ends_at, kOldEnd + std::chrono::minutes(60));
}

TEST_F(Extend, AnOverriddenSessionGoesOnOnlyAfterAFreshGrant) {
    mirror.trainees["T-1"].certificates.pop_back();  // no SYSOP: the rules refuse (TR-1)
    Gatekeeper::StartRequest req;
    req.card = card1;
    req.minutes = 60;
    req.override_by = "S-1";
    req.override_reason = "certificate not yet in the records";
    auto s = desk->start(req, kNow, "staff:S-1");
    ASSERT_TRUE(s.started()) << s.tap.fault;
    auto x = desk->extend(s.tap.session->id, card1, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);  // the override does not carry over
    EXPECT_TRUE(x.tap.decision.has_reason(Code::CourseMissing));
    EXPECT_EQ(x.problem, ExtendProblem::None);  // the rules say why
    mirror.trainees["T-1"] = qualified("T-1");  // the records now have it
    x = desk->extend(s.tap.session->id, card1, 30, kWarn, "kiosk");
    ASSERT_TRUE(x.extended) << x.error;
    EXPECT_EQ(
        nlohmann::json::parse(audit.of("session.extended").back().detail)["started_by_override"],
        "S-1");
}

TEST_F(Extend, AuditFailureUndoesEverythingAndPutsTheGatesEndBack) {
    auto id = running(card1);
    audit.fail_kind_outcome = "session.extended/ok";
    auto x = desk->extend(id, card1, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_TRUE(x.tap.decision.has_reason(Code::KioskFault));  // fail secure
    EXPECT_FALSE(x.error.empty());
    EXPECT_EQ(x.problem, ExtendProblem::Failed);
    EXPECT_EQ(local.sessions[0].ends_at, kOldEnd);
    EXPECT_EQ(gate.open_claims["T-1"].ends_at, kOldEnd);
    EXPECT_TRUE(audit.of("session.extended").empty());
    auto failed = audit.of("session.extend");
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].outcome, "failed");
    EXPECT_EQ(nlohmann::json::parse(failed[0].detail)["gate_restored"], true);
}

TEST_F(Extend, StoreOrGateFailureChangesNothing) {
    auto id = running(card1);
    local.fail_extend = true;
    auto x = desk->extend(id, card1, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_EQ(gate.open_claims["T-1"].ends_at, kOldEnd);  // put back
    EXPECT_EQ(local.sessions[0].ends_at, kOldEnd);
    local.fail_extend = false;
    gate.fail_extend = true;
    x = desk->extend(id, card1, 30, kWarn, "kiosk");
    EXPECT_FALSE(x.extended);
    EXPECT_TRUE(x.unavailable);
    EXPECT_EQ(x.problem, ExtendProblem::Unavailable);
    EXPECT_EQ(x.error, kGateUnavailableMessage);
    EXPECT_EQ(local.sessions[0].ends_at, kOldEnd);
    EXPECT_EQ(gate.open_claims["T-1"].ends_at, kOldEnd);
    EXPECT_EQ(audit.of("session.extend").back().outcome, "failed");
}

}  // namespace
}  // namespace kiosk
