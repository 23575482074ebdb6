// A streaming RFC 4180 reader for the nightly feed: reads its source in chunks (never the whole
// file), yields one record at a time with the physical line it starts on, and stops at the first
// defect with an error naming the line. Input reaches it as UTF-8 through a ByteSource: a file,
// a stream, or a decoder that turns CP932 into UTF-8 (Cp932ByteSource, db/text_decoder.h) — the
// reader itself only ever sees UTF-8 (an optional BOM at the start is skipped) and rejects
// invalid sequences.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <vector>

namespace kiosk::db {

// Where the reader's UTF-8 bytes come from. A decoder for another encoding is a ByteSource that
// reads from another ByteSource.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Fills up to `cap` bytes; *n = 0 means the end. false + *err on a read failure or, for a
    // decoder, an invalid byte: CsvReader passes *err on as it is, so a decoder names the line of
    // the bad byte itself ("line 7: invalid CP932 (byte 0xFF)").
    virtual bool read(char* buf, size_t cap, size_t* n, std::string* err) = 0;
};

// Reads an std::istream (a file opened in binary mode, a string stream in tests).
class StreamByteSource final : public ByteSource {
public:
    explicit StreamByteSource(std::istream& in) : in_(in) {}
    bool read(char* buf, size_t cap, size_t* n, std::string* err) override;

private:
    std::istream& in_;
};

struct CsvRecord {
    std::int64_t line = 0;  // the physical line (1-based) the record starts on
    std::vector<std::string> fields;
};

struct CsvOptions {
    size_t max_record_bytes = 64 * 1024;  // a record (all fields and separators) longer fails
    size_t chunk_bytes = 64 * 1024;
};

class CsvReader {
public:
    explicit CsvReader(ByteSource& source, CsvOptions options = {});

    enum class Result { Record, End, Error };
    // The next record; completely empty lines are skipped. On Error, *err says what and where
    // ("line 12: an unterminated quoted field") and every later call returns Error again.
    Result next(CsvRecord* out, std::string* err);

    // The physical line the reader has reached (for messages after the end).
    std::int64_t line() const { return line_; }

private:
    bool fill(std::string* err);
    bool fail(std::string msg, std::int64_t line, std::string* err);
    bool utf8_byte(unsigned char c, std::string* err);
    size_t scan_plain(std::string& dst, bool quoted);

    ByteSource& source_;
    CsvOptions options_;
    std::vector<char> buf_;
    size_t pos_ = 0, len_ = 0;
    bool eof_ = false;
    bool started_ = false;  // BOM check done
    std::int64_t line_ = 1;
    std::string error_;
    // UTF-8 validation state carried across bytes.
    int utf8_need_ = 0;
    unsigned char utf8_lo_ = 0x80, utf8_hi_ = 0xBF;
};

}  // namespace kiosk::db
