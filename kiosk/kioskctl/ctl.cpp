// kioskctl's shared context (see kioskctl.h): configuration, data directory, Gatekeeper.
#include <fmt/format.h>

#include "db/audit_store.h"
#include "db/data_dir.h"
#include "db/local_store.h"
#include "db/mirror_store.h"
#include "db/session_gates.h"
#include "kiosk/kioskctl/kioskctl.h"

namespace kiosk {

Ctl::Ctl() = default;
Ctl::~Ctl() = default;

const Config& Ctl::config() {
    if (!config_) {
        Config c;
        std::string err;
        if (!config_path.empty() && !load_config(config_path, &c, &err)) throw CtlError(err);
        config_ = std::move(c);
    }
    return *config_;
}

std::string Ctl::data_dir() { return data_dir_flag.empty() ? config().data_dir : data_dir_flag; }

db::DataDir& Ctl::data() {
    if (!data_) {
        std::string err;
        data_ = db::DataDir::open(data_dir(), &err);
        if (!data_) throw CtlError(err);
    }
    return *data_;
}

Gatekeeper& Ctl::gatekeeper() {
    if (!gatekeeper_) {
        auto& d = data();
        gatekeeper_ = std::make_unique<Gatekeeper>(d.mirror(), d.local(), d.audit(), d.secret(),
                                                   config().policy);
    }
    return *gatekeeper_;
}

SessionGate& Ctl::gate() {
    if (!gate_) {
        std::string err;
        gate_ = db::make_session_gate(config(), data(), &err);
        if (!gate_) throw CtlError(err);
    }
    return *gate_;
}

SessionDesk& Ctl::desk() {
    if (!desk_) {
        auto& d = data();
        desk_ = std::make_unique<SessionDesk>(gatekeeper(), d.local(), d.audit(), gate());
    }
    return *desk_;
}

Instant Ctl::at(const std::string& text) {
    if (text.empty()) return now();
    auto t = parse_instant(text);
    if (!t)
        throw CtlError(fmt::format(
            "--at '{}' is not an ISO 8601 time with offset (e.g. 2026-11-24T10:00:00+09:00)",
            printable_excerpt(text)));
    return *t;
}

CardUid Ctl::card(const std::string& text) {
    std::string err;
    auto uid = parse_card_uid(text, &err);
    if (!uid) throw CtlError(err);
    return *uid;
}

}  // namespace kiosk
