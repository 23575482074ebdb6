// PcscReader: the kiosk's card reader on PC/SC (pcsc-lite's pcscd). One thread waits in
// SCardGetStatusChange on the chosen reader and on "\\?PnP?\Notification" (no polling), reads the
// UID of each card that arrives with GET UID (FF CA 00 00 00) and queues CardEvents. It survives
// pcscd going away and coming back, readers being unplugged, and cards that answer badly or not
// at all; each of those becomes a ReaderLost / ReaderError event, never a stopped reader.
// PC/SC headers stay inside pcsc_reader.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/card_reader.h"

namespace drivers {

struct PcscReaderConfig {
    // Substring of the reader's name to use. Empty: the first contactless (PICC) reader, skipping
    // SAM slots.
    std::string reader_filter;
    // Longest a card may take, from connect to the end of GET UID, before it is given up as stuck.
    std::chrono::milliseconds apdu_timeout{1000};
    // SCardGetStatusChange timeout; the reader list is re-read after each (pcsc-lite 1.9.9 only
    // signals a plugged reader if the count changes during a wait).
    std::chrono::milliseconds relist_interval{1000};
    // How often to try to reach pcscd again while it is gone.
    std::chrono::milliseconds service_retry{250};
};

// The reader to watch among `names` (as SCardListReaders gives them): the first whose name
// contains `filter`, or with an empty filter the first that is not a SAM slot, preferring one
// named PICC. nullopt when none fits.
std::optional<std::string> choose_reader(const std::vector<std::string>& names,
                                         std::string_view filter);

// True for the PC/SC codes that mean pcscd went away (or was never there): the context must be
// released and established again. See field-notes.md "PC/SC without hardware".
bool pcsc_daemon_gone(long rv);

// What a change of a reader's PC/SC event state means for the card on it. `had_card` is whether a
// card was on the reader after `previous_state`; states carry pcsc-lite's event counter (bumped
// on every insertion and removal) in their upper 16 bits, so a card removed and another inserted
// between two waits is seen as a new card even though "present" never went away.
struct CardTransition {
    bool removed = false;  // the card that was there is gone
    bool arrived = false;  // a card (new, or first seen) is there now
    bool mute = false;     // it arrived but does not answer (no ATR)
};
CardTransition card_transition(bool had_card, unsigned long previous_state,
                               unsigned long new_state);

class PcscReader : public kiosk::CardReader {
public:
    explicit PcscReader(PcscReaderConfig config = {});
    ~PcscReader() override;
    PcscReader(const PcscReader&) = delete;
    PcscReader& operator=(const PcscReader&) = delete;

    // Spawns the reader thread (named "pcsc-reader"). Its first event is ReaderAvailable, or
    // ReaderLost "no reader service" / "no reader connected" when there is nothing to read yet.
    void start(kiosk::CardEventQueue& queue) override;
    // Cancels the wait (SCardCancel), joins the thread. A card read stuck in a driver is left to
    // finish on its own detached thread.
    void stop() override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A reader as pcscd sees it right now (for `kioskctl readers`).
struct PcscReaderStatus {
    std::string name;
    bool card_present = false;
    bool in_use = false;
    bool mute = false;
    std::vector<std::uint8_t> atr;
    kiosk::CardFamily family = kiosk::CardFamily::Unknown;
};

// Lists the readers pcscd knows, each with its current state (empty when none is plugged in).
// Returns false when pcscd cannot be reached, with *err starting "no reader service".
bool list_pcsc_readers(std::vector<PcscReaderStatus>* readers, std::string* err);

}  // namespace drivers
