// The signed snapshot sync (see feed_import.h).
#include "db/feed_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "db/csv_reader.h"
#include "db/feed_parser.h"
#include "db/minisign.h"
#include "db/regular_file.h"
#include "db/text_decoder.h"
#include "kiosk/trust_checks.h"

namespace kiosk::db {
namespace {

constexpr std::chrono::hours kMaxFutureSkew{1};

// "line 4, column completed_on" from "line 4, column completed_on: '…' is not a date": the
// location alone, for the audit trail, which must never hold names or other row values.
std::string error_location(std::string_view e) {
    size_t colon = e.find(": ");
    return std::string(colon == std::string_view::npos ? e : e.substr(0, colon));
}

// One read of the snapshot through the parser: the verified bytes, decoded when CP932, as CSV,
// validated. The sync reads it once, and a second time when rows must be staged.
struct FeedReading {
    VerifiedBytesSource file;
    std::optional<Cp932ByteSource> cp932;
    CsvReader reader;
    FeedParser parser;

    FeedReading(std::istream& csv, const MinisignPrehash& verified, bool is_cp932,
                std::int64_t max_invalid_rows, std::int64_t expected_rows)
        : file(csv, verified),
          cp932(is_cp932 ? std::optional<Cp932ByteSource>(std::in_place, file) : std::nullopt),
          reader(cp932 ? static_cast<ByteSource&>(*cp932) : static_cast<ByteSource&>(file)),
          parser(reader, FeedParseOptions{.max_invalid_rows = max_invalid_rows,
                                          .expected_rows = expected_rows}) {}
};

// Back to the start of the snapshot for another read.
bool rewind(std::istream& csv) {
    csv.clear();
    csv.seekg(0);
    return static_cast<bool>(csv);
}

}  // namespace

bool VerifiedBytesSource::read(char* buf, size_t cap, size_t* n, std::string* err) {
    *n = 0;
    if (chunk_.empty() && !done_) {
        if (!ahead_.next(&chunk_)) {
            *err = "cannot read the CSV file";
            return false;
        }
        if (chunk_.empty()) {
            done_ = true;
            if (ahead_.prehash() != verified_) {
                *err =
                    "the snapshot changed while it was being read: its bytes no longer match the "
                    "signature verified moments before (something is writing the file)";
                return false;
            }
        }
    }
    *n = std::min(cap, chunk_.size());
    if (*n > 0) std::memcpy(buf, chunk_.data(), *n);  // (the end's empty chunk has no data)
    chunk_.remove_prefix(*n);
    return true;
}

bool sync_snapshot(const SyncRequest& req, MirrorStore& mirror, AuditTrail& audit,
                   SyncReport* report_out, std::string* err) {
    SyncReport local;
    SyncReport& r = report_out ? *report_out : local;
    r = SyncReport{};
    r.dry_run = req.dry_run;
    r.full_compare = req.full_compare;
    auto progress = [&](std::string_view phase, std::int64_t rows) {
        if (req.progress) req.progress(phase, rows);
    };
    r.csv_path = req.source.empty() ? req.csv_path : req.source;
    const Instant now = req.now == Instant{} ? kiosk::now() : req.now;

    // Every rejection ends here: one line for the caller, an audit event without row values.
    auto reject = [&](std::string why, std::string audit_reason = {}) {
        r.rejected = why;
        *err = std::move(why);
        nlohmann::json detail = {{"reason", audit_reason.empty() ? r.rejected : audit_reason},
                                 {"file", r.csv_path},
                                 {"dry_run", req.dry_run}};
        if (r.sequence_to != 0) detail["sequence"] = r.sequence_to;
        if (!r.key_id.empty()) detail["key_id"] = r.key_id;
        AuditEvent e{.at = now,
                     .kind = "sync.rejected",
                     .actor = req.actor,
                     .trainee_no = "",
                     .card_prefix = "",
                     .outcome = "rejected",
                     .detail = detail.dump()};
        AuditReceipt receipt;
        std::string audit_err;
        if (!audit.append(e, &receipt, &audit_err))
            *err += fmt::format(" (and the rejection could not be audited: {})", audit_err);
        return false;
    };

    std::string e;
    const auto encoding = canonical_feed_encoding(req.encoding, &e);
    if (!encoding) return reject(e);

    // 1. The snapshot file itself (a missing file or a directory is named as the snapshot, not as
    // its missing signature), the pinned key and the signature, before a byte of the CSV is parsed.
    progress("verifying", 0);
    RegularFile csv_file;
    if (!csv_file.open(req.csv_path, "snapshot", req.max_snapshot_bytes, &e)) return reject(e);
    MinisignPublicKey key;
    if (!read_minisign_public_key(req.public_key_path, &key, &e))
        return reject(fmt::format("cannot use the pinned public key: {}", e));
    const std::string sig_path = req.sig_path.empty() ? req.csv_path + ".minisig" : req.sig_path;
    MinisignSignature sig;
    if (!read_minisign_signature(sig_path, &sig, &e)) return reject(e);
    r.key_id = minisign_key_id_hex(sig.key_id);
    std::ifstream csv(csv_file.proc_path(), std::ios::binary);
    if (!csv) return reject(fmt::format("cannot open the snapshot {}", req.csv_path));
    // The mirror's digests, which the import starts from, are read meanwhile on another thread
    // (and connection): the verification below leaves part of the machine's two cores idle.
    // Only the mirror is read; nothing of the snapshot is used before its signature holds.
    auto digests_ahead = mirror.read_digests_ahead(req.full_compare);
    // The same read checks, when asked to detect the encoding, whether the snapshot is UTF-8 (its
    // answer is used below, after the checks against the mirror, as a read of its own would be).
    MinisignPrehash verified;
    FeedUtf8Scan utf8;
    std::function<void(std::string_view)> check_utf8;
    if (*encoding == "auto")
        check_utf8 = [&](std::string_view bytes) {
            if (!utf8.failed()) utf8.feed(bytes);
        };
    if (!minisign_verify_stream(csv, sig, key, &e, &verified, check_utf8)) return reject(e);

    // 2. The trusted comment against the mirror, the audit trail's record of what was applied,
    // and the clock.
    FeedStamp stamp;
    if (!parse_feed_stamp(sig.trusted_comment, &stamp, &e)) return reject(e);
    r.sequence_to = stamp.sequence;
    r.generated_at = stamp.generated_at;
    std::optional<AppliedSnapshot> floor;
    if (!audit.highest_applied_snapshot(&floor, &e))
        return reject(fmt::format("cannot read what the audit trail says was applied: {}", e));
    // Checked against the mirror read here, and again inside the import's write transaction
    // (`current` is then what is committed): another sync may commit in between.
    auto refusal = [&](const std::optional<FeedState>& current) -> std::optional<std::string> {
        if (auto c = clock_fault(
                now, current ? std::optional<Instant>(current->generated_at) : std::nullopt,
                req.newest_audit_at))
            return fmt::format("sync refused: {}", *c);
        const std::int64_t from = current ? current->sequence : 0;
        // The snapshot the mirror already holds may be applied again only to repair the mirror.
        const bool same_snapshot = req.full_compare && current &&
                                   stamp.sequence == current->sequence &&
                                   stamp.generated_at == current->generated_at;
        // The highest applied snapshot again, into a mirror that lost it (a copy put back): the
        // restore, allowed for that same snapshot only.
        const bool restoring = floor && stamp.sequence == floor->sequence &&
                               from < floor->sequence && stamp.generated_at == floor->generated_at;
        if (stamp.sequence <= from && !same_snapshot)
            return fmt::format("sequence {} is not greater than the mirror's {}: replayed snapshot",
                               stamp.sequence, from);
        if (floor && stamp.sequence < floor->sequence)
            return fmt::format(
                "sequence {} is older than sequence {}, the highest this kiosk has applied (on {}, "
                "audit row {}): an older snapshot{}; sync the records office's current snapshot "
                "(sequence {} or newer)",
                stamp.sequence, floor->sequence, format_instant(floor->applied_at),
                floor->audit_seq,
                from < floor->sequence ? " into a mirror that was rolled back or re-created" : "",
                floor->sequence);
        if (floor && stamp.sequence == floor->sequence && !restoring && !same_snapshot)
            return fmt::format(
                "sequence {} was already applied (on {}, audit row {}){}: replayed snapshot",
                stamp.sequence, format_instant(floor->applied_at), floor->audit_seq,
                stamp.generated_at != floor->generated_at
                    ? fmt::format(" with generated_at {}, not {}",
                                  format_instant(floor->generated_at),
                                  format_instant(stamp.generated_at))
                    : "");
        if (current && stamp.generated_at < current->generated_at)
            return fmt::format("generated_at {} is older than the mirror's {}: an older snapshot",
                               format_instant(stamp.generated_at),
                               format_instant(current->generated_at));
        if (floor && stamp.generated_at < floor->generated_at)
            return fmt::format(
                "generated_at {} is older than that of sequence {} ({}), the highest this kiosk "
                "has applied: an older snapshot",
                format_instant(stamp.generated_at), floor->sequence,
                format_instant(floor->generated_at));
        if (stamp.generated_at > now + kMaxFutureSkew)
            return fmt::format(
                "generated_at {} is more than 1 hour after now ({}): check the clocks of the "
                "kiosk and the records office",
                format_instant(stamp.generated_at), format_instant(now));
        return std::nullopt;
    };
    std::optional<FeedState> current;
    if (!mirror.feed_state(&current, &e))
        return reject(fmt::format("cannot read the mirror's state: {}", e));
    if (current) r.sequence_from = current->sequence;
    if (auto why = refusal(current)) return reject(*why);

    // 3. Parse, validate and stage, then compare with the mirror.
    const std::string cannot_reread = fmt::format("cannot re-read the snapshot {}", req.csv_path);
    if (!rewind(csv)) return reject(cannot_reread);
    r.encoding = *encoding;
    if (r.encoding == "auto") {
        // UTF-8 was checked while the signature's hash was computed; only a snapshot that is not
        // UTF-8 is read again, for CP932.
        auto detected = feed_encoding_after_utf8_scan(csv, utf8, &e);
        if (!detected) return reject(e);
        r.encoding = *detected;
        r.encoding_detected = true;
        if (!rewind(csv)) return reject(cannot_reread);
    }
    // The first read's parser (its indexes of every trainee and certificate) is freed once read:
    // before the comparison's sorts and before the second read builds its own.
    // Rows of a typical snapshot take about 90 bytes (the demo feed's 92 bytes a row).
    const std::int64_t expected_rows = csv_file.size() / 90;
    auto first = std::make_unique<FeedReading>(csv, verified, r.encoding == "cp932",
                                               req.max_invalid_rows, expected_rows);
    FeedParser& parser = first->parser;
    auto import = mirror.begin_import(&e, req.full_compare, std::move(digests_ahead));
    if (!import) return reject(e);
    // The import holds the mirror's write lock: what it reads now is what is committed, and
    // stays so until this import commits or rolls back.
    if (!mirror.feed_state(&current, &e)) {
        import->rollback();
        return reject(fmt::format("cannot read the mirror's state: {}", e));
    }
    if (const std::int64_t committed = current ? current->sequence : 0;
        committed != r.sequence_from) {
        r.sequence_from = committed;
        if (auto why = refusal(current)) {
            import->rollback();
            return reject(
                fmt::format("{} (another sync applied sequence {} meanwhile)", *why, committed));
        }
    } else if (auto why = refusal(current)) {
        import->rollback();
        return reject(*why);
    }
    progress("reading", 0);
    for (std::int64_t n = 1;; ++n) {
        // Parsed straight into the import's batch: no copy of the row.
        FeedRow* row = import->row_to_fill(&e);
        if (!row) return reject(e);
        auto res = parser.next(row, &e);
        if (res == FeedParser::Result::End) break;
        if ((n & 8191) == 0) progress("reading", n);
        if (res == FeedParser::Result::Rejected) {
            import->rollback();
            r.rows_read = parser.rows_read();
            r.errors = parser.errors();
            r.warnings = parser.warnings();
            size_t more = r.errors.size() > 1 ? r.errors.size() - 1 : 0;
            std::string line =
                more ? fmt::format("{} (and {} more errors: see the report)", e,
                                   r.errors.back() == "… more errors" ? fmt::format("{}+", more - 1)
                                                                      : std::to_string(more))
                     : e;
            return reject(line, fmt::format("invalid feed: {} errors listed, the first at {}",
                                            r.errors.size(), error_location(e)));
        }
        if (!import->add_filled(&e)) return reject(e);
    }
    r.rows_read = parser.rows_read();
    r.errors = parser.errors();
    r.warnings = parser.warnings();
    r.skipped_lines = parser.skipped_lines();
    // The trainees that differ from the mirror are known once the whole file is read (a
    // trainee's rows may be anywhere in it): their rows are read a second time and staged. The
    // second read is checked against the verified bytes too.
    bool again = false;
    first.reset();
    if (!import->end_first_pass(&again, &e)) return reject(e);
    if (again) {
        if (!rewind(csv)) return reject(cannot_reread);
        FeedReading second(csv, verified, r.encoding == "cp932", req.max_invalid_rows,
                           expected_rows);
        progress("reading again", 0);
        for (std::int64_t n = 1;; ++n) {
            FeedRow* row = import->row_to_fill(&e);
            if (!row) return reject(e);
            auto res = second.parser.next(row, &e);
            if (res == FeedParser::Result::End) break;
            if ((n & 8191) == 0) progress("reading again", n);
            if (res == FeedParser::Result::Rejected) {
                import->rollback();
                return reject(fmt::format("the second read of the snapshot failed: {}", e));
            }
            if (!import->add_filled(&e)) return reject(e);
        }
    }
    progress("comparing", r.rows_read);
    if (!import->diff(&r.diff, &e)) return reject(e);
    const SnapshotDiff& d = r.diff;
    if (d.trainees_before > 0 && !req.allow_mass_removal &&
        static_cast<double>(d.trainees_removed) >
            req.max_removed_fraction * static_cast<double>(d.trainees_before))
        return reject(
            fmt::format("the snapshot would remove {} of the mirror's {} trainees, more "
                        "than {:.0f}%: rerun with --allow-mass-removal if that is "
                        "intended",
                        d.trainees_removed, d.trainees_before, req.max_removed_fraction * 100));
    if (req.dry_run) {
        import->rollback();
        return true;
    }

    // 4. Apply. The audit trail lives in its own file, so the mirror's COMMIT and the audit
    // append cannot be one transaction. We commit first and audit "sync.applied" after: the
    // mirror never holds a snapshot that was not verified, and if the append fails the caller
    // gets an error saying the snapshot is applied but unaudited (the feed_state row still
    // records sequence, key and time). Auditing first would leave an "applied" event for a
    // snapshot whose COMMIT might then fail — a false record in a tamper-evident trail.
    FeedState state{.sequence = stamp.sequence,
                    .generated_at = stamp.generated_at,
                    .key_id = r.key_id,
                    .applied_at = now,
                    .trainees = d.trainees_after,
                    .certificates = d.certificates_after};
    progress("applying", r.rows_read);
    if (!import->commit(state, &e)) return reject(e);
    r.applied = true;
    nlohmann::json detail = {{"file", r.csv_path},
                             {"sequence", stamp.sequence},
                             {"sequence_from", r.sequence_from},
                             {"generated_at", format_instant(stamp.generated_at)},
                             {"key_id", r.key_id},
                             {"encoding", r.encoding},
                             {"trainees",
                              {{"added", d.trainees_added},
                               {"changed", d.trainees_changed},
                               {"removed", d.trainees_removed},
                               {"total", d.trainees_after}}},
                             {"certificates",
                              {{"added", d.certificates_added},
                               {"changed", d.certificates_changed},
                               {"removed", d.certificates_removed},
                               {"total", d.certificates_after}}},
                             {"rows_skipped", r.skipped_lines.size()},
                             {"warnings", r.warnings.size()}};
    AuditEvent ev{.at = now,
                  .kind = "sync.applied",
                  .actor = req.actor,
                  .trainee_no = "",
                  .card_prefix = "",
                  .outcome = "ok",
                  .detail = detail.dump()};
    AuditReceipt receipt;
    std::string audit_err;
    // The mirror is committed: its audit row must follow. Decisions made without a pause (a
    // stress test's tap loop) hold kiosk.db's write lock nearly all the time, and SQLite's busy
    // handler is not fair to a waiting writer, so a lock timeout is tried again (6 x 5 s).
    bool written = false;
    for (int attempt = 0; attempt < 6 && !written; ++attempt) {
        audit_err.clear();
        written = audit.append(ev, &receipt, &audit_err);
        if (!written && audit_err.find("locked") == std::string::npos &&
            audit_err.find("busy") == std::string::npos)
            break;
    }
    if (!written) {
        *err = fmt::format(
            "snapshot sequence {} was applied, but its audit event could not be "
            "written: {}",
            stamp.sequence, audit_err);
        return false;
    }
    return true;
}

std::string SyncReport::to_json() const {
    nlohmann::json j = {
        {"applied", applied},
        {"dry_run", dry_run},
        {"full_compare", full_compare},
        {"file", csv_path},
        {"sequence_from", sequence_from},
        {"sequence_to", sequence_to},
        {"generated_at", generated_at == Instant{} ? nlohmann::json(nullptr)
                                                   : nlohmann::json(format_instant(generated_at))},
        {"key_id", key_id},
        {"encoding", encoding.empty() ? nlohmann::json(nullptr) : nlohmann::json(encoding)},
        {"encoding_detected", encoding_detected},
        {"rows_read", rows_read},
        {"trainees",
         {{"added", diff.trainees_added},
          {"changed", diff.trainees_changed},
          {"removed", diff.trainees_removed},
          {"before", diff.trainees_before},
          {"after", diff.trainees_after}}},
        {"certificates",
         {{"added", diff.certificates_added},
          {"changed", diff.certificates_changed},
          {"removed", diff.certificates_removed},
          {"before", diff.certificates_before},
          {"after", diff.certificates_after}}},
        {"skipped_lines", skipped_lines},
        {"errors", errors},
        {"warnings", warnings},
        {"rejected", rejected.empty() ? nlohmann::json(nullptr) : nlohmann::json(rejected)}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SyncReport::to_text() const {
    std::string out;
    if (!rejected.empty())
        out += fmt::format("rejected: {}\n", rejected);
    else if (dry_run)
        out += "dry run: nothing was changed\n";
    else if (applied)
        out += "applied\n";
    out += fmt::format("file: {}\n", csv_path);
    if (full_compare) out += "compared: every row (--full-compare)\n";
    if (!key_id.empty()) out += fmt::format("signed by key: {}\n", key_id);
    if (!encoding.empty())
        out += fmt::format("encoding: {}{}\n", encoding, encoding_detected ? " (detected)" : "");
    if (sequence_to != 0)
        out += fmt::format("sequence: {} -> {} (generated {})\n", sequence_from, sequence_to,
                           format_instant(generated_at));
    if (rejected.empty()) {
        out += fmt::format("rows read: {}\n", rows_read);
        out += fmt::format("trainees: {} added, {} changed, {} removed ({} -> {})\n",
                           diff.trainees_added, diff.trainees_changed, diff.trainees_removed,
                           diff.trainees_before, diff.trainees_after);
        out += fmt::format("certificates: {} added, {} changed, {} removed ({} -> {})\n",
                           diff.certificates_added, diff.certificates_changed,
                           diff.certificates_removed, diff.certificates_before,
                           diff.certificates_after);
    }
    if (!skipped_lines.empty()) out += fmt::format("rows skipped: {}\n", skipped_lines.size());
    for (const auto& x : errors) out += fmt::format("  error: {}\n", x);
    for (const auto& w : warnings) out += fmt::format("  warning: {}\n", w);
    return out;
}

}  // namespace kiosk::db
