// Audit rows as CSV / JSON for staff and auditors (see audit_export.h).
#include "kiosk/audit_export.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

namespace kiosk {
namespace {

using json = nlohmann::json;

std::string scalar_text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    if (v.is_array()) {
        std::string out;
        for (auto& x : v) out += (out.empty() ? "" : ", ") + scalar_text(x);
        return out;
    }
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

json detail_json(std::string_view text) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    return j.is_discarded() ? json(std::string(text)) : j;
}

}  // namespace

std::optional<AuditExportFormat> audit_export_format(std::string_view name) {
    if (name == "csv") return AuditExportFormat::Csv;
    if (name == "json") return AuditExportFormat::Json;
    return std::nullopt;
}

std::string spreadsheet_safe(std::string_view cell) {
    if (!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' ||
                          cell[0] == '\t' || cell[0] == '\r'))
        return "'" + std::string(cell);
    return std::string(cell);
}

std::string csv_cell(std::string_view cell) {
    std::string safe = spreadsheet_safe(cell);
    if (safe.find_first_of(",\"\r\n") == std::string::npos) return safe;
    std::string out = "\"";
    for (char c : safe) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string readable_detail(std::string_view detail) {
    json j = detail_json(detail);
    if (!j.is_object()) return scalar_text(j);
    std::string out;
    for (auto& [k, v] : j.items()) {
        std::string text = scalar_text(v);
        if (text.empty()) continue;
        out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", k, text);
    }
    return out;
}

std::string audit_subject(const AuditEvent& e) {
    std::string out;
    if (!e.trainee_no.empty()) out = "trainee " + e.trainee_no;
    if (!e.card_prefix.empty()) out += (out.empty() ? "card " : ", card ") + e.card_prefix;
    if (out.empty()) {
        json d = detail_json(e.detail);
        if (d.is_object() && d.contains("staff") && d["staff"].is_string())
            out = "staff " + d["staff"].get<std::string>();
        else if (d.is_object() && d.contains("session"))
            out = "session " + scalar_text(d["session"]);
    }
    return out;
}

AuditExportWriter::AuditExportWriter(std::ostream& os, AuditExportFormat format)
    : os_(os), format_(format) {
    if (format_ == AuditExportFormat::Csv)
        os_ << "\xEF\xBB\xBF"
            << "seq,time_jst,actor,event,outcome,subject,detail,row_hash\r\n";
    else
        os_ << "[";
}

void AuditExportWriter::row(const AuditEntry& r) {
    const AuditEvent& e = r.event;
    std::string at = format_instant(e.at);  // Japan time, +09:00
    if (format_ == AuditExportFormat::Csv) {
        os_ << r.seq << ',' << csv_cell(at) << ',' << csv_cell(e.actor) << ',' << csv_cell(e.kind)
            << ',' << csv_cell(e.outcome) << ',' << csv_cell(audit_subject(e)) << ','
            << csv_cell(readable_detail(e.detail)) << ',' << csv_cell(r.row_hash) << "\r\n";
    } else {
        // The stored fields under their stored names (scripts read these), plus the readable
        // subject and detail the CSV shows.
        nlohmann::ordered_json j;
        j["seq"] = r.seq;
        j["at"] = at;
        j["kind"] = e.kind;
        j["actor"] = e.actor;
        j["trainee_no"] = e.trainee_no;
        j["card_prefix"] = e.card_prefix;
        j["outcome"] = e.outcome;
        j["subject"] = audit_subject(e);
        j["detail"] = e.detail;
        j["detail_text"] = readable_detail(e.detail);
        j["row_hash"] = r.row_hash;
        os_ << (first_ ? "\n" : ",\n") << j.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    first_ = false;
}

void AuditExportWriter::finish() {
    if (format_ == AuditExportFormat::Json) os_ << (first_ ? "]\n" : "\n]\n");
    os_.flush();
}

}  // namespace kiosk
