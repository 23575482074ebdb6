// kioskctl commands for card readers (product.md section 6): `readers` lists the PC/SC readers
// and their state; `watch [--decide] [--reader NAME] [--json]` prints each card event (and, with
// --decide, the audited decision for each card) until SIGINT or SIGTERM.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "drivers/atr.h"
#include "drivers/pcsc_reader.h"
#include "kiosk/kioskctl/kioskctl.h"

namespace kiosk {
namespace {

std::atomic<bool> g_watch_stop{false};

void on_stop_signal(int) { g_watch_stop = true; }

std::string reader_line(const drivers::PcscReaderStatus& r) {
    if (!r.card_present) return fmt::format("{}\tempty", r.name);
    if (r.mute) return fmt::format("{}\tcard (mute: no ATR)", r.name);
    return fmt::format("{}\tcard {}{}\tATR {}", r.name, card_family_name(r.family),
                       r.in_use ? " (in use)" : "", drivers::hex_bytes(r.atr));
}

long long micros(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

void print_event(const CardEvent& e, std::chrono::steady_clock::time_point start, bool as_json) {
    if (as_json) {
        nlohmann::json j = {{"event", std::string(card_event_kind_name(e.kind))},
                            {"reader", e.reader},
                            {"uid", e.uid ? nlohmann::json(e.uid->hex()) : nlohmann::json()},
                            {"family", std::string(card_family_name(e.family))},
                            {"message", e.message},
                            {"detected_us", micros(e.detected_at - start)},
                            {"latency_us", micros(e.queued_at - e.detected_at)}};
        fmt::print("{}\n", j.dump());
    } else {
        std::string what;
        if (e.uid)
            what += fmt::format(" uid={} family={}", e.uid->hex(), card_family_name(e.family));
        if (!e.message.empty()) what += fmt::format(" message=\"{}\"", e.message);
        fmt::print("{:10.3f}s {} reader=\"{}\"{} latency={}us\n",
                   std::chrono::duration<double>(e.detected_at - start).count(),
                   card_event_kind_name(e.kind), e.reader, what,
                   micros(e.queued_at - e.detected_at));
    }
    std::fflush(stdout);
}

}  // namespace

void add_reader_commands(CLI::App& app, Ctl& ctl) {
    // ---- readers ---------------------------------------------------------------------------
    auto* readers = app.add_subcommand("readers", "list card readers and their state");
    readers->callback([] {
        std::vector<drivers::PcscReaderStatus> list;
        std::string err;
        if (!drivers::list_pcsc_readers(&list, &err)) throw CtlError(err);
        if (list.empty()) fmt::print("no reader connected\n");
        for (const auto& r : list) fmt::print("{}\n", reader_line(r));
    });

    // ---- watch -----------------------------------------------------------------------------
    auto* watch = app.add_subcommand("watch", "print card events as cards are tapped");
    static bool w_decide = false, w_json = false;
    static std::string w_reader;
    watch->add_flag("--decide", w_decide, "decide (audited) for each card presented");
    watch->add_option("--reader", w_reader,
                      "substring of the reader name (default: config [reader] name, else the "
                      "first contactless reader)");
    watch->add_flag("--json", w_json, "one JSON object per line");
    watch->callback([&ctl] {
        drivers::PcscReaderConfig rc;
        rc.reader_filter = w_reader.empty() ? ctl.config().reader.name : w_reader;
        rc.apdu_timeout = std::chrono::milliseconds(ctl.config().reader.apdu_timeout_ms);
        if (w_decide) ctl.gatekeeper();  // open the stores now: fail before the first tap
        spdlog::set_default_logger(spdlog::stderr_color_mt("watch"));  // stdout is the events

        g_watch_stop = false;
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);

        const auto start = std::chrono::steady_clock::now();
        CardEventQueue queue;
        drivers::PcscReader reader(rc);
        reader.start(queue);
        while (!g_watch_stop) {
            auto e = queue.wait_pop(std::chrono::milliseconds(100));
            if (!e) continue;
            print_event(*e, start, w_json);
            if (w_decide && e->kind == CardEvent::Kind::CardPresented && e->uid) {
                TapResult r = ctl.gatekeeper().decide_card(*e->uid, ctl.at(""), e->reader);
                if (w_json) {
                    auto j = nlohmann::json::parse(decision_json(r.decision));
                    j["event"] = "decision";
                    if (!r.fault.empty()) j["fault"] = r.fault;
                    fmt::print("{}\n", j.dump());
                } else {
                    fmt::print("    decision {}\n", decision_json(r.decision));
                }
                std::fflush(stdout);
            }
        }
        reader.stop();
    });
}

}  // namespace kiosk
