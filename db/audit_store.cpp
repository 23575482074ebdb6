// The hash-chained audit trail in kiosk.db (see audit_store.h).
#include "db/audit_store.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "db/kiosk_db.h"
#include "db/migrations.h"
#include "db/sqlite.h"

namespace kiosk::db {
namespace {

constexpr std::string_view kSelectColumns =
    "SELECT seq, at, kind, actor, trainee_no, card_prefix, outcome, detail, prev_hash, row_hash "
    "FROM events";

AuditRow read_row(const Statement& st) {
    AuditRow r;
    r.seq = st.column_int(0);
    r.event.at = Instant{std::chrono::seconds{st.column_int(1)}};
    r.event.kind = st.column_text(2);
    r.event.actor = st.column_text(3);
    r.event.trainee_no = st.column_text(4);
    r.event.card_prefix = st.column_text(5);
    r.event.outcome = st.column_text(6);
    r.event.detail = st.column_text(7);
    r.prev_hash = st.column_text(8);
    r.row_hash = st.column_text(9);
    return r;
}

void put_int(crypto_generichash_state* h, std::int64_t v) {
    std::array<unsigned char, 8> b;
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 7; i >= 0; --i) {
        b[static_cast<size_t>(i)] = static_cast<unsigned char>(u & 0xff);
        u >>= 8;
    }
    crypto_generichash_update(h, b.data(), b.size());
}

void put_text(crypto_generichash_state* h, std::string_view s) {
    put_int(h, static_cast<std::int64_t>(s.size()));
    crypto_generichash_update(h, reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace

AuditStore::AuditStore(const std::string& path, bool create)
    : path_(path),
      db_(KioskDb::open(path, create, std::filesystem::path(path).filename().string())) {}

AuditStore::AuditStore(std::shared_ptr<Database> db) : path_(db->path()), db_(std::move(db)) {}

AuditStore::~AuditStore() = default;

bool AuditStore::transact(const std::function<bool(std::string* err)>& work, std::string* err) {
    std::string why;
    try {
        Transaction tx(*db_);
        if (!work(&why)) {
            *err = why.empty() ? "the change was refused (nothing of it was kept)"
                               : explain_storage_error(path_, why);
            return false;
        }
        tx.commit();
        return true;
    } catch (const std::exception& ex) {
        *err = explain_storage_error(
            path_, why.empty() ? fmt::format("cannot commit to {}: {}", path_, ex.what())
                               : fmt::format("{}; cannot commit to {}: {}", why, path_, ex.what()));
    } catch (...) {
        *err = fmt::format("cannot commit to {}: unknown error", path_);
    }
    return false;
}

std::string AuditStore::compute_row_hash(std::string_view prev_hash, std::int64_t seq,
                                         const AuditEvent& e) {
    if (sodium_init() < 0) return {};
    crypto_generichash_state h;
    crypto_generichash_init(&h, nullptr, 0, crypto_generichash_BYTES);
    crypto_generichash_update(&h, reinterpret_cast<const unsigned char*>(prev_hash.data()),
                              prev_hash.size());
    put_int(&h, seq);
    put_int(&h, e.at.time_since_epoch().count());
    for (std::string_view field : {std::string_view(e.kind), std::string_view(e.actor),
                                   std::string_view(e.trainee_no), std::string_view(e.card_prefix),
                                   std::string_view(e.outcome), std::string_view(e.detail)}) {
        put_text(&h, field);
    }
    std::array<unsigned char, crypto_generichash_BYTES> digest;
    crypto_generichash_final(&h, digest.data(), digest.size());
    std::array<char, crypto_generichash_BYTES * 2 + 1> hex;
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data(), digest.size() * 2);
}

bool AuditStore::append(const AuditEvent& e, AuditReceipt* out, std::string* err) {
    try {
        Transaction tx(*db_);
        std::int64_t seq = 1;
        std::string prev(kAuditGenesisHash);
        {
            auto st = db_->prepare("SELECT seq, row_hash FROM events ORDER BY seq DESC LIMIT 1");
            if (st.step()) {
                seq = st.column_int(0) + 1;
                prev = st.column_text(1);
            }
        }
        std::string hash = compute_row_hash(prev, seq, e);
        if (hash.empty()) {
            *err = "cannot append to the audit trail: libsodium failed to initialise";
            return false;
        }
        auto ins = db_->prepare(
            "INSERT INTO events(seq, at, kind, actor, trainee_no, card_prefix, outcome, detail, "
            "prev_hash, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        ins.bind(1, seq)
            .bind(2, std::int64_t{e.at.time_since_epoch().count()})
            .bind(3, e.kind)
            .bind(4, e.actor)
            .bind(5, e.trainee_no)
            .bind(6, e.card_prefix)
            .bind(7, e.outcome)
            .bind(8, e.detail)
            .bind(9, prev)
            .bind(10, hash);
        ins.run();
        tx.commit();
        if (out) *out = AuditReceipt{seq, hash};
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot append to the audit trail {}: {}", path_, ex.what());
    } catch (...) {
        *err = fmt::format("cannot append to the audit trail {}: unknown error", path_);
    }
    return false;
}

bool AuditStore::verify(AuditVerifyResult* out, std::string* err) {
    try {
        AuditVerifyResult r;
        // One read transaction: a consistent snapshot even while the kiosk appends.
        Transaction tx(*db_, /*immediate=*/false);
        auto st = db_->prepare(std::string(kSelectColumns) + " ORDER BY seq");
        std::int64_t prev_seq = 0;
        std::string prev_hash(kAuditGenesisHash);
        while (st.step()) {
            AuditRow row = read_row(st);
            ++r.rows;
            if (row.seq != prev_seq + 1) {
                r.first_bad_seq = prev_seq + 1;
                r.problem =
                    row.seq > prev_seq + 1
                        ? fmt::format("row {} is missing (seq jumps from {} to {})", prev_seq + 1,
                                      prev_seq, row.seq)
                        : fmt::format("row {} is out of order (after row {})", row.seq, prev_seq);
                break;
            }
            if (row.prev_hash != prev_hash) {
                r.first_bad_seq = row.seq;
                r.problem = row.seq == 1 ? "row 1: prev_hash is not the genesis hash"
                                         : fmt::format("row {}: prev_hash does not match row {}",
                                                       row.seq, prev_seq);
                break;
            }
            if (compute_row_hash(row.prev_hash, row.seq, row.event) != row.row_hash) {
                r.first_bad_seq = row.seq;
                r.problem = fmt::format("row {}: hash does not match its contents", row.seq);
                break;
            }
            prev_seq = row.seq;
            prev_hash = row.row_hash;
        }
        r.ok = r.first_bad_seq == 0;
        r.head_hash = prev_hash;
        *out = std::move(r);
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot read the audit trail {}: {}", path_, ex.what());
        return false;
    }
}

bool AuditStore::head(std::int64_t* seq, std::string* hash, std::string* err) {
    try {
        auto st = db_->prepare("SELECT seq, row_hash FROM events ORDER BY seq DESC LIMIT 1");
        if (st.step()) {
            *seq = st.column_int(0);
            *hash = st.column_text(1);
        } else {
            *seq = 0;
            *hash = std::string(kAuditGenesisHash);
        }
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot read the audit trail {}: {}", path_, ex.what());
        return false;
    }
}

bool AuditStore::export_events(std::ostream& os, std::string_view format,
                               std::optional<Instant> since, std::string* err) {
    if (format != "csv" && format != "json") {
        *err = fmt::format("unknown export format '{}': use csv or json", format);
        return false;
    }
    try {
        Transaction tx(*db_, /*immediate=*/false);
        auto st = db_->prepare(std::string(kSelectColumns) + " WHERE at >= ? ORDER BY seq");
        st.bind(1, since ? std::int64_t{since->time_since_epoch().count()}
                         : std::numeric_limits<std::int64_t>::min());
        bool first = true;
        if (format == "csv") {
            os << "seq,at,kind,actor,trainee_no,card_prefix,outcome,detail,row_hash\r\n";
        } else {
            os << "[";
        }
        while (st.step()) {
            AuditRow r = read_row(st);
            std::string at = format_instant(r.event.at);
            if (format == "csv") {
                os << r.seq << ',' << csv_field(at) << ',' << csv_field(r.event.kind) << ','
                   << csv_field(r.event.actor) << ',' << csv_field(r.event.trainee_no) << ','
                   << csv_field(r.event.card_prefix) << ',' << csv_field(r.event.outcome) << ','
                   << csv_field(r.event.detail) << ',' << csv_field(r.row_hash) << "\r\n";
            } else {
                nlohmann::ordered_json j;
                j["seq"] = r.seq;
                j["at"] = at;
                j["kind"] = r.event.kind;
                j["actor"] = r.event.actor;
                j["trainee_no"] = r.event.trainee_no;
                j["card_prefix"] = r.event.card_prefix;
                j["outcome"] = r.event.outcome;
                j["detail"] = r.event.detail;
                j["row_hash"] = r.row_hash;
                os << (first ? "\n" : ",\n")
                   << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            }
            first = false;
        }
        if (format == "json") os << (first ? "]\n" : "\n]\n");
        os.flush();
        if (!os) {
            *err = "cannot write the audit export: output stream failed";
            return false;
        }
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot export the audit trail {}: {}", path_, ex.what());
        return false;
    }
}

bool AuditStore::latest(int n, std::vector<AuditRow>* out, std::string* err) {
    try {
        auto st = db_->prepare(std::string(kSelectColumns) + " ORDER BY seq DESC LIMIT ?");
        st.bind(1, n < 0 ? 0 : n);
        out->clear();
        while (st.step()) out->push_back(read_row(st));
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot read the audit trail {}: {}", path_, ex.what());
        return false;
    }
}

bool AuditStore::latest_of_kind(std::string_view kind, std::optional<AuditRow>* out,
                                std::string* err) {
    try {
        auto st =
            db_->prepare(std::string(kSelectColumns) + " WHERE kind = ? ORDER BY seq DESC LIMIT 1");
        st.bind(1, std::string(kind));
        out->reset();
        if (st.step()) *out = read_row(st);
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot read the audit trail {}: {}", path_, ex.what());
        return false;
    }
}

bool AuditStore::row_at(std::int64_t seq, std::optional<AuditRow>* out, std::string* err) {
    try {
        auto st = db_->prepare(std::string(kSelectColumns) + " WHERE seq = ?");
        st.bind(1, seq);
        out->reset();
        if (st.step()) *out = read_row(st);
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot read the audit trail {}: {}", path_, ex.what());
        return false;
    }
}

// h2 (issue 9 item 11): the latest time on record, for the clock check.
bool AuditStore::latest_time(std::optional<Instant>* out, std::string* err) {
    try {
        auto st = db_->cached("SELECT max(at) FROM events");
        out->reset();
        if (st.step() && !st.is_null(0)) *out = Instant{std::chrono::seconds{st.column_int(0)}};
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot read the audit trail {}: {}", path_, ex.what());
        return false;
    }
}

// h2 (issue 9 item 5): the rollback floor, from every "sync.applied" row (incrementally).
bool AuditStore::highest_applied_snapshot(std::optional<AppliedSnapshot>* out, std::string* err) {
    try {
        auto st = db_->cached(
            "SELECT seq, at, detail FROM events WHERE kind = 'sync.applied' AND seq > ? "
            "ORDER BY seq");
        st.bind(1, applied_scanned_to_);
        while (st.step()) {
            const std::int64_t seq = st.column_int(0);
            applied_scanned_to_ = seq;
            auto detail = nlohmann::json::parse(st.column_text(2), nullptr, false);
            if (!detail.is_object() || !detail.contains("sequence") ||
                !detail["sequence"].is_number_integer())
                continue;
            AppliedSnapshot a;
            a.sequence = detail["sequence"].get<std::int64_t>();
            if (detail.contains("generated_at") && detail["generated_at"].is_string())
                if (auto g = parse_instant(detail["generated_at"].get<std::string>()))
                    a.generated_at = *g;
            a.audit_seq = seq;
            a.applied_at = Instant{std::chrono::seconds{st.column_int(1)}};
            if (!applied_floor_ || a.sequence >= applied_floor_->sequence) applied_floor_ = a;
        }
        *out = applied_floor_;
        return true;
    } catch (const std::exception& ex) {
        *err = fmt::format("cannot read the audit trail {}: {}", path_, ex.what());
        return false;
    }
}

}  // namespace kiosk::db
