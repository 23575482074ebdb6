// An in-memory world for the core staff tests (core_staff_desk_test.cpp,
// core_staff_machine_test.cpp): the mirror, local state, the audit trail and staff records behind
// the ports, as plain maps.
#pragma once

#include <functional>
#include <map>
#include <tuple>
#include <utility>

#include "kiosk/staff_desk.h"

namespace kiosk::testing {

inline Instant T(const char* s) { return *parse_instant(s); }
inline Date D(const char* s) { return *parse_date(s); }
// A trainee's own start (no override), for the card `c`.
inline Gatekeeper::StartRequest plain_start(const CardUid& c) {
    Gatekeeper::StartRequest r;
    r.card = c;
    return r;
}

// ---- An in-memory world: the mirror, local state, the audit trail and staff records ----------

struct World : Mirror, LocalState, AuditTrail, StaffRecords {
    std::map<std::string, Trainee> trainees;
    std::optional<FeedState> feed;
    std::map<std::string, CardBinding> cards;
    std::vector<SessionRecord> sessions;
    std::map<std::string, BriefingItem> queue;
    std::map<std::string, std::string> briefed_by;
    std::vector<AuditEntry> audit;
    std::map<std::string, StaffAccount> staff;  // by id
    bool audit_fails = false;
    std::function<void()> before_cas;  // runs once before the next compare-and-set

    // Mirror
    bool find_trainee(std::string_view no, std::optional<Trainee>* out, std::string*) override {
        auto it = trainees.find(std::string(no));
        *out = it == trainees.end() ? std::nullopt : std::optional<Trainee>(it->second);
        return true;
    }
    bool feed_state(std::optional<FeedState>* out, std::string*) override {
        *out = feed;
        return true;
    }
    // LocalState
    bool find_binding(std::string_view h, std::optional<CardBinding>* out, std::string*) override {
        auto it = cards.find(std::string(h));
        *out = it == cards.end() ? std::nullopt : std::optional<CardBinding>(it->second);
        return true;
    }
    bool active_sessions(Instant now, std::vector<SessionRecord>* out, std::string*) override {
        out->clear();
        for (auto& s : sessions)
            if (s.active_at(now)) out->push_back(s);
        return true;
    }
    bool had_session(std::string_view no, Instant now, bool* out, std::string*) override {
        *out = false;
        for (auto& s : sessions) *out |= s.trainee_no == no && s.started_at < now;
        return true;
    }
    bool revisions(std::vector<Revision>* out, std::string*) override {
        *out = {revision_2024()};
        return true;
    }
    bool start_session(SessionRecord& rec, Instant now, std::string* err) override {
        for (auto& s : sessions)
            if (s.trainee_no == rec.trainee_no && s.active_at(now)) {
                *err = "TR-5: already in session";
                return false;
            }
        rec.id = static_cast<std::int64_t>(sessions.size()) + 1;
        sessions.push_back(rec);
        return true;
    }
    bool end_session(std::int64_t id, Instant now, std::string reason, std::string* err) override {
        for (auto& s : sessions)
            if (s.id == id && s.active_at(now)) {
                s.ended_at = now;
                s.end_reason = reason;
                return true;
            }
        *err = "no running session with that id";
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
    bool mark_briefing_needed(std::string_view no, Instant now, std::string*) override {
        if (!briefed_by.count(std::string(no)))
            queue.emplace(std::string(no), BriefingItem{std::string(no), now});
        return true;
    }
    // AuditTrail
    bool append(const AuditEvent& e, AuditReceipt* out, std::string* err) override {
        if (audit_fails) {
            *err = "disk full";
            return false;
        }
        audit.push_back({static_cast<std::int64_t>(audit.size()) + 1, e, "h"});
        out->seq = audit.back().seq;
        return true;
    }
    // All or nothing, as kiosk.db's transaction: what `work` changed is put back unless it
    // returned true (a nested call is a savepoint).
    bool transact(const std::function<bool(std::string*)>& work, std::string* err) override {
        // Another kiosk's write (before_cas) commits before this transaction takes the lock.
        if (before_cas) std::exchange(before_cas, nullptr)();
        auto saved = std::make_tuple(cards, sessions, queue, briefed_by, audit, staff);
        bool ok = false;
        try {
            ok = work(err);
        } catch (...) {
            std::tie(cards, sessions, queue, briefed_by, audit, staff) = std::move(saved);
            throw;
        }
        if (!ok) std::tie(cards, sessions, queue, briefed_by, audit, staff) = std::move(saved);
        return ok;
    }
    // StaffRecords
    bool find_staff_by_card(std::string_view h, std::optional<StaffAccount>* out,
                            std::string*) override {
        out->reset();
        for (auto& [id, a] : staff)
            if (a.card_hash == h) *out = a;
        return true;
    }
    bool update_staff_attempt(const StaffAccount& before, const StaffAccount& after, bool* applied,
                              std::string*) override {
        if (before_cas) std::exchange(before_cas, nullptr)();
        StaffAccount& cur = staff.at(before.id);
        *applied = cur.failed_attempts == before.failed_attempts &&
                   cur.locked_until == before.locked_until && cur.pin_hash == before.pin_hash;
        if (*applied) {
            cur.failed_attempts = after.failed_attempts;
            cur.locked_until = after.locked_until;
            cur.pin_hash = after.pin_hash;
        }
        return true;
    }
    bool enroll(std::string_view h, std::string_view no, Instant now, std::string* err) override {
        auto& c = cards[std::string(h)];
        if (!c.card_hash.empty() && !c.revoked) {
            *err = "bound";
            return false;
        }
        c = CardBinding{std::string(h), std::string(no), false, now, std::nullopt};
        return true;
    }
    bool unenroll(std::string_view h, Instant now, std::string*) override {
        cards[std::string(h)].revoked = true;
        cards[std::string(h)].revoked_at = now;
        return true;
    }
    bool briefing_queue(std::vector<BriefingItem>* out, std::string*) override {
        out->clear();
        for (auto& [k, v] : queue) out->push_back(v);
        return true;
    }
    bool mark_briefed(std::string_view no, std::string_view by, Instant, std::string*) override {
        queue.erase(std::string(no));
        briefed_by[std::string(no)] = by;
        return true;
    }
    bool latest_audit(int n, std::vector<AuditEntry>* out, std::string*) override {
        out->assign(audit.rbegin(), audit.rbegin() + std::min<size_t>(n, audit.size()));
        return true;
    }
    bool latest_audit_of_kind(std::string_view kind, std::optional<AuditEntry>* out,
                              std::string*) override {
        out->reset();
        for (auto& a : audit)
            if (a.event.kind == kind) *out = a;
        return true;
    }
    bool verify_audit(AuditChainState* out, std::string*) override {
        *out = {true, static_cast<std::int64_t>(audit.size()), ""};
        return true;
    }

    std::vector<std::string> kinds_outcomes() const {
        std::vector<std::string> v;
        for (auto& a : audit) v.push_back(a.event.kind + "/" + a.event.outcome);
        return v;
    }
};

inline Certificate cert(const char* no, Course c, const char* on,
                        CertificateStatus st = CertificateStatus::Issued) {
    Certificate x;
    x.certificate_no = no;
    x.course = c;
    x.course_code = std::string(course_code(c));
    x.completed_on = D(on);
    x.status = st;
    return x;
}

}  // namespace kiosk::testing
