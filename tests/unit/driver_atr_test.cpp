// Tests of the card family read from contactless ATRs and of the GET UID answer check
// (drivers/atr.h): every bad answer the PC/SC reader must turn into a ReaderError.
#include <gtest/gtest.h>

#include <vector>

#include "drivers/atr.h"

namespace {

using kiosk::CardFamily;

std::vector<std::uint8_t> hex(std::string_view s) {
    std::vector<std::uint8_t> out;
    for (size_t i = 0; i + 1 < s.size(); i += 2) {
        if (s[i] == ' ') {
            --i;
            continue;
        }
        out.push_back(
            static_cast<std::uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

TEST(CardFamilyFromAtr, FelicaStorageCard) {
    // field-notes.md: FeliCa carries "11 003B" in the PC/SC part 3 ATR.
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B8F8001804F0CA00000030611003B0000000042")),
              CardFamily::Felica);
}

TEST(CardFamilyFromAtr, Mifare1kIsIso14443A) {
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B8F8001804F0CA000000306030001000000006A")),
              CardFamily::Iso14443A);
}

TEST(CardFamilyFromAtr, MifareUltralightIsIso14443A) {
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B8F8001804F0CA0000003060300030000000068")),
              CardFamily::Iso14443A);
}

TEST(CardFamilyFromAtr, StorageCardOfTypeB) {
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B8F8001804F0CA000000306070000000000006F")),
              CardFamily::Iso14443B);
}

TEST(CardFamilyFromAtr, Iso15693StorageCardIsUnknown) {
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B8F8001804F0CA0000003060B00140000000077")),
              CardFamily::Unknown);
}

TEST(CardFamilyFromAtr, Iso14443_4TypeA) {
    // DESFire EV1: one historical byte from the ATS.
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B8180018080")), CardFamily::Iso14443A);
}

TEST(CardFamilyFromAtr, Iso14443_4TypeBHasEightHistoricalBytes) {
    // A type B card (e.g. a Japanese My Number card): ATQB application data + protocol info.
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B88800100000000778181007E")),
              CardFamily::Iso14443B);
}

TEST(CardFamilyFromAtr, ContactCardIsUnknown) {
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B021450")), CardFamily::Unknown);
    EXPECT_EQ(drivers::card_family_from_atr(hex("3BFF1300008131FE4580318065B0")),
              CardFamily::Unknown);
}

TEST(CardFamilyFromAtr, TruncatedOrEmptyIsUnknown) {
    EXPECT_EQ(drivers::card_family_from_atr({}), CardFamily::Unknown);
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B8F8001804F0CA00000030611")),
              CardFamily::Unknown);
    EXPECT_EQ(drivers::card_family_from_atr(hex("3B81800180")), CardFamily::Unknown);  // no TCK
}

TEST(HexBytes, SpacedUpperCase) {
    EXPECT_EQ(drivers::hex_bytes(hex("3b8f0a")), "3B 8F 0A");
    EXPECT_EQ(drivers::hex_bytes({}), "");
}

TEST(GetUidCommand, IsPcscPart3GetData) {
    EXPECT_EQ(
        std::vector<std::uint8_t>(drivers::kGetUidCommand.begin(), drivers::kGetUidCommand.end()),
        hex("FFCA000000"));
}

std::optional<kiosk::CardUid> check(std::string_view response, std::string* err) {
    return drivers::uid_from_get_uid_response(hex(response), err);
}

TEST(UidFromGetUidResponse, SevenByteIso14443Uid) {
    std::string err;
    auto uid = check("04A1B2C3D4E5F69000", &err);
    ASSERT_TRUE(uid) << err;
    EXPECT_EQ(uid->hex(), "04A1B2C3D4E5F6");
}

TEST(UidFromGetUidResponse, FourAndTenByteUidsAndFelicaIdm) {
    std::string err;
    EXPECT_EQ(check("DEADBEEF9000", &err)->hex(), "DEADBEEF");
    EXPECT_EQ(check("0102030405060708090A9000", &err)->hex(), "0102030405060708090A");
    EXPECT_EQ(check("0123456789ABCDEF9000", &err)->hex(), "0123456789ABCDEF");
}

TEST(UidFromGetUidResponse, EmptyAnswer) {
    std::string err;
    EXPECT_FALSE(check("", &err));
    EXPECT_EQ(err, "card sent an empty answer to GET UID");
}

TEST(UidFromGetUidResponse, OneByteHasNoStatusWord) {
    std::string err;
    EXPECT_FALSE(check("90", &err));
    EXPECT_NE(err.find("no status word"), std::string::npos) << err;
}

TEST(UidFromGetUidResponse, FunctionNotSupported) {
    std::string err;
    EXPECT_FALSE(check("6A81", &err));
    EXPECT_EQ(err, "card refused GET UID with status word 6A 81 (function not supported)");
}

TEST(UidFromGetUidResponse, GarbageWithoutSuccessStatus) {
    std::string err;
    EXPECT_FALSE(check("133742", &err));
    EXPECT_NE(err.find("37 42"), std::string::npos) << err;
}

TEST(UidFromGetUidResponse, BareSuccessHasNoUid) {
    std::string err;
    EXPECT_FALSE(check("9000", &err));
    EXPECT_EQ(err, "card's UID is 0 bytes, expected 4 to 10");
}

TEST(UidFromGetUidResponse, UidTooShortOrTooLong) {
    std::string err;
    EXPECT_FALSE(check("04A19000", &err));
    EXPECT_EQ(err, "card's UID is 2 bytes, expected 4 to 10");
    EXPECT_FALSE(check("0102030405060708090A0B9000", &err));
    EXPECT_EQ(err, "card's UID is 11 bytes, expected 4 to 10");
}

TEST(UidFromGetUidResponse, SuccessStatusMustBeAtTheEnd) {
    std::string err;
    EXPECT_FALSE(check("90000102030405", &err));
    EXPECT_NE(err.find("04 05"), std::string::npos) << err;
}

}  // namespace
