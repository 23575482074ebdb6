// StaffRecords over kiosk.db (see staff_records.h).
#include "db/staff_records.h"

#include <fmt/format.h>

#include "db/sqlite.h"

namespace kiosk::db {
namespace {

std::int64_t secs(Instant t) { return t.time_since_epoch().count(); }

AuditEntry entry(const AuditRow& r) { return AuditEntry{r.seq, r.event, r.row_hash}; }

}  // namespace

StaffRecordsStore::StaffRecordsStore(LocalStore& local, AuditStore& audit)
    : local_(local), audit_(audit), db_(local.database()) {}

StaffRecordsStore::~StaffRecordsStore() = default;

bool StaffRecordsStore::find_staff_by_card(std::string_view card_hash,
                                           std::optional<StaffAccount>* out, std::string* err) {
    try {
        auto st = db_->prepare(
            "SELECT id, name, card_hash, pin_hash, failed_attempts, locked_until FROM staff "
            "WHERE card_hash = ?");
        st.bind(1, card_hash);
        out->reset();
        if (st.step()) {
            StaffAccount a;
            a.id = st.column_text(0);
            a.name = st.column_text(1);
            a.card_hash = st.column_text(2);
            a.pin_hash = st.column_text(3);
            a.failed_attempts = static_cast<int>(st.column_int(4));
            if (!st.is_null(5)) a.locked_until = Instant{std::chrono::seconds{st.column_int(5)}};
            *out = std::move(a);
        }
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot read the staff records: {}", e.what());
        return false;
    }
}

bool StaffRecordsStore::update_staff_attempt(const StaffAccount& before, const StaffAccount& after,
                                             bool* applied, std::string* err) {
    try {
        // One statement: the row changes only if nobody else changed it since `before` was read.
        auto st = db_->prepare(
            "UPDATE staff SET failed_attempts = ?1, locked_until = ?2, pin_hash = ?3 "
            "WHERE id = ?4 AND failed_attempts = ?5 AND locked_until IS ?6 AND pin_hash = ?7");
        st.bind(1, after.failed_attempts);
        if (after.locked_until)
            st.bind(2, secs(*after.locked_until));
        else
            st.bind_null(2);
        st.bind(3, after.pin_hash).bind(4, before.id).bind(5, before.failed_attempts);
        if (before.locked_until)
            st.bind(6, secs(*before.locked_until));
        else
            st.bind_null(6);
        st.bind(7, before.pin_hash);
        st.run();
        *applied = db_->changes() == 1;
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot record the PIN attempt: {}", e.what());
        return false;
    }
}

bool StaffRecordsStore::enroll(std::string_view card_hash, std::string_view trainee_no, Instant now,
                               std::string* err) {
    return local_.enroll(card_hash, trainee_no, now, err);
}

bool StaffRecordsStore::unenroll(std::string_view card_hash, Instant now, std::string* err) {
    return local_.unenroll(card_hash, now, err);
}

bool StaffRecordsStore::briefing_queue(std::vector<BriefingItem>* out, std::string* err) {
    std::vector<BriefingEntry> q;
    if (!local_.briefing_queue(&q, err)) return false;
    out->clear();
    for (auto& b : q) out->push_back({b.trainee_no, b.needed_since});
    return true;
}

bool StaffRecordsStore::mark_briefed(std::string_view trainee_no, std::string_view staff_id,
                                     Instant now, std::string* err) {
    return local_.mark_briefed(trainee_no, staff_id, now, err);
}

bool StaffRecordsStore::latest_audit(int n, std::vector<AuditEntry>* out, std::string* err) {
    std::vector<AuditRow> rows;
    if (!audit_.latest(n, &rows, err)) return false;
    out->clear();
    for (auto& r : rows) out->push_back(entry(r));
    return true;
}

bool StaffRecordsStore::latest_audit_of_kind(std::string_view kind, std::optional<AuditEntry>* out,
                                             std::string* err) {
    std::optional<AuditRow> row;
    if (!audit_.latest_of_kind(kind, &row, err)) return false;
    out->reset();
    if (row) *out = entry(*row);
    return true;
}

bool StaffRecordsStore::verify_audit(AuditChainState* out, std::string* err) {
    AuditVerifyResult v;
    if (!audit_.verify(&v, err)) return false;
    *out = AuditChainState{v.ok, v.rows, v.problem};
    return true;
}

}  // namespace kiosk::db
