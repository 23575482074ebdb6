// reader_probe: runs a PcscReader and prints each CardEvent as one JSON line, for the PC/SC
// integration tests and the latency benchmark. Times are microseconds on the steady clock since
// the probe started (detected_mono_us: since the monotonic clock's origin, to compare with other
// processes); latency_us = queued_at - detected_at. Runs until SIGINT/SIGTERM or until
// stdin reaches end of file, then stops the reader and prints {"kind":"stopped",...}.
//   reader_probe [--reader NAME] [--apdu-timeout-ms N] [--relist-ms N]
#include <fmt/format.h>
#include <poll.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "drivers/pcsc_reader.h"

namespace {

std::atomic<bool> g_quit{false};

void on_signal(int) { g_quit = true; }

long long us_since(std::chrono::steady_clock::time_point start,
                   std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    drivers::PcscReaderConfig config;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                fmt::print(stderr, "reader_probe: {} needs a value\n", a);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--reader")
            config.reader_filter = value();
        else if (a == "--apdu-timeout-ms")
            config.apdu_timeout = std::chrono::milliseconds(std::stol(value()));
        else if (a == "--relist-ms")
            config.relist_interval = std::chrono::milliseconds(std::stol(value()));
        else {
            fmt::print(stderr, "reader_probe: unknown argument {}\n", a);
            return 2;
        }
    }
    spdlog::set_default_logger(spdlog::stderr_color_mt("probe"));  // stdout is for JSON
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    const auto start = std::chrono::steady_clock::now();
    kiosk::CardEventQueue queue;
    drivers::PcscReader reader(config);
    reader.start(queue);
    bool stdin_open = true;
    while (!g_quit) {
        if (auto e = queue.wait_pop(std::chrono::milliseconds(50))) {
            nlohmann::json j = {
                {"kind", std::string(kiosk::card_event_kind_name(e->kind))},
                {"reader", e->reader},
                {"family", std::string(kiosk::card_family_name(e->family))},
                {"message", e->message},
                {"detected_us", us_since(start, e->detected_at)},
                {"queued_us", us_since(start, e->queued_at)},
                {"latency_us", us_since(e->detected_at, e->queued_at)},
                // CLOCK_MONOTONIC (steady_clock on Linux), comparable with Python's monotonic.
                {"detected_mono_us", us_since({}, e->detected_at)},
            };
            j["uid"] = e->uid ? nlohmann::json(e->uid->hex()) : nlohmann::json(nullptr);
            std::fputs((j.dump() + "\n").c_str(), stdout);
            std::fflush(stdout);
        }
        if (stdin_open) {
            pollfd p{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
            if (poll(&p, 1, 0) > 0) {
                char buf[256];
                if (read(STDIN_FILENO, buf, sizeof buf) <= 0) break;
            }
        }
    }
    const auto stop_begin = std::chrono::steady_clock::now();
    reader.stop();
    const auto stop_end = std::chrono::steady_clock::now();
    std::fputs(
        (nlohmann::json{{"kind", "stopped"}, {"stop_us", us_since(stop_begin, stop_end)}}.dump() +
         "\n")
            .c_str(),
        stdout);
    std::fflush(stdout);
    return 0;
}
