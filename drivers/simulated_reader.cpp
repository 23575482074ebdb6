// The simulated card reader and its script format (see simulated_reader.h).
#include "drivers/simulated_reader.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace drivers {

namespace {

bool parse_family(std::string_view word, kiosk::CardFamily* family) {
    if (word == "a" || word == "A" || word == "iso14443a")
        *family = kiosk::CardFamily::Iso14443A;
    else if (word == "b" || word == "B" || word == "iso14443b")
        *family = kiosk::CardFamily::Iso14443B;
    else if (word == "felica" || word == "FeliCa")
        *family = kiosk::CardFamily::Felica;
    else
        return false;
    return true;
}

}  // namespace

bool parse_reader_script(std::istream& in, std::vector<ReaderScriptStep>* steps, std::string* err) {
    std::string raw;
    int line_no = 0;
    auto fail = [&](const std::string& what) {
        if (err) *err = fmt::format("line {}: {}", line_no, what);
        return false;
    };
    while (std::getline(in, raw)) {
        ++line_no;
        if (auto hash = raw.find('#'); hash != std::string::npos) raw.resize(hash);
        std::istringstream words(raw);
        std::string verb;
        if (!(words >> verb)) continue;
        ReaderScriptStep step{};
        step.line = line_no;
        std::vector<std::string> args;
        for (std::string w; words >> w;) args.push_back(w);
        if (verb == "tap") {
            if (args.empty() || args.size() > 2)
                return fail("'tap' needs a card UID in hex and optionally a family (a, b, felica)");
            std::string uid_err;
            auto uid = kiosk::parse_card_uid(args[0], &uid_err);
            if (!uid) return fail(uid_err);
            step.action = ReaderScriptStep::Action::Tap;
            step.uid = *uid;
            step.family =
                uid->bytes.size() == 8 ? kiosk::CardFamily::Felica : kiosk::CardFamily::Iso14443A;
            if (args.size() == 2 && !parse_family(args[1], &step.family))
                return fail(
                    fmt::format("unknown card family '{}' (expected a, b or felica)", args[1]));
        } else if (verb == "remove") {
            if (!args.empty()) return fail("'remove' takes no argument");
            step.action = ReaderScriptStep::Action::Remove;
        } else if (verb == "wait") {
            long ms = -1;
            if (args.size() == 1) {
                auto [p, ec] = std::from_chars(args[0].data(), args[0].data() + args[0].size(), ms);
                if (ec != std::errc{} || p != args[0].data() + args[0].size()) ms = -1;
            }
            if (ms < 0) return fail("'wait' needs a number of milliseconds");
            step.action = ReaderScriptStep::Action::Wait;
            step.wait = std::chrono::milliseconds(ms);
        } else {
            return fail(fmt::format("unknown command '{}' (expected tap, remove or wait)", verb));
        }
        steps->push_back(std::move(step));
    }
    return true;
}

bool load_reader_script(const std::string& path, std::vector<ReaderScriptStep>* steps,
                        std::string* err) {
    std::ifstream in(path);
    if (!in) {
        if (err) *err = fmt::format("cannot open reader script {}", path);
        return false;
    }
    std::string parse_err;
    if (!parse_reader_script(in, steps, &parse_err)) {
        if (err) *err = fmt::format("reader script {}: {}", path, parse_err);
        return false;
    }
    return true;
}

SimulatedReader::SimulatedReader(std::string name) : name_(std::move(name)) {}

SimulatedReader::SimulatedReader(std::vector<ReaderScriptStep> script, std::string name)
    : name_(std::move(name)), script_(std::move(script)) {}

SimulatedReader::~SimulatedReader() { stop(); }

void SimulatedReader::start(kiosk::CardEventQueue& queue) {
    {
        std::lock_guard lock(mu_);
        if (queue_) return;  // already started
        queue_ = &queue;
        stopping_ = false;
        card_present_ = false;
    }
    push(kiosk::CardEvent::Kind::ReaderAvailable);
    if (!script_.empty()) thread_ = std::thread([this] { play_script(); });
}

void SimulatedReader::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    queue_ = nullptr;
}

bool SimulatedReader::tap(const kiosk::CardUid& uid, kiosk::CardFamily family) {
    {
        std::lock_guard lock(mu_);
        if (!queue_ || stopping_) return false;
    }
    remove();
    push(kiosk::CardEvent::Kind::CardPresented, uid, family);
    std::lock_guard lock(mu_);
    card_present_ = true;
    return true;
}

bool SimulatedReader::remove() {
    {
        std::lock_guard lock(mu_);
        if (!queue_ || !card_present_) return false;
        card_present_ = false;
    }
    push(kiosk::CardEvent::Kind::CardRemoved);
    return true;
}

void SimulatedReader::push(kiosk::CardEvent::Kind kind, std::optional<kiosk::CardUid> uid,
                           kiosk::CardFamily family) {
    kiosk::CardEventQueue* queue;
    {
        std::lock_guard lock(mu_);
        queue = queue_;
    }
    if (!queue) return;
    kiosk::CardEvent e{};
    e.kind = kind;
    e.reader = name_;
    e.uid = std::move(uid);
    e.family = family;
    e.detected_at = std::chrono::steady_clock::now();
    queue->push(std::move(e));
}

void SimulatedReader::play_script() {
    for (const auto& step : script_) {
        switch (step.action) {
            case ReaderScriptStep::Action::Tap:
                tap(step.uid, step.family);
                break;
            case ReaderScriptStep::Action::Remove:
                remove();
                break;
            case ReaderScriptStep::Action::Wait: {
                std::unique_lock lock(mu_);
                cv_.wait_for(lock, step.wait, [&] { return stopping_; });
                break;
            }
        }
        std::lock_guard lock(mu_);
        if (stopping_) return;
    }
    script_done_ = true;
}

}  // namespace drivers
