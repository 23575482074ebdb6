// The staff service's port (kiosk/staff_desk.h StaffRecords) over the kiosk's stores: staff rows
// and PIN-attempt compare-and-set in local.db (through a connection of its own), card bindings and
// briefings through LocalStore, audit rows through AuditStore.
#pragma once

#include <memory>

#include "db/audit_store.h"
#include "db/local_store.h"
#include "kiosk/staff_desk.h"

namespace kiosk::db {

class Database;

class StaffRecordsStore final : public StaffRecords {
public:
    // Opens its own connection to local.path(). Throws std::runtime_error naming the file.
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
    std::unique_ptr<Database> db_;
};

}  // namespace kiosk::db
