// What a contactless reader's ATR and its answer to GET UID say about the card in the field.
// Pure functions (no PC/SC calls) shared by the PC/SC reader, its tests and kioskctl.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "kiosk/card_id.h"
#include "kiosk/card_reader.h"

namespace drivers {

// The card family from the ATR a PC/SC reader builds for a contactless card:
// - storage cards (PC/SC part 3, 3B 8F 80 01 80 4F 0C A0 00 00 03 06 SS NN NN ...): the
//   standard byte SS says ISO 14443 A (01..03, e.g. MIFARE 1K "03 0001"), ISO 14443 B (05..07)
//   or FeliCa (11, "11 003B");
// - ISO 14443-4 smart cards (3B 8n 80 01 + n historical bytes): eight historical bytes are a
//   type B card's ATQB application data + protocol info + MBLI, any other count a type A ATS.
// Anything else (contact cards, ISO 15693, malformed) is CardFamily::Unknown.
kiosk::CardFamily card_family_from_atr(std::span<const std::uint8_t> atr);

// Upper-case hex of bytes separated by spaces ("3B 8F 80 01"), for messages and logs.
std::string hex_bytes(std::span<const std::uint8_t> bytes);

// PC/SC part 3 GET DATA "UID": the ISO 14443 UID (4, 7 or 10 bytes), the 14443-B PUPI or the
// FeliCa IDm (8 bytes), followed by SW 90 00.
inline constexpr std::array<std::uint8_t, 5> kGetUidCommand{0xFF, 0xCA, 0x00, 0x00, 0x00};

// Checks a card's answer to kGetUidCommand: it must end with SW 90 00 and carry 4..10 UID
// bytes. On any other answer returns nullopt and sets *err to a message naming what is wrong
// (empty answer, no status word, the refusing status word, the UID length).
std::optional<kiosk::CardUid> uid_from_get_uid_response(std::span<const std::uint8_t> response,
                                                        std::string* err);

}  // namespace drivers
