// The staff service's port (kiosk/staff_desk.h StaffRecords) over kiosk.db: staff rows and the
// PIN-attempt compare-and-set, card bindings and briefings through LocalStore, audit rows through
// AuditStore — all on the one shared connection, so that each joins the StaffDesk's
// AuditTrail::transact() with its audit row.
#pragma once

#include <memory>

#include "db/audit_store.h"
#include "db/local_store.h"
#include "kiosk/staff_desk.h"

namespace kiosk::db {

class Database;

class StaffRecordsStore final : public StaffRecords {
public:
    // Uses local.database(), the connection the AuditStore shares.
    StaffRecordsStore(LocalStore& local, AuditStore& audit);
    ~StaffRecordsStore() override;

    bool find_staff_by_card(std::string_view card_hash, std::optional<StaffAccount>* out,
                            std::string* err) override;
    bool update_staff_attempt(const StaffAccount& before, const StaffAccount& after, bool* applied,
                              std::string* err) override;
    bool enroll(std::string_view card_hash, std::string_view trainee_no, Instant now,
                std::string* err) override;
    bool unenroll(std::string_view card_hash, Instant now, std::string* err) override;
    bool briefing_queue(std::vector<BriefingItem>* out, std::string* err) override;
    bool mark_briefed(std::string_view trainee_no, std::string_view staff_id, Instant now,
                      std::string* err) override;
    bool latest_audit(int n, std::vector<AuditEntry>* out, std::string* err) override;
    bool latest_audit_of_kind(std::string_view kind, std::optional<AuditEntry>* out,
                              std::string* err) override;
    bool verify_audit(AuditChainState* out, std::string* err) override;

private:
    LocalStore& local_;
    AuditStore& audit_;
    std::shared_ptr<Database> db_;
};

}  // namespace kiosk::db
