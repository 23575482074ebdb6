// Card identifiers: the UID a reader returns (ISO 14443 UID, 14443-B PUPI or FeliCa IDm) and the
// keyed hash under which the kiosk stores it. A UID is "who claims to be here", not proof.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk {

inline constexpr size_t kMinUidBytes = 4;
inline constexpr size_t kMaxUidBytes = 10;

// A card UID, 4–10 bytes.
struct CardUid {
    std::vector<std::uint8_t> bytes;
    std::string hex() const;  // upper-case hex, no separators
    bool operator==(const CardUid&) const = default;
};

// Text from outside (typed by a person, sent by a reader), safe to print in a message: printable
// ASCII as it is, every other byte (control characters, UTF-8) as \xNN, at most 40 characters.
std::string printable_excerpt(std::string_view text);

// Parses case-insensitive hex (optionally with `:`, `-` or spaces between byte pairs). On failure
// returns nullopt and sets *err to a message naming what is wrong.
std::optional<CardUid> parse_card_uid(std::string_view text, std::string* err);

// The site secret keys the card hash so a stolen database does not reveal card numbers.
inline constexpr size_t kSiteSecretBytes = 32;
using SiteSecret = std::array<std::uint8_t, kSiteSecretBytes>;

// Keyed BLAKE2b-256 of the UID bytes, as 64 lower-case hex digits. Stored instead of the UID.
std::string card_hash(const SiteSecret& secret, const CardUid& uid);

// The prefix of a card hash the audit trail records (12 hex digits).
std::string card_hash_prefix(std::string_view hash);

}  // namespace kiosk
