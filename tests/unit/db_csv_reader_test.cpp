// The streaming CSV reader: RFC 4180 quoting, CRLF/LF, BOM, physical line numbers, and each
// defect (invalid UTF-8, NUL, unterminated quote, over-long record) stopping with the line. Every
// case is also read with tiny chunks, so that chunk boundaries fall everywhere.
#include <gtest/gtest.h>

#include <sstream>

#include "db/csv_reader.h"

namespace kiosk::db {
namespace {

struct Parsed {
    std::vector<CsvRecord> records;
    std::string error;
};

Parsed parse(const std::string& text, size_t chunk = 64 * 1024, size_t max_record = 64 * 1024) {
    std::istringstream in(text);
    StreamByteSource src(in);
    CsvReader reader(src, CsvOptions{.max_record_bytes = max_record, .chunk_bytes = chunk});
    Parsed p;
    for (;;) {
        CsvRecord rec;
        auto r = reader.next(&rec, &p.error);
        if (r == CsvReader::Result::End) break;
        if (r == CsvReader::Result::Error) {
            CsvRecord again;
            std::string err2;
            EXPECT_EQ(reader.next(&again, &err2), CsvReader::Result::Error);  // sticky
            break;
        }
        p.records.push_back(rec);
    }
    return p;
}

// Parses with several chunk sizes and checks they agree.
Parsed parse_all_chunks(const std::string& text) {
    Parsed big = parse(text);
    for (size_t chunk : {1, 2, 3, 5, 7}) {
        Parsed small = parse(text, chunk);
        EXPECT_EQ(small.error, big.error) << "chunk " << chunk;
        EXPECT_EQ(small.records.size(), big.records.size()) << "chunk " << chunk;
        for (size_t i = 0; i < std::min(small.records.size(), big.records.size()); ++i) {
            EXPECT_EQ(small.records[i].fields, big.records[i].fields) << "chunk " << chunk;
            EXPECT_EQ(small.records[i].line, big.records[i].line) << "chunk " << chunk;
        }
    }
    return big;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, PlainRecordsWithLfAndCrlf) {
    auto p = parse_all_chunks("a,b,c\r\n1,2,3\n4,,6");
    ASSERT_EQ(p.error, "");
    ASSERT_EQ(p.records.size(), 3u);
    EXPECT_EQ(p.records[0].fields, (Fields{"a", "b", "c"}));
    EXPECT_EQ(p.records[1].fields, (Fields{"1", "2", "3"}));
    EXPECT_EQ(p.records[2].fields, (Fields{"4", "", "6"}));  // no final newline
    EXPECT_EQ(p.records[2].line, 3);
}

TEST(CsvReader, QuotedFieldsEscapesAndEmbeddedNewlinesKeepPhysicalLines) {
    auto p = parse_all_chunks(
        "h1,h2\n\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\r\n\"\",\"crlf\r\ninside\"\nlast,1\n");
    ASSERT_EQ(p.error, "");
    ASSERT_EQ(p.records.size(), 5u);
    EXPECT_EQ(p.records[1].fields, (Fields{"a,b", "say \"hi\""}));
    EXPECT_EQ(p.records[1].line, 2);
    EXPECT_EQ(p.records[2].fields, (Fields{"two\nlines", "x"}));
    EXPECT_EQ(p.records[2].line, 3);
    EXPECT_EQ(p.records[3].fields, (Fields{"", "crlf\r\ninside"}));
    EXPECT_EQ(p.records[3].line, 5);
    EXPECT_EQ(p.records[4].line, 7);
}

TEST(CsvReader, BomIsSkippedAndUtf8IsKept) {
    auto p = parse_all_chunks("\xEF\xBB\xBF受講者番号,氏名\nT-1,山田 太郎\n");
    ASSERT_EQ(p.error, "");
    ASSERT_EQ(p.records.size(), 2u);
    EXPECT_EQ(p.records[0].fields, (Fields{"受講者番号", "氏名"}));
    EXPECT_EQ(p.records[1].fields, (Fields{"T-1", "山田 太郎"}));
}

TEST(CsvReader, EmptyLinesAreSkippedAndEmptyInputEnds) {
    auto p = parse_all_chunks("\n\na\n\r\n\nb\n\n");
    ASSERT_EQ(p.error, "");
    ASSERT_EQ(p.records.size(), 2u);
    EXPECT_EQ(p.records[0].line, 3);
    EXPECT_EQ(p.records[1].line, 6);
    EXPECT_TRUE(parse_all_chunks("").records.empty());
    EXPECT_TRUE(parse_all_chunks("\xEF\xBB\xBF").records.empty());
}

TEST(CsvReader, InvalidUtf8NamesTheLine) {
    // Shift_JIS 山田 (0x8E 0x52 0x93 0x63) read as UTF-8.
    auto p = parse_all_chunks("a,b\nT-1,ok\nT-2,\x8E\x52\x93\x63\n");
    EXPECT_EQ(p.records.size(), 2u);
    EXPECT_NE(p.error.find("line 3: invalid UTF-8 (byte 0x8E)"), std::string::npos) << p.error;
    // Overlong encodings and surrogates are invalid too; a truncated sequence at the end.
    EXPECT_NE(parse("x\n\xC0\xAF\n").error.find("line 2: invalid UTF-8"), std::string::npos);
    EXPECT_NE(parse("\xED\xA0\x80\n").error.find("line 1: invalid UTF-8"), std::string::npos);
    EXPECT_NE(parse("a\n\xE5\xB1").error.find("line 2: the file ends inside a UTF-8"),
              std::string::npos);
    // A bad byte inside a multi-line quoted field names its own physical line.
    EXPECT_NE(parse("\"a\nb\nc\xFF\"\n").error.find("line 3:"), std::string::npos);
}

TEST(CsvReader, NulByteIsAnError) {
    auto p = parse_all_chunks(std::string("a\nb\0c\n", 6));
    EXPECT_EQ(p.error, "line 2: a NUL byte: not a text file");
}

TEST(CsvReader, UnterminatedQuoteNamesTheLineItOpened) {
    auto p = parse_all_chunks("a,b\n1,\"open\n2,3\n4,5\n");
    EXPECT_EQ(p.error, "line 2: a quoted field is never closed (unterminated quote)");
}

TEST(CsvReader, StrayQuotesAndLoneCarriageReturnsAreErrors) {
    EXPECT_NE(parse_all_chunks("a\nab\"c\n").error.find("line 2: a quote inside an unquoted"),
              std::string::npos);
    EXPECT_NE(parse_all_chunks("\"a\"b\n").error.find("line 1: a character after the closing"),
              std::string::npos);
    EXPECT_NE(parse_all_chunks("a\rb\n").error.find("line 1: a carriage return"),
              std::string::npos);
    EXPECT_NE(parse_all_chunks("a\r").error.find("line 1: a carriage return"), std::string::npos);
}

TEST(CsvReader, OverLongRecordIsAnErrorNamingItsFirstLine) {
    std::string big = "a\n\"" + std::string(70 * 1024, 'x') + "\n\"\n";
    auto p = parse(big);
    EXPECT_EQ(p.error, "line 2: the record is longer than 65536 bytes");
    auto q = parse("short\n" + std::string(100, 'y') + "\n", 7, 50);
    EXPECT_EQ(q.error, "line 2: the record is longer than 50 bytes");
}

TEST(CsvReader, StreamsALargeInputInChunks) {
    std::string text = "n,v\n";
    for (int i = 0; i < 20000; ++i)
        text += std::to_string(i) + ",\"v " + std::to_string(i) + "\"\n";
    auto p = parse(text, 4096);
    ASSERT_EQ(p.error, "");
    ASSERT_EQ(p.records.size(), 20001u);
    EXPECT_EQ(p.records.back().fields, (Fields{"19999", "v 19999"}));
    EXPECT_EQ(p.records.back().line, 20001);
}

}  // namespace
}  // namespace kiosk::db
