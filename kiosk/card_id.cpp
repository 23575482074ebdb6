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

std::string printable_excerpt(std::string_view text) {
    constexpr size_t kMaxShown = 40;
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (i == kMaxShown) {
            out += fmt::format("... ({} characters)", text.size());
            break;
        }
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f)
            out += static_cast<char>(c);
        else
            out += fmt::format("\\x{:02X}", c);
    }
    return out;
}

std::optional<CardUid> parse_card_uid(std::string_view text, std::string* err) {
    if (text.find_first_not_of(" :-") == std::string_view::npos) {
        if (err)
            *err = fmt::format(
                "card UID is empty: give the card's UID in hex ({} to {} bytes), e.g. "
                "04A1B2C3D4E5F6",
                kMinUidBytes, kMaxUidBytes);
        return std::nullopt;
    }
    std::string digits;
    for (char c : text) {
        if (c == ':' || c == '-' || c == ' ') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
            if (err)
                *err = fmt::format("card UID '{}' is not hex: unexpected character '{}'",
                                   printable_excerpt(text),
                                   printable_excerpt(std::string_view(&c, 1)));
            return std::nullopt;
        }
        digits += c;
        if (digits.size() > 2 * kMaxUidBytes) {
            if (err)
                *err = fmt::format("card UID '{}' is too long: more than {} bytes",
                                   printable_excerpt(text), kMaxUidBytes);
            return std::nullopt;
        }
    }
    if (digits.size() % 2 != 0) {
        if (err)
            *err = fmt::format("card UID '{}' has an odd number of hex digits",
                               printable_excerpt(text));
        return std::nullopt;
    }
    if (digits.size() < 2 * kMinUidBytes) {
        if (err)
            *err = fmt::format("card UID '{}' is too short: {} bytes, at least {}",
                               printable_excerpt(text), digits.size() / 2, kMinUidBytes);
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
