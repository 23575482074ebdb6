// Card family from a contactless ATR and validation of the GET UID answer (see atr.h).
#include "drivers/atr.h"

#include <fmt/format.h>

#include <algorithm>

namespace drivers {

namespace {

// RID of the PC/SC workgroup, which registers the storage-card ATR format.
constexpr std::array<std::uint8_t, 5> kPcscRid{0xA0, 0x00, 0x00, 0x03, 0x06};

kiosk::CardFamily family_from_standard_byte(std::uint8_t ss) {
    if (ss >= 0x01 && ss <= 0x03) return kiosk::CardFamily::Iso14443A;
    if (ss >= 0x05 && ss <= 0x07) return kiosk::CardFamily::Iso14443B;
    if (ss == 0x11) return kiosk::CardFamily::Felica;
    return kiosk::CardFamily::Unknown;
}

std::string status_word_meaning(std::uint8_t sw1, std::uint8_t sw2) {
    if (sw1 == 0x6A && sw2 == 0x81) return "function not supported";
    if (sw1 == 0x62 && sw2 == 0x82) return "end of data before Le bytes";
    if (sw1 == 0x63 && sw2 == 0x00) return "operation failed";
    if (sw1 == 0x6C) return fmt::format("wrong length, {} bytes available", sw2);
    if (sw1 == 0x6D && sw2 == 0x00) return "instruction not supported";
    if (sw1 == 0x6E && sw2 == 0x00) return "class not supported";
    return "unexpected status";
}

}  // namespace

kiosk::CardFamily card_family_from_atr(std::span<const std::uint8_t> atr) {
    // TS, T0 = 8n (TD1 present, n historical bytes), TD1 = 80 (TD2 present), TD2 = 01 (T=1).
    if (atr.size() < 4 || atr[0] != 0x3B || (atr[1] & 0xF0) != 0x80 || atr[2] != 0x80 ||
        atr[3] != 0x01)
        return kiosk::CardFamily::Unknown;
    const size_t historical = atr[1] & 0x0F;
    if (atr.size() != 4 + historical + 1) return kiosk::CardFamily::Unknown;  // + TCK
    auto hist = atr.subspan(4, historical);
    // Storage card: category 80, tag 4F (AID) of length 0C: RID, SS, NN NN, 4 RFU bytes.
    if (historical == 15 && hist[0] == 0x80 && hist[1] == 0x4F && hist[2] == 0x0C &&
        std::equal(kPcscRid.begin(), kPcscRid.end(), hist.begin() + 3))
        return family_from_standard_byte(hist[8]);
    if (historical == 8) return kiosk::CardFamily::Iso14443B;
    return kiosk::CardFamily::Iso14443A;
}

std::string hex_bytes(std::span<const std::uint8_t> bytes) {
    std::string out;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i) out += ' ';
        out += fmt::format("{:02X}", bytes[i]);
    }
    return out;
}

std::optional<kiosk::CardUid> uid_from_get_uid_response(std::span<const std::uint8_t> response,
                                                        std::string* err) {
    auto fail = [&](std::string msg) -> std::optional<kiosk::CardUid> {
        if (err) *err = std::move(msg);
        return std::nullopt;
    };
    if (response.empty()) return fail("card sent an empty answer to GET UID");
    if (response.size() < 2)
        return fail(
            fmt::format("card's answer to GET UID has no status word: {}", hex_bytes(response)));
    const std::uint8_t sw1 = response[response.size() - 2];
    const std::uint8_t sw2 = response[response.size() - 1];
    if (sw1 != 0x90 || sw2 != 0x00)
        return fail(fmt::format("card refused GET UID with status word {:02X} {:02X} ({})", sw1,
                                sw2, status_word_meaning(sw1, sw2)));
    const size_t uid_len = response.size() - 2;
    if (uid_len < kiosk::kMinUidBytes || uid_len > kiosk::kMaxUidBytes)
        return fail(fmt::format("card's UID is {} bytes, expected {} to {}", uid_len,
                                kiosk::kMinUidBytes, kiosk::kMaxUidBytes));
    kiosk::CardUid uid;
    uid.bytes.assign(response.begin(), response.end() - 2);
    return uid;
}

}  // namespace drivers
