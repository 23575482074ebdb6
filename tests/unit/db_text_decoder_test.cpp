// The CP932 → UTF-8 decoder behind `sync --encoding cp932`, the encoding names and detection. The
// CP932 bytes below were written by Python's "cp932" codec (independent of the glibc iconv the
// decoder uses); every case is also decoded from a source that yields one byte at a time, so that
// each double-byte character is split across reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <tuple>

#include "db/csv_reader.h"
#include "db/text_decoder.h"

namespace kiosk::db {
namespace {

// Yields its text `step` bytes per read.
class SteppedSource final : public ByteSource {
public:
    SteppedSource(std::string text, size_t step) : text_(std::move(text)), step_(step) {}
    bool read(char* buf, size_t cap, size_t* n, std::string*) override {
        *n = std::min({cap, step_, text_.size() - pos_});
        text_.copy(buf, *n, pos_);
        pos_ += *n;
        return true;
    }

private:
    std::string text_;
    size_t step_;
    size_t pos_ = 0;
};

// A source whose underlying file cannot be read.
class FailingSource final : public ByteSource {
public:
    bool read(char*, size_t, size_t*, std::string* err) override {
        *err = "cannot read the CSV file";
        return false;
    }
};

struct Decoded {
    std::string text;   // the UTF-8 yielded before the end or the error
    std::string error;  // empty at a clean end
};

// Decodes `cp932` from a source yielding `step` bytes per read, into reads of `cap` bytes.
Decoded decode(const std::string& cp932, size_t step, size_t cap = 4096, size_t chunk = 64 * 1024) {
    SteppedSource raw(cp932, step);
    Cp932ByteSource dec(raw, chunk);
    Decoded d;
    std::string buf(cap, '\0');
    for (;;) {
        size_t n = 0;
        if (!dec.read(buf.data(), buf.size(), &n, &d.error)) {
            std::string again;
            size_t n2 = 1;
            EXPECT_FALSE(dec.read(buf.data(), buf.size(), &n2, &again)) << "errors are sticky";
            EXPECT_EQ(again, d.error);
            break;
        }
        if (n == 0) break;
        d.text.append(buf.data(), n);
    }
    return d;
}

// Decodes whole, one byte at a time, into 1-byte reads and with a tiny chunk: all must agree.
Decoded decode_all_ways(const std::string& cp932) {
    Decoded whole = decode(cp932, 1 << 20);
    for (auto [step, cap, chunk] : {std::tuple<size_t, size_t, size_t>{1, 4096, 64 * 1024},
                                    {1, 1, 16},
                                    {3, 2, 16},
                                    {7, 4096, 17}}) {
        Decoded d = decode(cp932, step, cap, chunk);
        EXPECT_EQ(d.text, whole.text) << "step " << step << " cap " << cap << " chunk " << chunk;
        EXPECT_EQ(d.error, whole.error) << "step " << step << " cap " << cap << " chunk " << chunk;
    }
    return whole;
}

TEST(Cp932Decoder, AsciiPassesThroughUnchanged) {
    std::string ascii = "trainee_no,name\r\nT-1,\"Jane \"\"J\"\" Doe\"\n~\\,!\n";
    auto d = decode_all_ways(ascii);
    EXPECT_EQ(d.error, "");
    EXPECT_EQ(d.text, ascii);  // CP932 0x5C and 0x7E are \ and ~ (not ¥ and ‾)
    EXPECT_EQ(decode_all_ways("").text, "");
}

TEST(Cp932Decoder, KanaKanjiAndHalfWidthKatakana) {
    auto d = decode_all_ways(
        "\x8E\x52\x93\x63\x20\x91\xBE\x98\x59,"  // 山田 太郎
        "\x82\xA0\x82\xA2\x82\xA4,"              // あいう
        "\x83\x4A\x83\x5E\x83\x4A\x83\x69,"      // カタカナ
        "\xB6\xC0\xB6\xC5,"                      // ｶﾀｶﾅ (half-width, one byte each)
        "\x81\x60\n");                           // ～ (Microsoft's mapping: U+FF5E)
    EXPECT_EQ(d.error, "");
    EXPECT_EQ(d.text, "山田 太郎,あいう,カタカナ,ｶﾀｶﾅ,～\n");
}

TEST(Cp932Decoder, NecAndIbmExtensionCharacters) {
    // ① ㈱ (NEC row 13), 纊 髙 ⅰ (NEC-selected IBM extensions, 0xED/0xEE), 﨑 ⅰ (IBM extensions,
    // 0xFA): ⅰ decodes the same from both rows.
    auto d = decode_all_ways("\x87\x40\x87\x8A\xED\x40\xEE\xE0\xEE\xEF\xFA\xB1\xFA\x40");
    EXPECT_EQ(d.error, "");
    EXPECT_EQ(d.text, "①㈱纊髙ⅰ﨑ⅰ");
}

TEST(Cp932Decoder, LeadByteSplitAcrossReadsIsCarriedOver) {
    // With one byte per read every lead byte arrives alone; after the odd "x", 7-byte reads and a
    // 17-byte chunk end chunks on lead bytes too.
    std::string kanji;
    std::string expect;
    for (int i = 0; i < 40; ++i) {
        kanji += "\x8E\x81\x96\xBC";  // 氏名
        expect += "氏名";
    }
    auto d = decode_all_ways("x" + kanji);
    EXPECT_EQ(d.error, "");
    EXPECT_EQ(d.text, "x" + expect);
}

TEST(Cp932Decoder, InvalidByteNamesItsOwnLineAfterYieldingWhatCameBefore) {
    auto d = decode_all_ways("a,b\nT-1,\x8E\x52\nT-2,x\xFFy\n");
    EXPECT_EQ(d.text, "a,b\nT-1,山\nT-2,x");
    EXPECT_EQ(d.error, "line 3: invalid CP932 (byte 0xFF)");
    // A lead byte followed by a byte that cannot trail it; 0x80 and 0xA0 are not characters.
    EXPECT_EQ(decode_all_ways("ok\n\n\x8E\x20\n").error, "line 3: invalid CP932 (bytes 0x8E 0x20)");
    EXPECT_EQ(decode_all_ways("\x81\nx").error, "line 1: invalid CP932 (bytes 0x81 0x0A)");
    EXPECT_EQ(decode_all_ways("\x80").error, "line 1: invalid CP932 (byte 0x80)");
    EXPECT_EQ(decode_all_ways("a\nb\n\xA0").error, "line 3: invalid CP932 (byte 0xA0)");
}

TEST(Cp932Decoder, TruncatedLeadByteAtTheEndIsAnError) {
    auto d = decode_all_ways("a\n\x8E\x52\x93");
    EXPECT_EQ(d.text, "a\n山");
    EXPECT_EQ(d.error,
              "line 2: invalid CP932 (byte 0x93 at the end of the file: a truncated character)");
}

TEST(Cp932Decoder, ReadFailureOfTheUnderlyingSourcePassesThrough) {
    FailingSource raw;
    Cp932ByteSource dec(raw);
    char buf[16];
    size_t n = 0;
    std::string err;
    EXPECT_FALSE(dec.read(buf, sizeof buf, &n, &err));
    EXPECT_EQ(err, "cannot read the CSV file");
}

// Reads CP932 text through the decoder and the CSV reader.
std::pair<std::vector<CsvRecord>, std::string> read_csv(const std::string& cp932, size_t step) {
    SteppedSource raw(cp932, step);
    Cp932ByteSource dec(raw);
    CsvReader reader(dec, CsvOptions{.chunk_bytes = 5});
    std::vector<CsvRecord> records;
    std::string err;
    for (;;) {
        CsvRecord rec;
        auto r = reader.next(&rec, &err);
        if (r != CsvReader::Result::Record) break;
        records.push_back(rec);
    }
    return {records, err};
}

TEST(Cp932Decoder, CsvReaderReportsTheDecodersLineWithoutAPrefixOfItsOwn) {
    for (size_t step : {1, 4096}) {
        // Records before the bad byte are read; a multi-line quoted field counts its lines.
        auto [records, err] =
            read_csv("\x8E\x81\x96\xBC,x\n\"a\nb\",\x8F\x8A\x91\xAE\nc,\x8E\xFF\n", step);
        ASSERT_EQ(records.size(), 2u);
        EXPECT_EQ(records[0].fields, (std::vector<std::string>{"氏名", "x"}));
        EXPECT_EQ(records[1].fields, (std::vector<std::string>{"a\nb", "所属"}));
        EXPECT_EQ(err, "line 4: invalid CP932 (bytes 0x8E 0xFF)") << "step " << step;
        // A bad byte right after blank lines at the start (while the reader looks for a BOM).
        EXPECT_EQ(read_csv("\n\n\xFF", step).second, "line 3: invalid CP932 (byte 0xFF)");
        // A CSV defect before the bad byte is reported first.
        EXPECT_EQ(read_csv("a\nb\"c\n\xFF", step).second.substr(0, 34),
                  "line 2: a quote inside an unquoted");
    }
}

TEST(FeedEncodingName, AliasesAreCaseInsensitiveAndOthersAreRefused) {
    std::string err;
    for (auto n : {"utf-8", "UTF-8", "utf8", "Utf8"})
        EXPECT_EQ(canonical_feed_encoding(n, &err), "utf-8");
    for (auto n : {"cp932", "CP932", "shift_jis", "Shift_JIS", "shift-jis", "sjis", "SJIS",
                   "windows-31j", "Windows-31J", "ms932", "MS932"})
        EXPECT_EQ(canonical_feed_encoding(n, &err), "cp932") << n;
    EXPECT_EQ(canonical_feed_encoding("", &err), "auto");
    EXPECT_EQ(canonical_feed_encoding("AUTO", &err), "auto");
    EXPECT_EQ(canonical_feed_encoding("euc-jp", &err), std::nullopt);
    EXPECT_EQ(err, "encoding 'euc-jp' is not supported: use utf-8, cp932 or auto");
}

std::optional<std::string> detect(const std::string& bytes, std::string* err) {
    std::istringstream in(bytes);
    return detect_feed_encoding(in, err);
}

TEST(FeedEncodingDetection, Utf8Cp932OrNeither) {
    std::string err;
    EXPECT_EQ(detect("", &err), "utf-8");
    EXPECT_EQ(detect("trainee_no,name\nT-1,Jane\n", &err), "utf-8");  // ASCII is both: UTF-8
    EXPECT_EQ(detect("\xEF\xBB\xBF受講者番号,氏名\nT-1,山田 太郎\n", &err), "utf-8");
    // 受講者番号,氏名 / T-1,山田 太郎 in CP932.
    EXPECT_EQ(detect("\x8E\xF3\x8D\x75\x8E\xD2\x94\xD4\x8D\x86,\x8E\x81\x96\xBC\n"
                     "T-1,\x8E\x52\x93\x63\x20\x91\xBE\x98\x59\n",
                     &err),
              "cp932")
        << err;
    // A long UTF-8 prefix (beyond one 64 KiB chunk) then CP932 half-width katakana.
    std::string long_prefix(200 * 1024, 'a');
    long_prefix += "\n\xB6\xC0\n";
    EXPECT_EQ(detect(long_prefix, &err), "cp932");
    // Neither: 0x8E 0x52 is CP932 but not UTF-8 (line 2), 0xFF is neither (line 3).
    EXPECT_EQ(detect("a\n\x8E\x52\n\xFF\n", &err), std::nullopt);
    EXPECT_EQ(err,
              "the snapshot is neither UTF-8 nor CP932 (Shift_JIS): line 2: invalid UTF-8 (byte "
              "0x8E); line 3: invalid CP932 (byte 0xFF)");
    // Lines of plain ASCII (checked eight bytes at a time) are still counted one by one.
    std::string lines;
    for (int i = 0; i < 37; ++i) lines += std::string(static_cast<size_t>(i % 11), 'x') + "\n";
    EXPECT_EQ(detect(lines + "\x8E\x52\n\xFF\n", &err), std::nullopt);
    EXPECT_NE(err.find("line 38: invalid UTF-8 (byte 0x8E); line 39: invalid CP932 (byte 0xFF)"),
              std::string::npos)
        << err;
    // UTF-8 cut inside a character, and CP932 cut after a lead byte.
    EXPECT_EQ(detect("a\n\xE5", &err), std::nullopt);
    EXPECT_EQ(err,
              "the snapshot is neither UTF-8 nor CP932 (Shift_JIS): line 2: invalid UTF-8 (the "
              "file ends inside a character); line 2: invalid CP932 (byte 0xE5 at the end of the "
              "file: a truncated character)");
}

// The sync checks UTF-8 in the signature's read of the file, piece by piece as that read hands
// them over: whatever the pieces, the answers and messages are those of detect_feed_encoding.
TEST(FeedEncodingDetection, AScanFedInPiecesAnswersAsTheWholeDetection) {
    std::string lines;
    for (int i = 0; i < 3000; ++i) lines += std::string(static_cast<size_t>(i % 13), 'x') + "\n";
    const std::vector<std::string> inputs = {
        "",
        "trainee_no,name\nT-1,Jane\n",
        "\xEF\xBB\xBF受講者番号,氏名\nT-1,山田 太郎\n",
        "\x8E\xF3\x8D\x75\x8E\xD2\x94\xD4\x8D\x86,\x8E\x81\x96\xBC\nT-1,\x8E\x52\x93\x63\n",
        lines + "山田\n\xB6\xC0\n",
        lines + "\x8E\x52\n\xFF\n",
        lines + "a\n\xE5",
        lines + "\xED\xA0\x80\n",  // a surrogate: not UTF-8
        "\xF4\x90\x80\x80",        // beyond U+10FFFF
    };
    for (const std::string& input : inputs) {
        std::string want_err;
        const auto want = detect(input, &want_err);
        for (size_t piece : {size_t{1}, size_t{3}, size_t{7}, size_t{8}, size_t{4096}}) {
            FeedUtf8Scan scan;
            for (size_t at = 0; at < input.size(); at += piece)
                scan.feed(std::string_view(input).substr(at, piece));
            std::istringstream in(input);
            in.seekg(0, std::ios::end);  // where the signature's read leaves it
            std::string err;
            EXPECT_EQ(feed_encoding_after_utf8_scan(in, scan, &err), want)
                << "pieces of " << piece << " of " << input.substr(0, 20);
            EXPECT_EQ(err, want_err);
        }
    }
}

}  // namespace
}  // namespace kiosk::db
