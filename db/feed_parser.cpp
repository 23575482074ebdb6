// Feed header mapping and row validation (see feed_parser.h).
#include "db/feed_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace kiosk::db {
namespace {

struct ColumnSpec {
    std::string_view name;
    std::array<std::string_view, 2> aliases;
    bool required;
};

// Indexed by FeedParser::Field.
constexpr std::array<ColumnSpec, 10> kColumns = {{
    {"trainee_no", {"受講者番号", "受講番号"}, true},  // 受講番号: legacy wording (TR-10)
    {"name", {"氏名", ""}, true},
    {"affiliation", {"所属", ""}, false},
    {"course", {"研修", ""}, true},
    {"provider", {"実施者", ""}, false},
    {"certificate_no", {"修了証番号", "受講証番号"}, true},  // 受講証番号: legacy (TR-10)
    {"completed_on", {"修了日", "受講日"}, true},
    {"status", {"状態", ""}, true},
    {"request_accepted_on", {"依頼書受付日", ""}, false},
    {"user_since", {"利活用者登録日", ""}, false},
}};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

int field_for_header(std::string_view header) {
    std::string lower = ascii_lower(trim(header));
    for (size_t i = 0; i < kColumns.size(); ++i) {
        if (lower == kColumns[i].name) return static_cast<int>(i);
        for (auto alias : kColumns[i].aliases)
            if (!alias.empty() && lower == alias) return static_cast<int>(i);
    }
    return -1;
}

// A value as quoted in a message: at most 40 code points, cut on a code point boundary.
std::string quoted(std::string_view v) {
    size_t points = 0, i = 0;
    while (i < v.size() && points < 40) {
        unsigned char c = static_cast<unsigned char>(v[i]);
        i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        ++points;
    }
    if (i >= v.size()) return fmt::format("'{}'", v);
    return fmt::format("'{}…'", v.substr(0, i));
}

}  // namespace

size_t utf8_length(std::string_view s) {
    size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

std::int64_t FeedParser::LineIndex::find(std::uint64_t hash) const {
    if (slots_.empty()) return 0;
    if (hash == 0) hash = 1;  // 0 marks an empty slot
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask; slots_[i].first != 0; i = (i + 1) & mask)
        if (slots_[i].first == hash) return slots_[i].second;
    return 0;
}

void FeedParser::LineIndex::add(std::uint64_t hash, std::int64_t line) {
    if (hash == 0) hash = 1;
    if ((used_ + 1) * 2 > slots_.size()) grow();
    size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i].first != 0) i = (i + 1) & mask;
    slots_[i] = {hash, line};
    ++used_;
}

void FeedParser::LineIndex::reserve(size_t entries) {
    size_t slots = 1024;
    while (slots < entries * 2) slots *= 2;
    if (slots > slots_.size()) rehash(slots);
}

void FeedParser::LineIndex::grow() { rehash(std::max<size_t>(1024, slots_.size() * 2)); }

void FeedParser::LineIndex::rehash(size_t slots) {
    HugeVector<std::pair<std::uint64_t, std::int64_t>> old(slots);
    old.swap(slots_);
    size_t mask = slots_.size() - 1;
    for (const auto& e : old) {
        if (e.first == 0) continue;
        size_t i = e.first & mask;
        while (slots_[i].first != 0) i = (i + 1) & mask;
        slots_[i] = e;
    }
}

FeedParser::FeedParser(CsvReader& reader, FeedParseOptions options)
    : reader_(reader), options_(options) {
    for (int& c : columns_) c = -1;
    // Capped, so that a wrong hint costs little: a larger file still grows as it is read. Taken
    // once rows are seen (see parse_row), so that a file of one huge line reserves nothing.
    reserve_hint_ = static_cast<size_t>(
        std::clamp<std::int64_t>(options.expected_rows, 0, std::int64_t{4} << 20));
}

void FeedParser::add_error(std::string msg) {
    ++error_count_;
    // While rows may still be skipped every error is listed; past that, only the first few.
    if (errors_.size() < options_.max_errors || invalid_rows_ <= options_.max_invalid_rows)
        errors_.push_back(std::move(msg));
}

FeedParser::Result FeedParser::reject(std::string* err) {
    if (!rejected_) {
        rejected_ = true;
        bool more = error_count_ > static_cast<std::int64_t>(options_.max_errors);
        if (errors_.size() > options_.max_errors) errors_.resize(options_.max_errors);
        if (more) errors_.push_back("… more errors");
    }
    *err = errors_.empty() ? "the feed was rejected" : errors_.front();
    return Result::Rejected;
}

bool FeedParser::read_header(std::string* err) {
    CsvRecord rec;
    std::string e;
    switch (reader_.next(&rec, &e)) {
        case CsvReader::Result::Error:
            add_error(e);
            return false;
        case CsvReader::Result::End:
            add_error("the file is empty: no header row");
            return false;
        case CsvReader::Result::Record:
            break;
    }
    (void)err;
    header_ = rec.fields;
    width_ = header_.size();
    bool ok = true;
    for (size_t i = 0; i < header_.size(); ++i) {
        int f = field_for_header(header_[i]);
        if (f < 0) {
            if (trim(header_[i]).empty())
                warnings_.push_back(fmt::format("column {} has no name: ignored", i + 1));
            else
                warnings_.push_back(
                    fmt::format("column {} '{}' is not a feed column: ignored", i + 1, header_[i]));
            continue;
        }
        if (columns_[f] >= 0) {
            add_error(fmt::format("line {}: the header gives {} twice (columns '{}' and '{}')",
                                  rec.line, kColumns[f].name, header_[columns_[f]], header_[i]));
            ok = false;
            continue;
        }
        columns_[f] = static_cast<int>(i);
    }
    for (size_t f = 0; f < kColumns.size(); ++f) {
        if (kColumns[f].required && columns_[f] < 0) {
            std::string aliases;
            for (auto a : kColumns[f].aliases)
                if (!a.empty()) aliases += fmt::format(" / {}", a);
            add_error(fmt::format("line {}: the header has no {} column ({}{})", rec.line,
                                  kColumns[f].name, kColumns[f].name, aliases));
            ok = false;
        }
    }
    return ok;
}

bool FeedParser::validate(const CsvRecord& rec, FeedRow* out) {
    const std::int64_t line = rec.line;
    if (rec.fields.size() != width_) {
        add_error(fmt::format("line {}: the row has {} fields, the header has {}", line,
                              rec.fields.size(), width_));
        return false;
    }
    auto value = [&](Field f) -> std::string_view {
        return columns_[f] < 0 ? std::string_view() : std::string_view(rec.fields[columns_[f]]);
    };
    bool ok = true;
    auto error = [&](Field f, std::string what) {
        add_error(fmt::format("line {}, column {}: {}", line, header_[columns_[f]], what));
        ok = false;
    };
    // Characters are counted only when the bytes cannot tell: at most `max` bytes are at most
    // `max` characters, and a value that starts with a character's first byte has one.
    auto text = [&](Field f, size_t min, size_t max, std::string* dst) {
        std::string_view v = value(f);
        const bool settled = v.size() <= max &&
                             (min == 0 || (min == 1 && !v.empty() &&
                                           (static_cast<unsigned char>(v.front()) & 0xC0) != 0x80));
        const size_t n = settled ? min : utf8_length(v);
        if (n < min)
            error(f, "is empty");
        else if (n > max)
            error(f, fmt::format("{} is longer than {} characters", quoted(v), max));
        else
            dst->assign(v);
    };
    auto date = [&](Field f, bool required, std::optional<Date>* dst) {
        std::string_view v = value(f);
        if (v.empty()) {
            if (required) error(f, "is empty: a date (YYYY-MM-DD) is required");
            return;
        }
        *dst = parse_date(v);
        if (!*dst) error(f, fmt::format("{} is not a date (YYYY-MM-DD)", quoted(v)));
    };

    out->line = line;
    std::string_view no = value(kTraineeNo);
    if (!valid_trainee_no(no))
        error(kTraineeNo, no.empty() ? std::string("is empty")
                                     : fmt::format("{} is not a trainee number (1–32 of 0-9 A-Z "
                                                   "a-z -)",
                                                   quoted(no)));
    else
        out->trainee_no.assign(no);
    text(kName, 1, 100, &out->name);
    out->affiliation.clear();
    if (columns_[kAffiliation] >= 0) text(kAffiliation, 0, 200, &out->affiliation);

    Certificate& cert = out->cert;
    // Reset field by field: the strings keep their capacity from row to row.
    cert.certificate_no.clear();
    cert.course = Course::Other;
    cert.course_code.clear();
    cert.provider.clear();
    cert.completed_on = Date{};
    cert.status = CertificateStatus::Issued;
    cert.file_order = 0;
    std::string_view course = value(kCourse);
    if (course.empty())
        error(kCourse, "is empty");
    else if (course.size() > 100 && utf8_length(course) > 100)
        error(kCourse, fmt::format("{} is longer than 100 characters", quoted(course)));
    else {
        cert.course = course_from_feed(course);
        cert.course_code.assign(course);  // any other code is kept and never counts (TR-3)
    }
    std::string_view provider = value(kProvider);
    if (provider.size() > 100 && utf8_length(provider) > 100)
        error(kProvider, fmt::format("{} is longer than 100 characters", quoted(provider)));
    else
        cert.provider.assign(provider.empty() ? kPmda : provider);
    text(kCertificateNo, 1, 40, &cert.certificate_no);
    std::optional<Date> completed;
    date(kCompletedOn, true, &completed);
    if (completed) cert.completed_on = *completed;
    std::string_view status = value(kStatus);
    if (auto s = status_from_feed(status))
        cert.status = *s;
    else
        error(kStatus, status.empty() ? std::string("is empty")
                                      : fmt::format("{} is not a status (issued, lost, "
                                                    "not_obtained, revoked or 交付, 紛失, 未取得, "
                                                    "取消)",
                                                    quoted(status)));
    out->request_accepted_on.reset();
    out->user_since.reset();
    if (columns_[kRequestAcceptedOn] >= 0)
        date(kRequestAcceptedOn, false, &out->request_accepted_on);
    if (columns_[kUserSince] >= 0) date(kUserSince, false, &out->user_since);
    if (!ok) return false;

    // The size hint (from the file's size), once the file has shown it holds rows.
    if (reserve_hint_ > 0 && rows_read_ >= 1024) {
        certificate_lines_.reserve(reserve_hint_);
        trainees_.reserve(reserve_hint_ / 4);  // entries do not move: last_trainee_ stays valid
        reserve_hint_ = 0;
    }
    // Rules across rows.
    const std::uint64_t cert_hash = std::hash<std::string_view>{}(cert.certificate_no);
    if (std::int64_t first = certificate_lines_.find(cert_hash); first != 0)
        error(kCertificateNo,
              fmt::format("{} is already used on line {}", quoted(cert.certificate_no), first));
    // Consecutive rows of one trainee (the usual layout) look the trainee up once.
    TraineeSeen* seen = nullptr;
    if (last_trainee_ && last_trainee_no_ == out->trainee_no) {
        seen = last_trainee_;
    } else if (TraineeSeen* found = trainees_.find(out->trainee_no)) {
        seen = found;
    }
    const std::array<Field, 4> kTraineeFields = {kName, kAffiliation, kRequestAcceptedOn,
                                                 kUserSince};
    if (seen) {
        for (size_t i = 0; i < kTraineeFields.size(); ++i) {
            Field f = kTraineeFields[i];
            // The trainee of the row before: its values are at hand, compared without hashing.
            if (columns_[f] < 0 || (seen == last_trainee_ ? value(f) == last_values_[i]
                                                          : std::hash<std::string_view>{}(
                                                                value(f)) == seen->values[i]))
                continue;
            // The first row's value is quoted when it is at hand (the trainee's rows so far are
            // the last ones read); a trainee whose rows are scattered is named by line only.
            bool at_hand = seen == last_trainee_;
            error(f, at_hand ? fmt::format("{} differs from line {} ({}) for trainee {}",
                                           quoted(value(f)), seen->first_line,
                                           quoted(last_values_[i]), out->trainee_no)
                             : fmt::format("{} differs from line {} for trainee {}",
                                           quoted(value(f)), seen->first_line, out->trainee_no));
        }
    }
    if (!ok) return false;

    certificate_lines_.add(cert_hash, line);
    if (!seen) {
        TraineeSeen fresh{line, 0, static_cast<std::uint32_t>(trainees_.size()), {}};
        for (size_t i = 0; i < kTraineeFields.size(); ++i)
            fresh.values[i] = std::hash<std::string_view>{}(value(kTraineeFields[i]));
        seen = &(trainees_[out->trainee_no] = fresh);
    }
    if (seen != last_trainee_) {
        last_trainee_ = seen;  // TraineeMap entries do not move: the pointer stays valid
        last_trainee_no_ = out->trainee_no;
        for (size_t i = 0; i < kTraineeFields.size(); ++i)
            last_values_[i].assign(value(kTraineeFields[i]));
    }
    out->first_of_trainee = seen->rows == 0;
    out->trainee_seq = seen->seq;
    cert.file_order = seen->rows++;
    if (out->request_accepted_on && cert.completed_on < *out->request_accepted_on)
        warnings_.push_back(fmt::format(
            "line {}: trainee {}: completed_on {} is before request_accepted_on {} (TR-8): kept, "
            "it does not count",
            line, out->trainee_no, format_date(cert.completed_on),
            format_date(*out->request_accepted_on)));
    return true;
}

FeedParser::Result FeedParser::next(FeedRow* out, std::string* err) {
    if (rejected_) return reject(err);
    if (!header_done_) {
        header_done_ = true;
        if (!read_header(err)) return reject(err);
    }
    CsvRecord& rec = record_;  // reused: its strings keep their capacity
    for (;;) {
        std::string e;
        switch (reader_.next(&rec, &e)) {
            case CsvReader::Result::Error:
                ++invalid_rows_;
                invalid_rows_ = std::max(invalid_rows_, options_.max_invalid_rows + 1);
                add_error(e);  // a broken CSV cannot be resynchronised: reject
                return reject(err);
            case CsvReader::Result::End:
                if (rows_read_ == 0) {
                    add_error(fmt::format("line {}: the file has a header row but no data rows",
                                          reader_.line()));
                    return reject(err);
                }
                if (invalid_rows_ > options_.max_invalid_rows) return reject(err);
                return Result::End;
            case CsvReader::Result::Record:
                break;
        }
        ++rows_read_;
        if (validate(rec, out)) {
            if (invalid_rows_ > options_.max_invalid_rows) continue;  // rejected: keep counting
            return Result::Row;
        }
        ++invalid_rows_;
        if (invalid_rows_ <= options_.max_invalid_rows) {
            skipped_lines_.push_back(rec.line);
        } else if (error_count_ > static_cast<std::int64_t>(options_.max_errors)) {
            return reject(err);
        }
    }
}

}  // namespace kiosk::db
