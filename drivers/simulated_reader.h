// SimulatedReader: a card reader without hardware, for `kiosk --demo` and for tests. Cards are
// tapped and removed by calls (tap/remove) or by a script of lines such as
//     tap 04A1B2C3D4E5F6          # family guessed from the length: 8 bytes FeliCa, else 14443-A
//     tap 0123456789ABCDEF felica # family given: a (ISO14443A), b (ISO14443B) or felica
//     wait 200                    # milliseconds
//     remove
// It reports ReaderAvailable at start, like a PC/SC reader that is plugged in.
#pragma once

#include <atomic>
#include <condition_variable>
#include <istream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kiosk/card_reader.h"

namespace drivers {

// One line of a reader script.
struct ReaderScriptStep {
    enum class Action { Tap, Remove, Wait };
    Action action;
    kiosk::CardUid uid;  // Tap
    kiosk::CardFamily family = kiosk::CardFamily::Iso14443A;
    std::chrono::milliseconds wait{0};  // Wait
    int line = 0;                       // where it came from, for messages
};

// Parses a reader script (see above; `#` starts a comment, blank lines are skipped). On a bad
// line returns false and sets *err to "line N: what is wrong".
bool parse_reader_script(std::istream& in, std::vector<ReaderScriptStep>* steps, std::string* err);
// Reads and parses a script file; on failure *err names the file and what is wrong.
bool load_reader_script(const std::string& path, std::vector<ReaderScriptStep>* steps,
                        std::string* err);

class SimulatedReader : public kiosk::CardReader {
public:
    static constexpr const char* kDefaultName = "Simulated Reader";

    // Manual mode: cards arrive through tap() / remove().
    explicit SimulatedReader(std::string name = kDefaultName);
    // Script mode: start() plays the steps on the reader's thread, then keeps the reader present.
    SimulatedReader(std::vector<ReaderScriptStep> script, std::string name = kDefaultName);
    ~SimulatedReader() override;

    void start(kiosk::CardEventQueue& queue) override;
    void stop() override;

    // Presents a card (removing the one on the reader first, if any). Returns false, doing
    // nothing, when the reader is not started.
    bool tap(const kiosk::CardUid& uid, kiosk::CardFamily family = kiosk::CardFamily::Iso14443A);
    // Takes the card away. Returns false when no card is on the reader or it is not started.
    bool remove();

    // True once a script has been played to its end (always false in manual mode).
    bool script_done() const { return script_done_; }

private:
    void push(kiosk::CardEvent::Kind kind, std::optional<kiosk::CardUid> uid = std::nullopt,
              kiosk::CardFamily family = kiosk::CardFamily::Unknown);
    void play_script();

    std::string name_;
    std::vector<ReaderScriptStep> script_;
    std::mutex mu_;
    std::condition_variable cv_;
    kiosk::CardEventQueue* queue_ = nullptr;  // set while started
    bool card_present_ = false;
    bool stopping_ = false;
    std::atomic<bool> script_done_{false};
    std::thread thread_;
};

}  // namespace drivers
