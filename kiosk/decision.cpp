// Decision codes and the JSON form of a Decision printed by `kioskctl decide --json`.
#include "kiosk/decision.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace kiosk {
namespace {

constexpr std::array<std::pair<Code, std::string_view>, 16> kCodeNames{{
    {Code::CardUnknown, "CARD_UNKNOWN"},
    {Code::CardRevoked, "CARD_REVOKED"},
    {Code::TraineeUnknown, "TRAINEE_UNKNOWN"},
    {Code::CourseMissing, "COURSE_MISSING"},
    {Code::CertLost, "CERT_LOST"},
    {Code::CertNotObtained, "CERT_NOT_OBTAINED"},
    {Code::CertRevoked, "CERT_REVOKED"},
    {Code::RetakeRequired, "RETAKE_REQUIRED"},
    {Code::OrderViolation, "ORDER_VIOLATION"},
    {Code::AlreadyInSession, "ALREADY_IN_SESSION"},
    {Code::MirrorStale, "MIRROR_STALE"},
    {Code::NoSeat, "NO_SEAT"},
    {Code::KioskFault, "KIOSK_FAULT"},
    {Code::RetakeAdvised, "RETAKE_ADVISED"},
    {Code::BriefingNeeded, "BRIEFING_NEEDED"},
    {Code::MirrorAging, "MIRROR_AGING"},
}};

nlohmann::json finding_json(const Finding& f) {
    nlohmann::json j;
    j["code"] = code_name(f.code);
    j["course"] = f.course ? nlohmann::json(course_code(*f.course)) : nlohmann::json(nullptr);
    j["rules"] = f.rules;
    return j;
}

}  // namespace

std::string_view code_name(Code c) {
    for (auto& [code, name] : kCodeNames)
        if (code == c) return name;
    return "UNKNOWN";
}

std::optional<Code> code_from_name(std::string_view name) {
    for (auto& [code, n] : kCodeNames)
        if (n == name) return code;
    return std::nullopt;
}

bool Decision::has_reason(Code c) const {
    return std::any_of(reasons.begin(), reasons.end(), [&](auto& f) { return f.code == c; });
}
bool Decision::has_notice(Code c) const {
    return std::any_of(notices.begin(), notices.end(), [&](auto& f) { return f.code == c; });
}

std::string decision_json(const Decision& d, int indent) {
    nlohmann::json j;
    j["decision"] = d.granted ? "grant" : "deny";
    j["trainee_no"] = d.trainee_no.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.trainee_no);
    j["reasons"] = nlohmann::json::array();
    for (auto& f : d.reasons) j["reasons"].push_back(finding_json(f));
    j["notices"] = nlohmann::json::array();
    for (auto& f : d.notices) j["notices"].push_back(finding_json(f));
    return j.dump(indent);
}

}  // namespace kiosk
