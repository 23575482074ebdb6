// Dates and instants: strict parsing, Japan calendar days, formatting.
#include <gtest/gtest.h>

#include "kiosk/card_id.h"
#include "kiosk/config.h"
#include "kiosk/time.h"

namespace kiosk {

TEST(Time, ParsesStrictDates) {
    EXPECT_TRUE(parse_date("2024-02-29"));
    EXPECT_FALSE(parse_date("2023-02-29"));
    EXPECT_FALSE(parse_date("2024-13-01"));
    EXPECT_FALSE(parse_date("2024-1-01"));
    EXPECT_FALSE(parse_date("2024-01-01 "));
    EXPECT_FALSE(parse_date(""));
}

TEST(Time, ParsesInstantsWithOffsets) {
    auto a = parse_instant("2026-11-24T02:00:00+09:00");
    auto b = parse_instant("2026-11-23T17:00:00Z");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(format_instant(*a), "2026-11-24T02:00:00+09:00");
    EXPECT_EQ(parse_instant("2026-11-24T02:00:00.123+0900"), a);
    EXPECT_FALSE(parse_instant("2026-11-24T02:00:00"));  // offset required
    EXPECT_FALSE(parse_instant("2026-11-24T25:00:00Z"));
}

TEST(Time, TokyoDateCrossesMidnightAtFifteenUtc) {
    EXPECT_EQ(format_date(tokyo_date(*parse_instant("2026-11-23T14:59:59Z"))), "2026-11-23");
    EXPECT_EQ(format_date(tokyo_date(*parse_instant("2026-11-23T15:00:00Z"))), "2026-11-24");
}

TEST(CardUidParsing, AcceptsCaseInsensitiveHexAndRejectsBadInput) {
    std::string err;
    auto a = parse_card_uid("04a1b2c3d4e5f6", &err);
    auto b = parse_card_uid("04:A1:B2:C3:D4:E5:F6", &err);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->hex(), "04A1B2C3D4E5F6");
    EXPECT_EQ(*a, *b);
    EXPECT_FALSE(parse_card_uid("04A1B2", &err));  // 3 bytes
    EXPECT_NE(err.find("too short"), std::string::npos);
    EXPECT_FALSE(parse_card_uid("0102030405060708090A0B", &err));  // 11 bytes
    EXPECT_NE(err.find("too long"), std::string::npos);
    EXPECT_FALSE(parse_card_uid("04A1B2C3D4E5FZ", &err));
    EXPECT_NE(err.find("not hex"), std::string::npos);
    EXPECT_FALSE(parse_card_uid("04A1B2C3D", &err));
    EXPECT_NE(err.find("odd number"), std::string::npos);
    EXPECT_FALSE(parse_card_uid("", &err));
    EXPECT_NE(err.find("card UID is empty"), std::string::npos) << err;
    EXPECT_FALSE(parse_card_uid(" : ", &err));
    EXPECT_NE(err.find("card UID is empty"), std::string::npos) << err;
}

TEST(CardUidParsing, EchoesWhatWasGivenEscapedAndBounded) {
    std::string err;
    EXPECT_FALSE(parse_card_uid("04\x01\x1b[2J", &err));
    EXPECT_EQ(err, "card UID '04\\x01\\x1B[2J' is not hex: unexpected character '\\x01'");
    EXPECT_FALSE(parse_card_uid("04\xe5\xb1\xb1", &err));  // 山 in UTF-8
    EXPECT_NE(err.find("'04\\xE5\\xB1\\xB1'"), std::string::npos) << err;
    EXPECT_FALSE(parse_card_uid(std::string(5000, 'Z'), &err));
    EXPECT_NE(err.find("... (5000 characters)"), std::string::npos) << err;
    EXPECT_LT(err.size(), 200u);
    EXPECT_EQ(printable_excerpt("A\n1"), "A\\x0A1");
    EXPECT_EQ(printable_excerpt("plain ASCII"), "plain ASCII");
}

TEST(CardHash, IsKeyedAndCaseInsensitive) {
    SiteSecret s1{}, s2{};
    s2[0] = 1;
    std::string err;
    auto u = *parse_card_uid("04a1b2c3d4e5f6", &err);
    auto U = *parse_card_uid("04A1B2C3D4E5F6", &err);
    EXPECT_EQ(card_hash(s1, u), card_hash(s1, U));
    EXPECT_NE(card_hash(s1, u), card_hash(s2, u));
    EXPECT_EQ(card_hash(s1, u).size(), 64u);
}

TEST(Config, DefaultsAndOverrides) {
    Config c;
    std::string err;
    ASSERT_TRUE(
        parse_config("[mirror]\nmax_age_hours = 72\n[sessions]\nseats = 2\n", "t", &c, &err))
        << err;
    EXPECT_EQ(c.policy.max_age_hours, 72);
    EXPECT_EQ(c.policy.warn_age_hours, 26);
    EXPECT_EQ(c.policy.seats, 2);
}

TEST(Config, BadInputNamesWhatIsWrong) {
    Config c;
    std::string err;
    EXPECT_FALSE(parse_config("[mirror\nmax_age_hours = 1", "k.toml", &c, &err));
    EXPECT_NE(err.find("config k.toml: line 1"), std::string::npos) << err;
    EXPECT_FALSE(parse_config("[sessions]\nseets = 2\n", "k.toml", &c, &err));
    EXPECT_NE(err.find("unknown key 'sessions.seets'"), std::string::npos) << err;
    EXPECT_FALSE(parse_config("[sessions]\nseats = \"two\"\n", "k.toml", &c, &err));
    EXPECT_NE(err.find("sessions.seats must be an integer"), std::string::npos) << err;
    EXPECT_FALSE(parse_config("[mirror]\nwarn_age_hours = 99\n", "k.toml", &c, &err));
    EXPECT_NE(err.find("warn_age_hours"), std::string::npos) << err;
}

TEST(Config, TimeoutsOutOfRangeAreRefusedNotClamped) {
    Config c;
    std::string err;
    const std::pair<const char*, const char*> cases[] = {
        {"[sync]\nconnect_timeout_seconds = 0\n", "sync.connect_timeout_seconds must be 1..300"},
        {"[sync]\nconnect_timeout_seconds = -5\n", "sync.connect_timeout_seconds must be 1..300"},
        {"[sync]\ntotal_timeout_seconds = 0\n", "sync.total_timeout_seconds must be 1..21600"},
        {"[sync]\ntotal_timeout_seconds = 100000\n", "sync.total_timeout_seconds must be 1..21600"},
        {"[sync]\nconnect_timeout_seconds = 30\ntotal_timeout_seconds = 10\n",
         "must not be below sync.connect_timeout_seconds"},
        {"[reader]\napdu_timeout_ms = 0\n", "reader.apdu_timeout_ms must be 50..10000"},
        {"[reader]\napdu_timeout_ms = 60000\n", "reader.apdu_timeout_ms must be 50..10000"},
        {"[sync]\nretries = 21\n", "sync.retries must be 0..20"},
    };
    for (const auto& [text, want] : cases) {
        EXPECT_FALSE(parse_config(text, "k.toml", &c, &err)) << text;
        EXPECT_NE(err.find(want), std::string::npos) << text << ": " << err;
        EXPECT_EQ(err.rfind("config k.toml: ", 0), 0u) << err;
    }
    ASSERT_TRUE(
        parse_config("[sync]\nconnect_timeout_seconds = 2\ntotal_timeout_seconds = 2\n"
                     "[reader]\napdu_timeout_ms = 50\n",
                     "k.toml", &c, &err))
        << err;
    EXPECT_EQ(c.sync.total_timeout_seconds, 2);
    EXPECT_EQ(c.reader.apdu_timeout_ms, 50);
}

TEST(Config, ShippedConfigParses) {
    Config c;
    std::string err;
    EXPECT_TRUE(load_config(KIOSK_SOURCE_DIR "/config/kiosk.toml", &c, &err)) << err;
    EXPECT_EQ(c.policy.seats, 4);
}

}  // namespace kiosk
