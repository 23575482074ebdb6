// The eligibility rules (training-rules.md TR-1…TR-10, product.md section 4) as one pure function.
//
// Reading of a course (OVERVIEW or SYSOP) for one trainee:
//   1. Only PMDA records of that course are candidates (TR-3); the newest candidate by
//      completed_on, then file order, decides — older records are superseded (TR-4).
//   2. The newest must be `issued` (lost / not obtained / revoked: TR-4), not dated before the
//      information request was accepted (TR-8), and not excluded by a revision (TR-6/TR-7).
//   3. The counting SYSOP certificate must be dated on or after a PMDA Overview record that was
//      actually completed (issued or lost) (TR-2).
#include "kiosk/rules.h"

#include <algorithm>

namespace kiosk {
namespace {

using Rules = std::vector<std::string>;

bool is_pmda(const Certificate& c) { return c.provider == kPmda; }

const Certificate* newest_pmda_record(const Trainee& t, Course course) {
    const Certificate* best = nullptr;
    for (const auto& c : t.certificates) {
        if (c.course != course || !is_pmda(c)) continue;
        if (!best || c.completed_on > best->completed_on ||
            (c.completed_on == best->completed_on && c.file_order > best->file_order))
            best = &c;
    }
    return best;
}

// Records that exist but never count because they are not PMDA's own course (TR-3).
bool has_non_pmda_record(const Trainee& t, Course course) {
    return std::any_of(t.certificates.begin(), t.certificates.end(), [&](const Certificate& c) {
        return (c.course == course && !is_pmda(c)) || c.course == Course::Other;
    });
}

const Revision* advising_revision(const Certificate& c, const Trainee& t,
                                  std::span<const Revision> revs) {
    for (const auto& r : revs) {
        if (!r.advise_existing || c.completed_on >= r.effective_on) continue;
        if (t.user_since && *t.user_since < r.new_users_from) return &r;
    }
    return nullptr;
}

struct CourseVerdict {
    const Certificate* counting = nullptr;
    std::optional<Finding> reason;
    std::optional<Finding> notice;
};

CourseVerdict evaluate_course(const Trainee& t, Course course, std::span<const Revision> revs) {
    CourseVerdict v;
    const Certificate* newest = newest_pmda_record(t, course);
    if (!newest) {
        Rules rules{"TR-1"};
        if (has_non_pmda_record(t, course)) rules.push_back("TR-3");
        v.reason = Finding{Code::CourseMissing, course, rules};
        return v;
    }
    switch (newest->status) {
        case CertificateStatus::Lost:
            v.reason = Finding{Code::CertLost, course, {"TR-4"}};
            return v;
        case CertificateStatus::NotObtained:
            v.reason = Finding{Code::CertNotObtained, course, {"TR-4"}};
            return v;
        case CertificateStatus::Revoked:
            v.reason = Finding{Code::CertRevoked, course, {"TR-4"}};
            return v;
        case CertificateStatus::Issued:
            break;
    }
    if (t.request_accepted_on && newest->completed_on < *t.request_accepted_on) {
        v.reason = Finding{Code::CourseMissing, course, {"TR-1", "TR-8"}};
        return v;
    }
    const Revision* excluding = nullptr;
    if (excluded_by_revision(*newest, t, revs, &excluding)) {
        Rules rules{excluding->rule};
        if (excluding->rule != "TR-7") rules.push_back("TR-7");
        v.reason = Finding{Code::RetakeRequired, course, rules};
        return v;
    }
    v.counting = newest;
    if (const Revision* r = advising_revision(*newest, t, revs))
        v.notice = Finding{Code::RetakeAdvised, course, {r->rule}};
    return v;
}

// TR-2: an Overview the person actually completed (issued or lost) on or before `by`.
bool overview_completed_by(const Trainee& t, Date by) {
    return std::any_of(t.certificates.begin(), t.certificates.end(), [&](const Certificate& c) {
        return c.course == Course::Overview && is_pmda(c) &&
               (c.status == CertificateStatus::Issued || c.status == CertificateStatus::Lost) &&
               c.completed_on <= by;
    });
}

}  // namespace

bool excluded_by_revision(const Certificate& c, const Trainee& t, std::span<const Revision> revs,
                          const Revision** which) {
    for (const auto& r : revs) {
        if (!r.excludes_new_users || c.completed_on >= r.effective_on) continue;
        if (!t.user_since || *t.user_since >= r.new_users_from) {
            if (which) *which = &r;
            return true;
        }
    }
    return false;
}

Decision decide(const DecisionInput& in) {
    Decision d;
    d.trainee_no = in.trainee_no;

    if (in.card == CardState::Unknown) {
        d.trainee_no.clear();
        d.reasons.push_back({Code::CardUnknown, std::nullopt, {"TR-5"}});
        return d;
    }
    if (in.card == CardState::Revoked) {
        d.reasons.push_back({Code::CardRevoked, std::nullopt, {"TR-5"}});
        return d;
    }

    // The mirror's age (site policy): past max_age the kiosk cannot trust it.
    bool stale = !in.mirror_generated_at;
    if (in.mirror_generated_at) {
        double age_hours =
            std::chrono::duration<double, std::ratio<3600>>(in.now - *in.mirror_generated_at)
                .count();
        if (age_hours > in.policy.max_age_hours)
            stale = true;
        else if (age_hours > in.policy.warn_age_hours)
            d.notices.push_back({Code::MirrorAging, std::nullopt, {}});
    }

    if (!in.trainee) {
        d.reasons.push_back({Code::TraineeUnknown, std::nullopt, {"TR-1"}});
    } else {
        const Trainee& t = *in.trainee;
        CourseVerdict overview = evaluate_course(t, Course::Overview, in.revisions);
        CourseVerdict sysop = evaluate_course(t, Course::SystemOperation, in.revisions);
        for (auto* v : {&overview, &sysop}) {
            if (v->reason) d.reasons.push_back(*v->reason);
            if (v->notice) d.notices.push_back(*v->notice);
        }
        if (sysop.counting && !overview_completed_by(t, sysop.counting->completed_on))
            d.reasons.push_back({Code::OrderViolation, Course::SystemOperation, {"TR-2"}});
    }

    if (in.has_active_session)
        d.reasons.push_back({Code::AlreadyInSession, std::nullopt, {"TR-5"}});
    else if (in.sessions_in_use >= in.policy.seats)
        d.reasons.push_back({Code::NoSeat, std::nullopt, {}});
    if (stale) d.reasons.push_back({Code::MirrorStale, std::nullopt, {}});

    d.granted = d.reasons.empty();
    if (d.granted && in.trainee && !in.trainee->user_since && !in.had_earlier_session)
        d.notices.push_back({Code::BriefingNeeded, std::nullopt, {"TR-9"}});
    return d;
}

}  // namespace kiosk
