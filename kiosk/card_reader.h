// CardReader: the kiosk's only trainee-facing input device, in the core's terms. A reader runs
// on its own thread and delivers CardEvents to a thread-safe CardEventQueue; the queue calls a
// wake-up callback (the UI uses glfwPostEmptyEvent) after each push.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "kiosk/card_id.h"

namespace kiosk {

enum class CardFamily { Iso14443A, Iso14443B, Felica, Unknown };
std::string_view card_family_name(CardFamily f);

struct CardEvent {
    enum class Kind { ReaderAvailable, ReaderLost, CardPresented, CardRemoved, ReaderError };
    Kind kind;
    std::string reader;          // reader name
    std::optional<CardUid> uid;  // CardPresented
    CardFamily family = CardFamily::Unknown;
    std::string message;  // ReaderError / ReaderLost: what went wrong
    std::chrono::steady_clock::time_point detected_at{};  // when the reader saw the change
    std::chrono::steady_clock::time_point queued_at{};    // when it was pushed
};
std::string_view card_event_kind_name(CardEvent::Kind k);

// Multi-producer, single-consumer queue of card events.
class CardEventQueue {
public:
    using WakeUp = std::function<void()>;
    void set_wake_up(WakeUp fn);
    void push(CardEvent e);
    std::optional<CardEvent> try_pop();
    // Blocks until an event arrives or the timeout passes.
    std::optional<CardEvent> wait_pop(std::chrono::milliseconds timeout);

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<CardEvent> events_;
    WakeUp wake_up_;
};

// A card reader. start() spawns the reader's thread; stop() ends it promptly and joins.
class CardReader {
public:
    virtual ~CardReader() = default;
    virtual void start(CardEventQueue& queue) = 0;
    virtual void stop() = 0;
};

}  // namespace kiosk
