// The card event queue and the names of card events (see card_reader.h).
#include "kiosk/card_reader.h"

namespace kiosk {

std::string_view card_family_name(CardFamily f) {
    switch (f) {
        case CardFamily::Iso14443A:
            return "ISO14443A";
        case CardFamily::Iso14443B:
            return "ISO14443B";
        case CardFamily::Felica:
            return "FeliCa";
        case CardFamily::Unknown:
            break;
    }
    return "unknown";
}

std::string_view card_event_kind_name(CardEvent::Kind k) {
    switch (k) {
        case CardEvent::Kind::ReaderAvailable:
            return "reader-available";
        case CardEvent::Kind::ReaderLost:
            return "reader-lost";
        case CardEvent::Kind::CardPresented:
            return "card-presented";
        case CardEvent::Kind::CardRemoved:
            return "card-removed";
        case CardEvent::Kind::ReaderError:
            return "reader-error";
    }
    return "unknown";
}

void CardEventQueue::set_wake_up(WakeUp fn) {
    std::lock_guard lock(mu_);
    wake_up_ = std::move(fn);
}

void CardEventQueue::push(CardEvent e) {
    WakeUp wake;
    {
        std::lock_guard lock(mu_);
        e.queued_at = std::chrono::steady_clock::now();
        events_.push_back(std::move(e));
        wake = wake_up_;
    }
    cv_.notify_one();
    if (wake) wake();
}

std::optional<CardEvent> CardEventQueue::try_pop() {
    std::lock_guard lock(mu_);
    if (events_.empty()) return std::nullopt;
    CardEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
}

std::optional<CardEvent> CardEventQueue::wait_pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
    CardEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
}

}  // namespace kiosk
