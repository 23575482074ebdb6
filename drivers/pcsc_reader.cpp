// The PC/SC card reader (see pcsc_reader.h). Contents:
//   1. pure helpers (reader choice, error classes, card transitions)
//   2. bounded card reads (GET UID on a worker thread with its own context)
//   3. the reader thread: context, reader list, status-change wait, recovery
//   4. list_pcsc_readers for kioskctl
#include "drivers/pcsc_reader.h"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "drivers/atr.h"

namespace drivers {

using Clock = std::chrono::steady_clock;
using Kind = kiosk::CardEvent::Kind;

// ---------------------------------------------------------------------------------------------
// 1. Pure helpers
// ---------------------------------------------------------------------------------------------

std::optional<std::string> choose_reader(const std::vector<std::string>& names,
                                         std::string_view filter) {
    if (!filter.empty()) {
        for (const auto& n : names)
            if (n.find(filter) != std::string::npos) return n;
        return std::nullopt;
    }
    for (const auto& n : names)
        if (n.find("PICC") != std::string::npos) return n;
    for (const auto& n : names)
        if (n.find("SAM") == std::string::npos) return n;
    return std::nullopt;
}

bool pcsc_daemon_gone(long rv) {
    switch (static_cast<LONG>(rv)) {
        case SCARD_F_COMM_ERROR:
        case SCARD_W_SECURITY_VIOLATION:
        case SCARD_E_NO_SERVICE:
        case SCARD_E_SERVICE_STOPPED:
        case SCARD_E_INVALID_HANDLE:
            return true;
        default:
            return false;
    }
}

CardTransition card_transition(bool had_card, unsigned long previous_state,
                               unsigned long new_state) {
    CardTransition t;
    const bool present = (new_state & SCARD_STATE_PRESENT) != 0;
    const auto counter = [](unsigned long s) { return (s >> 16) & 0xFFFF; };
    if (had_card && (!present || counter(new_state) != counter(previous_state))) t.removed = true;
    if (present && (!had_card || t.removed)) {
        t.arrived = true;
        t.mute = (new_state & SCARD_STATE_MUTE) != 0;
    }
    return t;
}

namespace {

std::string pcsc_error(LONG rv) {
    return fmt::format("{} (0x{:08X})", pcsc_stringify_error(rv), static_cast<uint32_t>(rv));
}

// Reads a multi-string reader list. SCARD_E_NO_READERS_AVAILABLE gives an empty list and success.
LONG list_readers(SCARDCONTEXT ctx, std::vector<std::string>* names) {
    names->clear();
    DWORD len = 0;
    LONG rv = SCardListReaders(ctx, nullptr, nullptr, &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) return SCARD_S_SUCCESS;
    if (rv != SCARD_S_SUCCESS) return rv;
    std::string buf(len, '\0');
    rv = SCardListReaders(ctx, nullptr, buf.data(), &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) return SCARD_S_SUCCESS;
    if (rv != SCARD_S_SUCCESS) return rv;
    buf.resize(std::min<size_t>(len, buf.size()));
    for (size_t pos = 0; pos < buf.size();) {
        size_t end = buf.find('\0', pos);
        if (end == std::string::npos) end = buf.size();
        if (end > pos) names->push_back(buf.substr(pos, end - pos));
        pos = end + 1;
    }
    return SCARD_S_SUCCESS;
}

// ---------------------------------------------------------------------------------------------
// 2. One card read, bounded in time
// ---------------------------------------------------------------------------------------------

struct UidRead {
    std::optional<kiosk::CardUid> uid;
    std::string error;
    bool card_gone = false;  // the card left during the read
};

// Connects to the card on `reader` through `ctx` and sends GET UID. Blocking: a stuck card or
// driver stops here, so it runs on a UidWorker the reader thread can give up on.
UidRead read_uid(SCARDCONTEXT ctx, const std::string& reader, LONG* rv_out) {
    UidRead out;
    SCARDHANDLE card = 0;
    DWORD protocol = 0;
    LONG rv = SCardConnect(ctx, reader.c_str(), SCARD_SHARE_SHARED,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol);
    *rv_out = rv;
    if (rv != SCARD_S_SUCCESS) {
        out.card_gone = rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD;
        out.error = out.card_gone ? "card was removed before its UID could be read"
                                  : fmt::format("cannot connect to the card: {}", pcsc_error(rv));
        return out;
    }
    const SCARD_IO_REQUEST* pci = protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    BYTE response[258];
    DWORD response_len = sizeof response;
    rv = SCardTransmit(card, pci, kGetUidCommand.data(), kGetUidCommand.size(), nullptr, response,
                       &response_len);
    *rv_out = rv;
    if (rv != SCARD_S_SUCCESS) {
        out.card_gone = rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NOT_TRANSACTED ||
                        rv == SCARD_E_NO_SMARTCARD;
        out.error = out.card_gone
                        ? fmt::format("card was removed during the UID read: {}", pcsc_error(rv))
                        : fmt::format("GET UID failed: {}", pcsc_error(rv));
    } else {
        out.uid = uid_from_get_uid_response(std::span(response, response_len), &out.error);
    }
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    return out;
}

// A thread with a PC/SC context of its own that reads UIDs on request, kept between taps so
// that a tap costs only connect + GET UID (no new context, no new thread in pcscd or here). The
// reader thread waits for each answer at most apdu_timeout; a worker that does not answer in
// time is abandoned (detached, it ends when its call returns) and a fresh one takes its place.
class UidWorker {
public:
    struct Shared {
        std::mutex mu;
        std::condition_variable cv;
        std::string reader;
        bool requested = false;
        bool done = false;
        bool abandoned = false;  // the reader is stopping: stop waiting
        bool quit = false;
        UidRead result;
    };

    UidWorker() : shared_(std::make_shared<Shared>()) {
        thread_ = std::thread([s = shared_] { serve(*s); });
    }
    ~UidWorker() {
        {
            std::lock_guard lock(shared_->mu);
            shared_->quit = true;
        }
        shared_->cv.notify_all();
        if (stuck_)
            thread_.detach();
        else
            thread_.join();
    }

    // Reads the UID of the card on `reader`; nullopt when the worker did not answer within
    // `timeout` (it is then stuck: discard it) or abandon() was called.
    std::optional<UidRead> read(const std::string& reader, std::chrono::milliseconds timeout) {
        std::unique_lock lock(shared_->mu);
        shared_->reader = reader;
        shared_->requested = true;
        shared_->done = false;
        shared_->cv.notify_all();
        shared_->cv.wait_for(lock, timeout, [&] { return shared_->done || shared_->abandoned; });
        if (!shared_->done) {
            stuck_ = true;
            return std::nullopt;
        }
        return std::move(shared_->result);
    }

    // Ends a read() in progress at once (from another thread).
    void abandon() {
        std::lock_guard lock(shared_->mu);
        shared_->abandoned = true;
        shared_->cv.notify_all();
    }

private:
    static void serve(Shared& s) {
        pthread_setname_np(pthread_self(), "pcsc-uid");
        SCARDCONTEXT ctx = 0;
        std::unique_lock lock(s.mu);
        for (;;) {
            s.cv.wait(lock, [&] { return s.requested || s.quit; });
            if (s.quit) break;
            s.requested = false;
            std::string reader = s.reader;
            lock.unlock();
            UidRead r;
            for (int attempt = 0; attempt < 2; ++attempt) {  // once more after pcscd came back
                if (!ctx) {
                    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
                    if (rv != SCARD_S_SUCCESS) {
                        ctx = 0;
                        r = UidRead{};
                        r.error =
                            fmt::format("cannot reach pcscd to read the card: {}", pcsc_error(rv));
                        break;
                    }
                }
                LONG rv = SCARD_S_SUCCESS;
                r = read_uid(ctx, reader, &rv);
                if (!pcsc_daemon_gone(rv)) break;
                SCardReleaseContext(ctx);
                ctx = 0;
            }
            lock.lock();
            s.result = std::move(r);
            s.done = true;
            s.cv.notify_all();
        }
        lock.unlock();
        if (ctx) SCardReleaseContext(ctx);
    }

    std::shared_ptr<Shared> shared_;
    std::thread thread_;
    bool stuck_ = false;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// 3. The reader thread
// ---------------------------------------------------------------------------------------------

struct PcscReader::Impl {
    PcscReaderConfig config;
    kiosk::CardEventQueue* queue = nullptr;
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::atomic<SCARDCONTEXT> wait_context{0};  // the context SCardCancel must reach

    std::mutex mu;  // guards finished, uid_worker (the pointer); with cv for sleeps
    std::condition_variable cv;
    bool finished = false;
    std::unique_ptr<UidWorker> uid_worker;  // created on first use, replaced when stuck

    // What the thread last told the queue about the reader, so each change is reported once.
    enum class Said { Nothing, Available, Lost } said = Said::Nothing;
    std::string said_about;  // reader name (Available) or message (Lost)

    // Thread-local loop state.
    SCARDCONTEXT ctx = 0;
    std::string reader;  // the reader being watched; empty when none
    DWORD reader_state = SCARD_STATE_UNAWARE;
    DWORD pnp_state = 0;
    bool card_present = false;

    void run();
    bool refresh_reader();  // false: pcscd is gone
    void handle_reader(const SCARD_READERSTATE& st, Clock::time_point detected_at);
    void read_card(const SCARD_READERSTATE& st, Clock::time_point detected_at);
    void drop_context(const std::string& why);
    void sleep_for(std::chrono::milliseconds d);

    void push(Kind kind, std::string message = {}, Clock::time_point detected_at = Clock::now(),
              std::optional<kiosk::CardUid> uid = std::nullopt,
              kiosk::CardFamily family = kiosk::CardFamily::Unknown) {
        kiosk::CardEvent e{.kind = kind,
                           .reader = reader,
                           .uid = std::move(uid),
                           .family = family,
                           .message = std::move(message)};
        e.detected_at = detected_at;
        queue->push(std::move(e));
    }
    void say_available() {
        if (said == Said::Available && said_about == reader) return;
        said = Said::Available;
        said_about = reader;
        spdlog::info("card reader '{}' available", reader);
        push(Kind::ReaderAvailable);
    }
    void say_lost(const std::string& message) {
        if (said == Said::Lost && said_about == message) return;
        if (card_present) {
            card_present = false;
            push(Kind::CardRemoved);
        }
        said = Said::Lost;
        said_about = message;
        spdlog::warn("card reader lost: {}", message);
        push(Kind::ReaderLost, message);
    }
};

void PcscReader::Impl::sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, d, [&] { return stopping.load(); });
}

void PcscReader::Impl::drop_context(const std::string& why) {
    if (ctx) SCardReleaseContext(ctx);
    ctx = 0;
    wait_context = 0;
    say_lost(why);
    reader.clear();
    reader_state = SCARD_STATE_UNAWARE;
}

bool PcscReader::Impl::refresh_reader() {
    std::vector<std::string> names;
    LONG rv = list_readers(ctx, &names);
    if (rv != SCARD_S_SUCCESS) {
        if (pcsc_daemon_gone(rv)) return false;
        spdlog::warn("listing card readers failed: {}", pcsc_error(rv));
        names.clear();
    }
    pnp_state = static_cast<DWORD>(names.size()) << 16;
    auto chosen = choose_reader(names, config.reader_filter);
    if (!chosen) {
        std::string why = names.empty()
                              ? "no reader connected"
                              : fmt::format("no reader matching '{}'", config.reader_filter);
        say_lost(why);
        reader.clear();
        reader_state = SCARD_STATE_UNAWARE;
        return true;
    }
    if (*chosen != reader) {
        if (!reader.empty()) say_lost(fmt::format("reader '{}' was unplugged", reader));
        reader = *chosen;
        reader_state = SCARD_STATE_UNAWARE;
        card_present = false;
    }
    say_available();
    return true;
}

void PcscReader::Impl::run() {
    pthread_setname_np(pthread_self(), "pcsc-reader");
    while (!stopping) {
        if (!ctx) {
            SCARDCONTEXT c = 0;
            LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &c);
            if (rv != SCARD_S_SUCCESS) {
                if (!pcsc_daemon_gone(rv))
                    spdlog::warn("SCardEstablishContext failed: {}", pcsc_error(rv));
                say_lost("no reader service");
                sleep_for(config.service_retry);
                continue;
            }
            ctx = c;
            wait_context = c;
            if (!refresh_reader()) {
                drop_context("no reader service");
                sleep_for(config.service_retry);
                continue;
            }
        }
        SCARD_READERSTATE states[2] = {};
        DWORD n = 0;
        if (!reader.empty()) {
            states[n].szReader = reader.c_str();
            states[n].dwCurrentState = reader_state;
            ++n;
        }
        states[n].szReader = "\\\\?PnP?\\Notification";
        states[n].dwCurrentState = pnp_state;
        ++n;
        if (stopping) break;
        LONG rv = SCardGetStatusChange(ctx, static_cast<DWORD>(config.relist_interval.count()),
                                       states, n);
        const auto detected_at = Clock::now();
        if (stopping) break;
        if (rv == SCARD_S_SUCCESS) {
            const SCARD_READERSTATE& pnp = states[n - 1];
            bool relist = (pnp.dwEventState & SCARD_STATE_CHANGED) != 0;
            if (!reader.empty()) {
                const SCARD_READERSTATE& st = states[0];
                if (st.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE))
                    relist = true;
                else
                    handle_reader(st, detected_at);
            }
            if (relist && !refresh_reader()) drop_context("no reader service");
        } else if (rv == SCARD_E_TIMEOUT || rv == SCARD_E_UNKNOWN_READER ||
                   rv == SCARD_E_READER_UNAVAILABLE || rv == SCARD_E_NO_READERS_AVAILABLE) {
            if (!refresh_reader()) drop_context("no reader service");
        } else if (rv == SCARD_E_CANCELLED) {
            continue;
        } else if (pcsc_daemon_gone(rv)) {
            spdlog::warn("pcscd went away: {}", pcsc_error(rv));
            drop_context("no reader service");
        } else {
            spdlog::warn("SCardGetStatusChange failed: {}", pcsc_error(rv));
            sleep_for(config.service_retry);
            if (!refresh_reader()) drop_context("no reader service");
        }
        if (!ctx) sleep_for(config.service_retry);
    }
    if (ctx) SCardReleaseContext(ctx);
    ctx = 0;
    wait_context = 0;
}

void PcscReader::Impl::handle_reader(const SCARD_READERSTATE& st, Clock::time_point detected_at) {
    const DWORD previous = reader_state;
    reader_state = st.dwEventState & ~SCARD_STATE_CHANGED;
    if (!(st.dwEventState & SCARD_STATE_CHANGED)) return;
    const CardTransition t = card_transition(card_present, previous, st.dwEventState);
    if (t.removed) {
        card_present = false;
        push(Kind::CardRemoved, {}, detected_at);
    }
    if (!t.arrived) return;
    card_present = true;
    if (t.mute) {
        spdlog::warn("card on '{}' does not answer (mute)", reader);
        push(Kind::ReaderError, "card does not answer (no ATR)", detected_at);
        return;
    }
    read_card(st, detected_at);
}

void PcscReader::Impl::read_card(const SCARD_READERSTATE& st, Clock::time_point detected_at) {
    const auto atr = std::span<const std::uint8_t>(st.rgbAtr, std::min<DWORD>(st.cbAtr, 36));
    const kiosk::CardFamily family = card_family_from_atr(atr);
    if (family == kiosk::CardFamily::Unknown) {
        std::string msg = fmt::format("unrecognised card (ATR {})", hex_bytes(atr));
        spdlog::warn("card on '{}': {}", reader, msg);
        push(Kind::ReaderError, std::move(msg), detected_at);
        return;
    }
    UidWorker* worker;
    {
        std::lock_guard lock(mu);
        if (!uid_worker) uid_worker = std::make_unique<UidWorker>();
        worker = uid_worker.get();
    }
    std::optional<UidRead> answer = worker->read(reader, config.apdu_timeout);
    if (!answer) {
        std::lock_guard lock(mu);
        uid_worker.reset();  // stuck in a driver call: detach it, use a fresh one next time
    }
    const bool answered = answer.has_value();
    UidRead result = answered ? std::move(*answer) : UidRead{};
    if (stopping) return;
    if (!answered) {
        std::string msg =
            fmt::format("card did not answer GET UID within {} ms", config.apdu_timeout.count());
        spdlog::warn("card on '{}': {}", reader, msg);
        push(Kind::ReaderError, std::move(msg), detected_at, std::nullopt, family);
        return;
    }
    if (!result.uid) {
        spdlog::warn("card on '{}': {}", reader, result.error);
        push(Kind::ReaderError, std::move(result.error), detected_at, std::nullopt, family);
        return;
    }
    push(Kind::CardPresented, {}, detected_at, std::move(result.uid), family);
}

PcscReader::PcscReader(PcscReaderConfig config) : impl_(std::make_unique<Impl>()) {
    impl_->config = std::move(config);
}

PcscReader::~PcscReader() { stop(); }

void PcscReader::start(kiosk::CardEventQueue& queue) {
    if (impl_->thread.joinable()) return;
    impl_->queue = &queue;
    impl_->stopping = false;
    impl_->finished = false;
    impl_->thread = std::thread([impl = impl_.get()] {
        impl->run();
        std::lock_guard lock(impl->mu);
        impl->finished = true;
        impl->cv.notify_all();
    });
}

void PcscReader::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->stopping = true;
    {
        std::lock_guard lock(impl_->mu);
        impl_->cv.notify_all();
        if (impl_->uid_worker) impl_->uid_worker->abandon();
    }
    // SCardCancel only ends a wait in progress, so repeat it until the thread is out.
    for (;;) {
        if (SCARDCONTEXT c = impl_->wait_context.load()) SCardCancel(c);
        std::unique_lock lock(impl_->mu);
        if (impl_->cv.wait_for(lock, std::chrono::milliseconds(20),
                               [&] { return impl_->finished; }))
            break;
    }
    impl_->thread.join();
    impl_->uid_worker.reset();
}

// ---------------------------------------------------------------------------------------------
// 4. Listing readers
// ---------------------------------------------------------------------------------------------

bool list_pcsc_readers(std::vector<PcscReaderStatus>* readers, std::string* err) {
    readers->clear();
    SCARDCONTEXT ctx = 0;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    if (rv != SCARD_S_SUCCESS) {
        if (err) *err = fmt::format("no reader service: {}", pcsc_error(rv));
        return false;
    }
    std::vector<std::string> names;
    rv = list_readers(ctx, &names);
    if (rv == SCARD_S_SUCCESS && !names.empty()) {
        std::vector<SCARD_READERSTATE> states(names.size());
        for (size_t i = 0; i < names.size(); ++i) {
            states[i].szReader = names[i].c_str();
            states[i].dwCurrentState = SCARD_STATE_UNAWARE;
        }
        rv = SCardGetStatusChange(ctx, 0, states.data(), static_cast<DWORD>(states.size()));
        if (rv == SCARD_S_SUCCESS) {
            for (size_t i = 0; i < names.size(); ++i) {
                const auto& st = states[i];
                PcscReaderStatus s;
                s.name = names[i];
                s.card_present = st.dwEventState & SCARD_STATE_PRESENT;
                s.in_use = st.dwEventState & SCARD_STATE_INUSE;
                s.mute = st.dwEventState & SCARD_STATE_MUTE;
                if (s.card_present) {
                    s.atr.assign(st.rgbAtr, st.rgbAtr + std::min<DWORD>(st.cbAtr, 36));
                    s.family = card_family_from_atr(s.atr);
                }
                readers->push_back(std::move(s));
            }
        }
    }
    SCardReleaseContext(ctx);
    if (rv != SCARD_S_SUCCESS) {
        if (err)
            *err = pcsc_daemon_gone(rv)
                       ? fmt::format("no reader service: {}", pcsc_error(rv))
                       : fmt::format("cannot read reader states: {}", pcsc_error(rv));
        return false;
    }
    return true;
}

}  // namespace drivers
