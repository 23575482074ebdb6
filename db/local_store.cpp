// The kiosk's local state in kiosk.db (see local_store.h).
#include "db/local_store.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <filesystem>

#include "db/kiosk_db.h"
#include "db/migrations.h"
#include "db/sqlite.h"
#include "kiosk/domain.h"

namespace kiosk::db {
namespace {

std::int64_t secs(Instant t) { return t.time_since_epoch().count(); }
Instant instant(std::int64_t s) { return Instant{std::chrono::seconds{s}}; }
std::optional<Instant> opt_instant(const Statement& st, int col) {
    if (st.is_null(col)) return std::nullopt;
    return instant(st.column_int(col));
}

std::string describe(const std::exception& e) { return e.what(); }

constexpr std::string_view kSessionColumns =
    "SELECT id, trainee_no, card_hash, started_at, ends_at, ended_at, end_reason, override_by, "
    "override_reason FROM sessions";

SessionRecord read_session(const Statement& st) {
    SessionRecord s;
    s.id = st.column_int(0);
    s.trainee_no = st.column_text(1);
    s.card_hash = st.column_text(2);
    s.started_at = instant(st.column_int(3));
    s.ends_at = instant(st.column_int(4));
    s.ended_at = opt_instant(st, 5);
    s.end_reason = st.column_text(6);
    s.override_by = st.column_text(7);
    s.override_reason = st.column_text(8);
    return s;
}

bool valid_pin(std::string_view pin) {
    if (pin.size() < 4 || pin.size() > 12) return false;
    for (char c : pin)
        if (c < '0' || c > '9') return false;
    return true;
}

bool valid_staff_id(std::string_view id) {
    if (id.empty() || id.size() > 32) return false;
    for (char c : id) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

// Decodes one UTF-8 sequence at s[i] (advancing i); false when it is not well-formed.
bool next_code_point(std::string_view s, size_t& i, char32_t* cp) {
    auto b = static_cast<unsigned char>(s[i]);
    int n = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
    if (n < 0 || s.size() - i <= static_cast<size_t>(n)) return false;
    char32_t c = n == 0 ? b : b & (0x3F >> n);
    for (size_t k = 1; k <= static_cast<size_t>(n); ++k) {
        auto x = static_cast<unsigned char>(s[i + k]);
        if ((x & 0xC0) != 0x80) return false;
        c = (c << 6) | (x & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (c < kMin[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    i += static_cast<size_t>(n) + 1;
    *cp = c;
    return true;
}

}  // namespace

std::string staff_name_problem(std::string_view name) {
    if (name.empty()) return "a staff member needs a name (1-100 characters)";
    size_t count = 0;
    for (size_t i = 0; i < name.size();) {
        char32_t c = 0;
        if (!next_code_point(name, i, &c)) return "the staff name is not valid UTF-8";
        // Control characters (C0, DEL, C1), line/paragraph separators and bidi controls could
        // forge or reorder lines where the name is printed.
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
            (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
            c == 0x200F || c == 0x061C)
            return fmt::format(
                "the staff name contains a control character (U+{:04X}) at character {}: names "
                "are printed on one line",
                static_cast<std::uint32_t>(c), count + 1);
        ++count;
    }
    if (count > kMaxStaffNameChars)
        return fmt::format("the staff name is {} characters long: at most {}", count,
                           kMaxStaffNameChars);
    return {};
}

std::string_view staff_check_code(StaffCheck::Result r) {
    switch (r) {
        case StaffCheck::Result::Ok:
            return "ok";
        case StaffCheck::Result::Wrong:
            return "wrong";
        case StaffCheck::Result::Locked:
            return "locked";
        case StaffCheck::Result::Unknown:
            return "unknown";
    }
    return "unknown";
}

LocalStore::LocalStore(const std::string& path, bool create)
    : path_(path),
      db_(KioskDb::open(path, create, std::filesystem::path(path).filename().string())) {}

LocalStore::LocalStore(std::shared_ptr<Database> db, const SiteSecret& pepper)
    : path_(db->path()), db_(std::move(db)), pepper_(pepper) {}

LocalStore::LocalStore(const std::string& path, bool create, const SiteSecret& pepper)
    : LocalStore(path, create) {
    pepper_ = pepper;
}

LocalStore::~LocalStore() = default;

void LocalStore::set_pin_pepper(const SiteSecret& pepper) { pepper_ = pepper; }

// ---- LocalState ------------------------------------------------------------------------------

bool LocalStore::find_binding(std::string_view card_hash, std::optional<CardBinding>* out,
                              std::string* err) {
    try {
        auto st = db_->cached(
            "SELECT card_hash, trainee_no, revoked, enrolled_at, revoked_at FROM cards "
            "WHERE card_hash = ?");
        st.bind(1, card_hash);
        if (!st.step()) {
            *out = std::nullopt;
            return true;
        }
        *out = CardBinding{.card_hash = st.column_text(0),
                           .trainee_no = st.column_text(1),
                           .revoked = st.column_int(2) != 0,
                           .enrolled_at = instant(st.column_int(3)),
                           .revoked_at = opt_instant(*st, 4)};
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot read card bindings: {}", describe(e));
        return false;
    }
}

bool LocalStore::active_sessions(Instant now, std::vector<SessionRecord>* out, std::string* err) {
    return list_sessions(true, now, out, err);
}

bool LocalStore::had_session(std::string_view trainee_no, Instant now, bool* out,
                             std::string* err) {
    try {
        auto st = db_->cached(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE trainee_no = ? AND started_at < ?)");
        st.bind(1, trainee_no).bind(2, secs(now));
        st.step();
        *out = st.column_int(0) != 0;
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot read sessions: {}", describe(e));
        return false;
    }
}

bool LocalStore::revisions(std::vector<Revision>* out, std::string* err) {
    try {
        auto st = db_->cached(
            "SELECT id, effective_on, new_users_from, excludes_new_users, advise_existing, rule "
            "FROM revisions ORDER BY effective_on, id");
        out->clear();
        while (st.step()) {
            Revision r;
            r.id = st.column_text(0);
            auto eff = parse_date(st.column_text(1));
            auto from = parse_date(st.column_text(2));
            if (!eff || !from) {
                *err = fmt::format("revision {} in {} has an invalid date", r.id, path_);
                return false;
            }
            r.effective_on = *eff;
            r.new_users_from = *from;
            r.excludes_new_users = st.column_int(3) != 0;
            r.advise_existing = st.column_int(4) != 0;
            r.rule = st.column_text(5);
            out->push_back(std::move(r));
        }
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot read revisions: {}", describe(e));
        return false;
    }
}

// ---- Cards -----------------------------------------------------------------------------------

bool LocalStore::enroll(std::string_view card_hash, std::string_view trainee_no, Instant now,
                        std::string* err) {
    if (card_hash.empty()) {
        *err = "cannot enroll: the card hash is empty";
        return false;
    }
    if (!valid_trainee_no(trainee_no)) {
        *err = fmt::format("cannot enroll: '{}' is not a trainee number (1-32 of 0-9 A-Z a-z -)",
                           trainee_no);
        return false;
    }
    try {
        Transaction tx(*db_);
        {
            auto staff = db_->prepare("SELECT id FROM staff WHERE card_hash = ?");
            staff.bind(1, card_hash);
            if (staff.step()) {
                *err = fmt::format(
                    "this card is the staff card of {}: a staff card cannot be a trainee card "
                    "(use another card)",
                    staff.column_text(0));
                return false;
            }
        }
        auto st = db_->prepare("SELECT trainee_no, revoked FROM cards WHERE card_hash = ?");
        st.bind(1, card_hash);
        if (st.step()) {
            if (st.column_int(1) == 0) {
                std::string bound = st.column_text(0);
                *err = bound == trainee_no
                           ? fmt::format("card is already enrolled to trainee {}", bound)
                           : fmt::format(
                                 "card is already enrolled to trainee {}; unenroll it first (TR-5)",
                                 bound);
                return false;
            }
            auto up = db_->prepare(
                "UPDATE cards SET trainee_no = ?, revoked = 0, enrolled_at = ?, revoked_at = NULL "
                "WHERE card_hash = ?");
            up.bind(1, trainee_no).bind(2, secs(now)).bind(3, card_hash);
            up.run();
        } else {
            auto ins = db_->prepare(
                "INSERT INTO cards(card_hash, trainee_no, revoked, enrolled_at) VALUES (?, ?, 0, "
                "?)");
            ins.bind(1, card_hash).bind(2, trainee_no).bind(3, secs(now));
            ins.run();
        }
        tx.commit();
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot enroll the card: {}", describe(e));
        return false;
    }
}

bool LocalStore::unenroll(std::string_view card_hash, Instant now, std::string* err) {
    try {
        Transaction tx(*db_);
        auto st = db_->prepare("SELECT trainee_no, revoked FROM cards WHERE card_hash = ?");
        st.bind(1, card_hash);
        if (!st.step()) {
            *err = "card is not enrolled: nothing to unenroll";
            return false;
        }
        if (st.column_int(1) != 0) {
            *err = fmt::format("card was already unenrolled (it was bound to trainee {})",
                               st.column_text(0));
            return false;
        }
        auto up = db_->prepare("UPDATE cards SET revoked = 1, revoked_at = ? WHERE card_hash = ?");
        up.bind(1, secs(now)).bind(2, card_hash);
        up.run();
        tx.commit();
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot unenroll the card: {}", describe(e));
        return false;
    }
}

// ---- Sessions --------------------------------------------------------------------------------

bool LocalStore::start_session(SessionRecord& rec, Instant now, std::string* err) {
    if (!valid_trainee_no(rec.trainee_no)) {
        *err = fmt::format("cannot start a session: '{}' is not a trainee number", rec.trainee_no);
        return false;
    }
    if (rec.ends_at <= now) {
        *err = fmt::format("cannot start a session ending at {}: that is not after now ({})",
                           format_instant(rec.ends_at), format_instant(now));
        return false;
    }
    try {
        Transaction tx(*db_);
        auto st = db_->prepare(
            "SELECT id, ends_at FROM sessions WHERE trainee_no = ? AND ended_at IS NULL");
        st.bind(1, rec.trainee_no);
        if (st.step()) {
            Instant ends = instant(st.column_int(1));
            *err = ends > now ? fmt::format(
                                    "trainee {} already has an active session (#{}, until {}): "
                                    "one session per trainee (TR-5)",
                                    rec.trainee_no, st.column_int(0), format_instant(ends))
                              : fmt::format(
                                    "trainee {} has session #{} past its end ({}) and not closed: "
                                    "close it as expired first",
                                    rec.trainee_no, st.column_int(0), format_instant(ends));
            return false;
        }
        auto ins = db_->prepare(
            "INSERT INTO sessions(trainee_no, card_hash, started_at, ends_at, override_by, "
            "override_reason) VALUES (?, ?, ?, ?, ?, ?)");
        ins.bind(1, rec.trainee_no)
            .bind(2, rec.card_hash)
            .bind(3, secs(now))
            .bind(4, secs(rec.ends_at))
            .bind(5, rec.override_by)
            .bind(6, rec.override_reason);
        ins.run();
        std::int64_t id = db_->last_insert_rowid();
        tx.commit();
        rec.id = id;
        rec.started_at = now;
        rec.ended_at.reset();
        rec.end_reason.clear();
        return true;
    } catch (const std::exception& e) {
        *err =
            fmt::format("cannot start a session for trainee {}: {}", rec.trainee_no, describe(e));
        return false;
    }
}

// The stored end of session `id` while it is still running at `now`; nullopt + *err naming why
// not (no such session, ended, or past its end). Read inside the caller's write transaction.
static std::optional<Instant> running_session_end(Database& db, std::int64_t id, Instant now,
                                                  std::string* err) {
    auto st = db.prepare("SELECT ended_at, end_reason, ends_at FROM sessions WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) {
        *err = fmt::format("there is no session #{}", id);
        return std::nullopt;
    }
    if (!st.is_null(0)) {
        *err = fmt::format("session #{} already ended at {} ({})", id,
                           format_instant(instant(st.column_int(0))), st.column_text(1));
        return std::nullopt;
    }
    const Instant ends = instant(st.column_int(2));
    if (ends <= now) {
        *err = fmt::format("session #{} already ended at {} (expired)", id, format_instant(ends));
        return std::nullopt;
    }
    return ends;
}

bool LocalStore::end_session(std::int64_t id, Instant now, std::string reason, std::string* err) {
    if (reason.empty()) reason = "ended";
    try {
        Transaction tx(*db_);
        if (!running_session_end(*db_, id, now, err)) return false;
        auto up = db_->prepare(
            "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL");
        up.bind(1, secs(now)).bind(2, reason).bind(3, id);
        up.run();
        tx.commit();
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot end session #{}: {}", id, describe(e));
        return false;
    }
}

bool LocalStore::extend_session(std::int64_t id, Instant old_ends_at, Instant new_ends_at,
                                Instant now, std::string* err) {
    if (new_ends_at <= old_ends_at) {
        *err = fmt::format("cannot extend session #{}: the new end {} is not after its end {}", id,
                           format_instant(new_ends_at), format_instant(old_ends_at));
        return false;
    }
    try {
        Transaction tx(*db_);
        const auto ends = running_session_end(*db_, id, now, err);
        if (!ends) return false;
        if (*ends != old_ends_at) {
            *err = fmt::format("session #{} now ends at {}, not {}: it was changed meanwhile", id,
                               format_instant(*ends), format_instant(old_ends_at));
            return false;
        }
        auto up = db_->prepare(
            "UPDATE sessions SET ends_at = ? WHERE id = ? AND ended_at IS NULL AND ends_at = ?");
        up.bind(1, secs(new_ends_at)).bind(2, id).bind(3, secs(old_ends_at));
        up.run();
        tx.commit();
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot extend session #{}: {}", id, describe(e));
        return false;
    }
}

bool LocalStore::close_expired(std::string_view trainee_no, Instant now,
                               std::vector<SessionRecord>* closed, std::string* err) {
    try {
        Transaction tx(*db_);
        closed->clear();
        {
            auto st = db_->prepare(std::string(kSessionColumns) +
                                   " WHERE trainee_no = ? AND ended_at IS NULL AND ends_at <= ? "
                                   "ORDER BY id");
            st.bind(1, trainee_no).bind(2, secs(now));
            while (st.step()) closed->push_back(read_session(st));
        }
        for (auto& s : *closed) {
            auto up = db_->prepare(
                "UPDATE sessions SET ended_at = ends_at, end_reason = 'expired' WHERE id = ?");
            up.bind(1, s.id);
            up.run();
            s.ended_at = s.ends_at;
            s.end_reason = "expired";
        }
        tx.commit();
        return true;
    } catch (const std::exception& e) {
        closed->clear();
        *err = fmt::format("cannot close the expired sessions of trainee {}: {}", trainee_no,
                           describe(e));
        return false;
    }
}

bool LocalStore::list_sessions(bool active_only, Instant now, std::vector<SessionRecord>* out,
                               std::string* err) {
    try {
        std::string sql(kSessionColumns);
        if (active_only) sql += " WHERE ended_at IS NULL AND ends_at > ?";
        sql += " ORDER BY id";
        auto st = db_->cached(sql);
        if (active_only) st.bind(1, secs(now));
        out->clear();
        while (st.step()) out->push_back(read_session(*st));
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot read sessions: {}", describe(e));
        return false;
    }
}

// ---- Staff -----------------------------------------------------------------------------------

bool LocalStore::pin_password(std::string_view pin, std::string* password, std::string* err) const {
    if (!pepper_) {
        *err = "no site secret loaded: cannot hash staff PINs";
        return false;
    }
    if (sodium_init() < 0) {
        *err = "libsodium failed to initialise: cannot hash staff PINs";
        return false;
    }
    constexpr std::string_view kContext = "kiosk staff PIN v1:";
    std::string msg = std::string(kContext) + std::string(pin);
    std::array<unsigned char, 32> mac;
    crypto_generichash(mac.data(), mac.size(), reinterpret_cast<const unsigned char*>(msg.data()),
                       msg.size(), pepper_->data(), pepper_->size());
    std::array<char, 65> hex;
    sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
    password->assign(hex.data(), 64);
    sodium_memzero(msg.data(), msg.size());
    sodium_memzero(mac.data(), mac.size());
    return true;
}

bool LocalStore::add_staff(std::string_view id, std::string_view name, std::string_view card_hash,
                           std::string_view pin, std::string* err) {
    if (!valid_staff_id(id)) {
        *err = fmt::format("'{}' is not a staff id (1-32 of 0-9 A-Z a-z - _ .)", id);
        return false;
    }
    if (std::string problem = staff_name_problem(name); !problem.empty()) {
        *err = problem;
        return false;
    }
    if (card_hash.empty()) {
        *err = "a staff member needs a card";
        return false;
    }
    if (!valid_pin(pin)) {
        *err = "the PIN must be 4 to 12 digits (0-9)";
        return false;
    }
    std::string password;
    if (!pin_password(pin, &password, err)) return false;
    std::array<char, crypto_pwhash_STRBYTES> hash{};
    if (crypto_pwhash_str(hash.data(), password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        sodium_memzero(password.data(), password.size());
        *err = "cannot hash the PIN: out of memory";
        return false;
    }
    sodium_memzero(password.data(), password.size());
    try {
        Transaction tx(*db_);
        {
            auto st =
                db_->prepare("SELECT id, card_hash = ? FROM staff WHERE id = ? OR card_hash = ?");
            st.bind(1, card_hash).bind(2, id).bind(3, card_hash);
            if (st.step()) {
                std::string other = st.column_text(0);
                *err = other == id
                           ? fmt::format("staff id {} already exists", id)
                           : fmt::format("this card is already the card of staff {}", other);
                return false;
            }
        }
        {
            auto st =
                db_->prepare("SELECT trainee_no FROM cards WHERE card_hash = ? AND revoked = 0");
            st.bind(1, card_hash);
            if (st.step()) {
                *err = fmt::format(
                    "this card is enrolled as a trainee card (trainee {}): use another card for "
                    "staff",
                    st.column_text(0));
                return false;
            }
        }
        auto ins = db_->prepare(
            "INSERT INTO staff(id, name, card_hash, pin_hash, failed_attempts) "
            "VALUES (?, ?, ?, ?, 0)");
        ins.bind(1, id).bind(2, name).bind(3, card_hash).bind(4, std::string_view(hash.data()));
        ins.run();
        tx.commit();
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot add staff {}: {}", id, describe(e));
        return false;
    }
}

bool LocalStore::remove_staff(std::string_view id, std::string* err) {
    try {
        auto st = db_->prepare("DELETE FROM staff WHERE id = ?");
        st.bind(1, id);
        st.run();
        if (db_->changes() == 0) {
            *err = fmt::format("there is no staff member with id {}", id);
            return false;
        }
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot remove staff {}: {}", id, describe(e));
        return false;
    }
}

bool LocalStore::list_staff(std::vector<StaffMember>* out, std::string* err) {
    try {
        auto st = db_->prepare(
            "SELECT id, name, card_hash, failed_attempts, locked_until FROM staff ORDER BY id");
        out->clear();
        while (st.step()) {
            out->push_back(StaffMember{.id = st.column_text(0),
                                       .name = st.column_text(1),
                                       .card_hash = st.column_text(2),
                                       .failed_attempts = static_cast<int>(st.column_int(3)),
                                       .locked_until = opt_instant(st, 4)});
        }
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot list staff: {}", describe(e));
        return false;
    }
}

bool LocalStore::verify_staff_pin(std::string_view card_hash, std::string_view pin, Instant now,
                                  StaffCheck* out, std::string* err) {
    StaffCheck check;
    try {
        std::string password;
        if (!pin_password(pin, &password, err)) return false;
        // The write lock is held across the (~50 ms) hash so that concurrent attempts are counted.
        Transaction tx(*db_);
        auto st = db_->prepare(
            "SELECT id, pin_hash, failed_attempts, locked_until FROM staff WHERE card_hash = ?");
        st.bind(1, card_hash);
        if (!st.step()) {
            check.result = StaffCheck::Result::Unknown;
            *out = check;
            return true;
        }
        check.staff_id = st.column_text(0);
        std::string pin_hash = st.column_text(1);
        int failed = static_cast<int>(st.column_int(2));
        std::optional<Instant> locked_until = opt_instant(st, 3);
        if (locked_until && now < *locked_until) {
            check.result = StaffCheck::Result::Locked;
            check.failed_attempts = failed;
            check.locked_until = locked_until;
            *out = check;
            return true;
        }
        if (locked_until) failed = 0;  // the lockout has run out: a fresh count
        bool right = valid_pin(pin) && crypto_pwhash_str_verify(pin_hash.c_str(), password.data(),
                                                                password.size()) == 0;
        sodium_memzero(password.data(), password.size());
        std::optional<Instant> new_lock;
        if (right) {
            failed = 0;
            check.result = StaffCheck::Result::Ok;
        } else {
            ++failed;
            check.result = StaffCheck::Result::Wrong;
            if (failed >= kMaxFailedPins) {
                new_lock = now + kPinLockout;
                check.locked_now = true;
            }
        }
        auto up =
            db_->prepare("UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE id = ?");
        up.bind(1, failed).bind(3, check.staff_id);
        if (new_lock) {
            up.bind(2, secs(*new_lock));
        } else {
            up.bind_null(2);
        }
        up.run();
        tx.commit();
        check.failed_attempts = failed;
        check.locked_until = new_lock;
        *out = check;
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot check the staff PIN: {}", describe(e));
        return false;
    }
}

// ---- Briefings -------------------------------------------------------------------------------

bool LocalStore::mark_briefing_needed(std::string_view trainee_no, Instant now, std::string* err) {
    try {
        auto st = db_->prepare(
            "INSERT INTO briefings(trainee_no, needed_since) VALUES (?, ?) "
            "ON CONFLICT(trainee_no) DO NOTHING");
        st.bind(1, trainee_no).bind(2, secs(now));
        st.run();
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot queue trainee {} for a briefing: {}", trainee_no, describe(e));
        return false;
    }
}

bool LocalStore::mark_briefed(std::string_view trainee_no, std::string_view staff_id, Instant now,
                              std::string* err) {
    try {
        auto st = db_->prepare(
            "INSERT INTO briefings(trainee_no, needed_since, briefed_at, briefed_by) "
            "VALUES (?1, ?2, ?2, ?3) "
            "ON CONFLICT(trainee_no) DO UPDATE SET briefed_at = ?2, briefed_by = ?3");
        st.bind(1, trainee_no).bind(2, secs(now)).bind(3, staff_id);
        st.run();
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot record the briefing of trainee {}: {}", trainee_no, describe(e));
        return false;
    }
}

bool LocalStore::briefing_queue(std::vector<BriefingEntry>* out, std::string* err) {
    try {
        auto st = db_->prepare(
            "SELECT trainee_no, needed_since, briefed_at, briefed_by FROM briefings "
            "WHERE briefed_at IS NULL ORDER BY needed_since, trainee_no");
        out->clear();
        while (st.step()) {
            out->push_back(BriefingEntry{.trainee_no = st.column_text(0),
                                         .needed_since = instant(st.column_int(1)),
                                         .briefed_at = opt_instant(st, 2),
                                         .briefed_by = st.column_text(3)});
        }
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot read the briefing queue: {}", describe(e));
        return false;
    }
}

}  // namespace kiosk::db
