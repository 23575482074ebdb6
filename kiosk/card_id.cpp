// Card UID parsing and keyed hashing (see card_id.h).
#include "kiosk/card_id.h"

#include <fmt/format.h>
#include <sodium.h>

namespace kiosk {

std::string CardUid::hex() const {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (auto b : bytes) out += fmt::format("{:02X}", b);
    return out;
}

std::optional<CardUid> parse_card_uid(std::string_view text, std::string* err) {
    std::string digits;
    for (char c : text) {
        if (c == ':' || c == '-' || c == ' ') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
            if (err)
                *err = fmt::format("card UID '{}' is not hex: unexpected character '{}'",
                                   text.substr(0, 40), c);
            return std::nullopt;
        }
        digits += c;
        if (digits.size() > 2 * kMaxUidBytes) {
            if (err) *err = fmt::format("card UID is too long: more than {} bytes", kMaxUidBytes);
            return std::nullopt;
        }
    }
    if (digits.size() % 2 != 0) {
        if (err) *err = fmt::format("card UID '{}' has an odd number of hex digits", text);
        return std::nullopt;
    }
    if (digits.size() < 2 * kMinUidBytes) {
        if (err)
            *err = fmt::format("card UID '{}' is too short: {} bytes, at least {}", text,
                               digits.size() / 2, kMinUidBytes);
        return std::nullopt;
    }
    CardUid uid;
    for (size_t i = 0; i < digits.size(); i += 2)
        uid.bytes.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    return uid;
}

std::string card_hash(const SiteSecret& secret, const CardUid& uid) {
    unsigned char out[32];
    crypto_generichash(out, sizeof out, uid.bytes.data(), uid.bytes.size(), secret.data(),
                       secret.size());
    std::string hex;
    for (auto b : out) hex += fmt::format("{:02x}", b);
    return hex;
}

std::string card_hash_prefix(std::string_view hash) { return std::string(hash.substr(0, 12)); }

}  // namespace kiosk
