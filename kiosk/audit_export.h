// The audit trail for people (`kioskctl audit export`): each event as time in Japan, actor,
// event, outcome, subject and a readable detail, as CSV that is safe to open in a spreadsheet
// (UTF-8 with a BOM so Excel reads Japanese; a cell starting with = + - @, tab or carriage return
// is prefixed with ' so it is never run as a formula) or as a JSON array. Pure: rows in, text out.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "kiosk/staff_desk.h"

namespace kiosk {

enum class AuditExportFormat { Csv, Json };
// "csv" / "json"; nullopt otherwise.
std::optional<AuditExportFormat> audit_export_format(std::string_view name);

// A spreadsheet cell that cannot be read as a formula: text starting with = + - @, a tab or a
// carriage return gets a leading apostrophe (OWASP "CSV injection").
std::string spreadsheet_safe(std::string_view cell);
// One RFC 4180 field of spreadsheet_safe(cell): quoted when it holds , " CR or LF.
std::string csv_cell(std::string_view cell);
// A JSON detail object as `key: value; key: value` (arrays joined with ", "); other text as is.
std::string readable_detail(std::string_view detail_json);
// Who or what the event is about: "trainee A-1, card 1a2b3c4d5e6f", "staff S-1", or "".
std::string audit_subject(const AuditEvent& e);

// Writes rows one by one: the header (and BOM) first, then row(), then finish().
class AuditExportWriter {
public:
    AuditExportWriter(std::ostream& os, AuditExportFormat format);
    void row(const AuditEntry& r);
    void finish();

private:
    std::ostream& os_;
    AuditExportFormat format_;
    bool first_ = true;
};

}  // namespace kiosk
