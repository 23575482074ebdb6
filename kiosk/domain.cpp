// Feed vocabulary of the domain types (see domain.h).
#include "kiosk/domain.h"

namespace kiosk {

Course course_from_feed(std::string_view code) {
    if (code == "OVERVIEW" || code == "概論" || code == "MID-NET研修（概論）")
        return Course::Overview;
    if (code == "SYSOP" || code == "システム操作" || code == "MID-NET研修（システム操作）")
        return Course::SystemOperation;
    return Course::Other;
}

std::string_view course_code(Course c) {
    switch (c) {
        case Course::Overview:
            return "OVERVIEW";
        case Course::SystemOperation:
            return "SYSOP";
        case Course::Other:
            break;
    }
    return "OTHER";
}

std::optional<CertificateStatus> status_from_feed(std::string_view t) {
    if (t == "issued" || t == "交付") return CertificateStatus::Issued;
    if (t == "lost" || t == "紛失") return CertificateStatus::Lost;
    if (t == "not_obtained" || t == "未取得") return CertificateStatus::NotObtained;
    if (t == "revoked" || t == "取消") return CertificateStatus::Revoked;
    return std::nullopt;
}

std::string_view status_code(CertificateStatus s) {
    switch (s) {
        case CertificateStatus::Issued:
            return "issued";
        case CertificateStatus::Lost:
            return "lost";
        case CertificateStatus::NotObtained:
            return "not_obtained";
        case CertificateStatus::Revoked:
            return "revoked";
    }
    return "issued";
}

Revision revision_2024() {
    using namespace std::chrono;
    return Revision{.id = "2024-01-31",
                    .effective_on = Date{2024y / January / 31d},
                    .new_users_from = Date{2024y / February / 1d},
                    .excludes_new_users = true,
                    .advise_existing = true,
                    .rule = "TR-6"};
}

bool valid_trainee_no(std::string_view no) {
    if (no.empty() || no.size() > 32) return false;
    for (char c : no) {
        bool ok =
            (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace kiosk
