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
    out->fields.clear();
    out->line = line_;
    std::string field;
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
                out->fields.push_back(std::move(field));
                return Result::Record;
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
                    out->fields.push_back(std::move(field));
                    field.clear();
                    any = true;
                } else if (c == '\n') {
                    ++line_;
                    if (!any) {  // an empty line
                        out->line = line_;
                        record_bytes = 0;
                        continue;
                    }
                    out->fields.push_back(std::move(field));
                    return Result::Record;
                } else {
                    field += static_cast<char>(c);
                    st = State::Unquoted;
                    any = true;
                }
                break;
            case State::Unquoted:
                if (c == ',') {
                    out->fields.push_back(std::move(field));
                    field.clear();
                    st = State::FieldStart;
                } else if (c == '\n') {
                    ++line_;
                    out->fields.push_back(std::move(field));
                    return Result::Record;
                } else if (c == '"') {
                    fail(fmt::format("a quote inside an unquoted field (field {}): quote the "
                                     "whole field and double the quote",
                                     out->fields.size() + 1),
                         line_, err);
                    return Result::Error;
                } else {
                    field += static_cast<char>(c);
                }
                break;
            case State::Quoted:
                if (c == '"') {
                    st = State::QuoteInQuoted;
                } else {
                    if (c == '\n') ++line_;
                    field += static_cast<char>(c);
                }
                break;
            case State::QuoteInQuoted:
                if (c == '"') {
                    field += '"';
                    st = State::Quoted;
                } else if (c == ',') {
                    out->fields.push_back(std::move(field));
                    field.clear();
                    st = State::FieldStart;
                } else if (c == '\n') {
                    ++line_;
                    out->fields.push_back(std::move(field));
                    return Result::Record;
                } else {
                    fail(fmt::format("a character after the closing quote of field {}",
                                     out->fields.size() + 1),
                         line_, err);
                    return Result::Error;
                }
                break;
        }
    }
}

}  // namespace kiosk::db
