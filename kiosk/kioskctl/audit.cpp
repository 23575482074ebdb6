// kioskctl audit commands: `audit verify [--head FILE]` (recompute the hash chain) and
// `audit export --format csv|json [--since TIME]` (the trail for staff and auditors, through the
// core formatter kiosk/audit_export.h: Japan time, spreadsheet-safe CSV with a BOM, or JSON).
#include <fmt/format.h>

#include <iostream>

#include "db/audit_head.h"
#include "db/audit_store.h"
#include "db/data_dir.h"
#include "kiosk/audit_export.h"
#include "kiosk/card_id.h"
#include "kiosk/kioskctl/kioskctl.h"

namespace kiosk {

void add_audit_commands(CLI::App& app, Ctl& ctl) {
    auto* audit = app.add_subcommand("audit", "verify or export the audit trail");
    audit->require_subcommand(1);
    auto* verify = audit->add_subcommand("verify", "recompute the hash chain");
    static std::string v_head;
    verify->add_option("--head", v_head,
                       "an exported head (audit-head.txt): the chain must still hold that row "
                       "with that hash (detects removal of the newest rows)");
    verify->callback([&ctl] {
        db::AuditVerifyResult v;
        std::string err;
        if (!ctl.data().audit().verify(&v, &err)) throw CtlError(err);
        if (!v.ok) throw CtlError(fmt::format("audit chain broken: {}", v.problem));
        if (!v_head.empty()) {
            db::AuditHead h;
            if (!db::read_audit_head_file(v_head, &h, &err)) throw CtlError(err);
            std::string problem;
            if (!db::check_audit_head(ctl.data().audit(), h, &problem, &err)) throw CtlError(err);
            if (!problem.empty())
                throw CtlError(fmt::format("audit chain broken against {}: {}", v_head, problem));
            fmt::print("audit chain verifies: {} rows, head {}; holds exported row {} ({})\n",
                       v.rows, v.head_hash, h.seq, v_head);
            return;
        }
        fmt::print("audit chain verifies: {} rows, head {}\n", v.rows, v.head_hash);
    });

    auto* exp = audit->add_subcommand(
        "export",
        "export events for people: seq, time (Japan), actor, event, outcome, subject, detail, "
        "row hash; CSV is UTF-8 with a BOM and safe to open in a spreadsheet");
    static std::string x_format = "csv", x_since;
    exp->add_option("--format", x_format, "csv or json")->check(CLI::IsMember({"csv", "json"}));
    exp->add_option("--since", x_since,
                    "only events at or after this time (ISO 8601; a bare date is midnight in "
                    "Japan)");
    exp->callback([&ctl] {
        std::optional<Instant> since;
        if (!x_since.empty()) {
            since = parse_instant(x_since);
            if (!since) {
                // A date and time without its offset is ambiguous (Japan or UTC?): say so.
                const auto t = x_since.find('T');
                const bool no_offset = t != std::string::npos &&
                                       x_since.find_first_of("Zz+-", t) == std::string::npos &&
                                       parse_instant(x_since + "+09:00");
                throw CtlError(
                    no_offset
                        ? fmt::format("--since '{}' has no UTC offset: add one, e.g. {}+09:00 "
                                      "(Japan time) or {}Z (UTC)",
                                      printable_excerpt(x_since), printable_excerpt(x_since),
                                      printable_excerpt(x_since))
                        : fmt::format("--since '{}' is not a time: use ISO 8601 such as "
                                      "2026-11-24 or 2026-11-24T09:00:00+09:00",
                                      printable_excerpt(x_since)));
            }
        }
        auto format = audit_export_format(x_format);
        auto& audit = ctl.data().audit();
        std::string err, head_hash;
        std::int64_t head = 0;
        if (!audit.head(&head, &head_hash, &err)) throw CtlError(err);
        // Rows are read one at a time in seq order up to the head seen at the start, so a long
        // export holds no lock and no copy of the trail.
        AuditExportWriter out(std::cout, *format);
        for (std::int64_t seq = 1; seq <= head; ++seq) {
            std::optional<db::AuditRow> row;
            if (!audit.row_at(seq, &row, &err)) throw CtlError(err);
            if (!row) throw CtlError(fmt::format("audit row {} is missing: run audit verify", seq));
            if (since && row->event.at < *since) continue;
            out.row(AuditEntry{row->seq, row->event, row->row_hash});
        }
        out.finish();
        if (!std::cout) throw CtlError("cannot write the audit export: output stream failed");
    });
}

}  // namespace kiosk
