// Streaming RFC 4180 reader (see csv_reader.h). A byte-at-a-time state machine over a chunk
// buffer: quoted fields with "" escapes and embedded newlines, CRLF or LF record ends, a UTF-8
// validator fed every byte so that an error names the physical line of the bad byte.
#include "db/csv_reader.h"

#include <fmt/format.h>

#include <cstring>

namespace kiosk::db {

bool StreamByteSource::read(char* buf, size_t cap, size_t* n, std::string* err) {
    in_.read(buf, static_cast<std::streamsize>(cap));
    if (in_.bad()) {
        *err = "cannot read the CSV file";
        return false;
    }
    *n = static_cast<size_t>(in_.gcount());
    return true;
}

CsvReader::CsvReader(ByteSource& source, CsvOptions options)
    : source_(source), options_(options), buf_(std::max<size_t>(options.chunk_bytes, 4)) {}

// Keeps the unread bytes [pos_, len_) at the front and reads more after them.
bool CsvReader::fill(std::string* err) {
    if (eof_) return true;
    size_t left = len_ - pos_;
    if (left > 0 && pos_ > 0) std::memmove(buf_.data(), buf_.data() + pos_, left);
    pos_ = 0;
    len_ = left;
    size_t n = 0;
    std::string read_err;
    if (!source_.read(buf_.data() + len_, buf_.size() - len_, &n, &read_err)) {
        error_ = read_err;  // as the source words it: a decoder names the bad byte's own line
        *err = error_;
        return false;
    }
    if (n == 0) eof_ = true;
    len_ += n;
    return true;
}

bool CsvReader::fail(std::string msg, std::int64_t line, std::string* err) {
    error_ = fmt::format("line {}: {}", line, msg);
    *err = error_;
    return false;
}

// Feeds one byte to the UTF-8 validator (RFC 3629 well-formed sequences only).
bool CsvReader::utf8_byte(unsigned char c, std::string* err) {
    bool ok = true;
    if (utf8_need_ == 0) {
        if (c < 0x80) return true;
        utf8_lo_ = 0x80;
        utf8_hi_ = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            utf8_need_ = 1;
        } else if (c == 0xE0) {
            utf8_need_ = 2;
            utf8_lo_ = 0xA0;
        } else if (c >= 0xE1 && c <= 0xEF) {
            utf8_need_ = 2;
            if (c == 0xED) utf8_hi_ = 0x9F;  // no surrogates
        } else if (c == 0xF0) {
            utf8_need_ = 3;
            utf8_lo_ = 0x90;
        } else if (c >= 0xF1 && c <= 0xF4) {
            utf8_need_ = 3;
            if (c == 0xF4) utf8_hi_ = 0x8F;
        } else {
            ok = false;
        }
    } else if (c < utf8_lo_ || c > utf8_hi_) {
        ok = false;
    } else {
        utf8_lo_ = 0x80;
        utf8_hi_ = 0xBF;
        --utf8_need_;
    }
    if (!ok)
        return fail(fmt::format("invalid UTF-8 (byte 0x{:02X}): the file must be UTF-8 (or give "
                                "its encoding, e.g. --encoding cp932)",
                                c),
                    line_, err);
    return true;
}

namespace {

// ASCII bytes that end a run of ordinary field bytes: NUL, LF, CR, '"' and ',' (CR and ',' are
// ordinary inside quotes). Bytes >= 0x80 are checked as UTF-8 sequences by scan_plain().
struct Specials {
    bool unquoted[128] = {};
    bool quoted[128] = {};
    constexpr Specials() {
        for (unsigned char c : {'\0', '\n', '\r', '"', ','}) unquoted[c] = true;
        for (unsigned char c : {'\0', '\n', '"'}) quoted[c] = true;
    }
};
constexpr Specials kSpecials;

}  // namespace

// The fast path: appends the run of ordinary bytes at pos_ — ASCII that is not special in the
// state, and whole well-formed UTF-8 sequences inside the buffer — to `dst` in one go. Anything
// else (a special byte, a malformed or split sequence) is left to the byte-at-a-time path, which
// gives the same result and the same errors.
size_t CsvReader::scan_plain(std::string& dst, bool quoted) {
    const auto* start = reinterpret_cast<const unsigned char*>(buf_.data()) + pos_;
    const auto* end = reinterpret_cast<const unsigned char*>(buf_.data()) + len_;
    const bool* special = quoted ? kSpecials.quoted : kSpecials.unquoted;
    const unsigned char* p = start;
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            if (special[c]) break;
            ++p;
            continue;
        }
        int more;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            break;
        }
        if (end - p <= more || p[1] < lo || p[1] > hi) break;
        bool ok = true;
        for (int k = 2; k <= more; ++k) ok = ok && p[k] >= 0x80 && p[k] <= 0xBF;
        if (!ok) break;
        p += more + 1;
    }
    size_t n = static_cast<size_t>(p - start);
    dst.append(reinterpret_cast<const char*>(start), n);
    pos_ += n;
    return n;
}

CsvReader::Result CsvReader::next(CsvRecord* out, std::string* err) {
    if (!error_.empty()) {
        *err = error_;
        return Result::Error;
    }
    if (!started_) {
        started_ = true;
        while (len_ - pos_ < 3 && !eof_)
            if (!fill(err)) return Result::Error;
        if (len_ - pos_ >= 3 && std::memcmp(buf_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) pos_ += 3;
    }

    enum class State { FieldStart, Unquoted, Quoted, QuoteInQuoted };
    State st = State::FieldStart;
    out->line = line_;
    // The record's fields are built in place in out->fields, whose strings keep their capacity
    // from record to record (no allocation per field once the reader is warm).
    std::vector<std::string>& fields = out->fields;
    size_t nf = 0;  // index of the field being built
    if (fields.empty()) fields.emplace_back();
    fields[0].clear();
    auto next_field = [&] {
        if (++nf == fields.size()) fields.emplace_back();
        fields[nf].clear();
    };
    auto end_record = [&] { fields.resize(nf + 1); };
    size_t record_bytes = 0;
    std::int64_t quote_line = 0;
    bool any = false;  // the record has content (an empty line has none and is skipped)

    for (;;) {
        if (pos_ == len_) {
            if (!fill(err)) return Result::Error;
            if (pos_ == len_) {  // end of input
                if (utf8_need_ > 0) {
                    fail("the file ends inside a UTF-8 sequence", line_, err);
                    return Result::Error;
                }
                if (st == State::Quoted) {
                    fail("a quoted field is never closed (unterminated quote)", quote_line, err);
                    return Result::Error;
                }
                if (!any) return Result::End;
                end_record();
                return Result::Record;
            }
        }
        if (utf8_need_ == 0 && (st == State::Unquoted || st == State::Quoted)) {
            size_t n = scan_plain(fields[nf], st == State::Quoted);
            if (n > 0) {
                record_bytes += n;
                if (record_bytes > options_.max_record_bytes) {
                    fail(fmt::format("the record is longer than {} bytes",
                                     options_.max_record_bytes),
                         out->line, err);
                    return Result::Error;
                }
                continue;
            }
        }
        unsigned char c = static_cast<unsigned char>(buf_[pos_++]);
        if (c == 0) {
            fail("a NUL byte: not a text file", line_, err);
            return Result::Error;
        }
        if (!utf8_byte(c, err)) return Result::Error;
        if (++record_bytes > options_.max_record_bytes) {
            fail(fmt::format("the record is longer than {} bytes", options_.max_record_bytes),
                 out->line, err);
            return Result::Error;
        }
        if (c == '\r' && st != State::Quoted) {
            // Outside quotes a CR must start a CRLF record end.
            if (pos_ == len_ && !fill(err)) return Result::Error;
            if (pos_ == len_ || buf_[pos_] != '\n') {
                fail("a carriage return that is not followed by a line feed", line_, err);
                return Result::Error;
            }
            c = static_cast<unsigned char>(buf_[pos_++]);
        }
        switch (st) {
            case State::FieldStart:
                if (c == '"') {
                    st = State::Quoted;
                    quote_line = line_;
                    any = true;
                } else if (c == ',') {
                    next_field();
                    any = true;
                } else if (c == '\n') {
                    ++line_;
                    if (!any) {  // an empty line
                        out->line = line_;
                        record_bytes = 0;
                        continue;
                    }
                    end_record();
                    return Result::Record;
                } else {
                    fields[nf] += static_cast<char>(c);
                    st = State::Unquoted;
                    any = true;
                }
                break;
            case State::Unquoted:
                if (c == ',') {
                    next_field();
                    st = State::FieldStart;
                } else if (c == '\n') {
                    ++line_;
                    end_record();
                    return Result::Record;
                } else if (c == '"') {
                    fail(fmt::format("a quote inside an unquoted field (field {}): quote the "
                                     "whole field and double the quote",
                                     nf + 1),
                         line_, err);
                    return Result::Error;
                } else {
                    fields[nf] += static_cast<char>(c);
                }
                break;
            case State::Quoted:
                if (c == '"') {
                    st = State::QuoteInQuoted;
                } else {
                    if (c == '\n') ++line_;
                    fields[nf] += static_cast<char>(c);
                }
                break;
            case State::QuoteInQuoted:
                if (c == '"') {
                    fields[nf] += '"';
                    st = State::Quoted;
                } else if (c == ',') {
                    next_field();
                    st = State::FieldStart;
                } else if (c == '\n') {
                    ++line_;
                    end_record();
                    return Result::Record;
                } else {
                    fail(fmt::format("a character after the closing quote of field {}", nf + 1),
                         line_, err);
                    return Result::Error;
                }
                break;
        }
    }
}

}  // namespace kiosk::db
