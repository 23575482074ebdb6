// The kiosk's script language (see script.h): tap, hold, remove, press, type, wait, advance, shot,
// quit, staff, wait sync; blank lines and `#` comments are ignored.
#include "kiosk/app/script.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kiosk::app {
namespace {

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

std::optional<double> number(const std::string& s) {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0)
        return std::nullopt;
    return v;
}

std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            char c = s[++i];
            out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
        } else {
            out += s[i];
        }
    }
    return out;
}

// `staff WORD`: a page of the staff panel (sessions, enrol, briefings, records, audit, lookup,
// override) or `sync` (the Records page's "sync now").
std::optional<StaffInput> staff_word(const std::string& w) {
    if (w == "sync") return StaffInput{StaffInput::Kind::SyncNow, 0, ""};
    for (StaffPage p :
         {StaffPage::Sessions, StaffPage::Override, StaffPage::Enrol, StaffPage::Briefings,
          StaffPage::Records, StaffPage::Audit, StaffPage::Lookup})
        if (staff_page_name(p) == w)
            return StaffInput{StaffInput::Kind::Page, static_cast<std::int64_t>(p), ""};
    return std::nullopt;
}

std::string intent_list() {
    std::string all;
    for (Intent i : all_intents()) all += (all.empty() ? "" : ", ") + std::string(intent_name(i));
    return all;
}

}  // namespace

bool parse_script(std::istream& in, const std::string& origin, std::vector<ScriptStep>* out,
                  std::string* err) {
    std::vector<ScriptStep> steps;
    std::string raw;
    int n = 0;
    while (std::getline(in, raw)) {
        ++n;
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        size_t sp = line.find_first_of(" \t");
        std::string word = line.substr(0, sp);
        std::string arg = sp == std::string::npos ? "" : trim(line.substr(sp));
        auto bad = [&](const std::string& why) {
            *err = fmt::format("script {} line {}: {}: `{}`", origin, n, why, line);
            return false;
        };
        ScriptStep s;
        s.line = n;
        s.source = line;
        using K = ScriptStep::Kind;
        if (word == "tap" || word == "hold") {
            s.kind = word == "tap" ? K::Tap : K::Hold;
            if (arg.empty()) return bad(word + " needs a card UID (hex)");
            std::string e;
            auto uid = parse_card_uid(arg, &e);
            if (!uid) return bad(e);
            s.uid = *uid;
        } else if (word == "remove" || word == "quit") {
            s.kind = word == "remove" ? K::Remove : K::Quit;
            if (!arg.empty()) return bad(word + " takes no argument");
        } else if (word == "press") {
            s.kind = K::Press;
            auto i = intent_from_name(arg);
            if (!i)
                return bad(fmt::format("unknown intent '{}' (intents: {})", arg, intent_list()));
            s.intent = *i;
        } else if (word == "type") {
            s.kind = K::Type;
            if (arg.empty()) return bad("type needs text");
            s.text = unescape(arg);
        } else if (word == "staff") {
            s.kind = K::Staff;
            auto in = staff_word(arg);
            if (!in)
                return bad(
                    "staff needs a page (sessions, override, enrol, briefings, records, audit, "
                    "lookup) or sync");
            s.staff = *in;
        } else if (word == "wait" && arg == "sync") {
            s.kind = K::WaitSync;
        } else if (word == "wait" || word == "advance") {
            s.kind = word == "wait" ? K::Wait : K::Advance;
            auto v = number(arg);
            if (!v)
                return bad(word + (word == "wait" ? " needs SECONDS" : " needs MINUTES") +
                           " (a number, not negative)");
            if (word == "wait" && *v > 3600) return bad("wait is at most 3600 seconds");
            if (word == "advance" && *v > 7 * 24 * 60)
                return bad("advance is at most 10080 minutes");
            s.amount = *v;
        } else if (word == "shot") {
            s.kind = K::Shot;
            if (arg.empty()) return bad("shot needs a FILE (.png)");
            s.text = arg;
        } else {
            return bad(
                fmt::format("unknown line (expected tap UID, hold UID, remove, press INTENT, "
                            "type TEXT, wait SECONDS, wait sync, staff PAGE|sync, advance "
                            "MINUTES, shot FILE or quit)"));
        }
        steps.push_back(std::move(s));
    }
    *out = std::move(steps);
    return true;
}

bool load_script(const std::string& path, std::vector<ScriptStep>* out, std::string* err) {
    std::ifstream f(path);
    if (!f) {
        *err = fmt::format("script {}: cannot be read: {}", path, std::strerror(errno));
        return false;
    }
    return parse_script(f, path, out, err);
}

}  // namespace kiosk::app
