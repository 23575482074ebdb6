// The staff screens (see staff_screens.h). Contents: controls and keyboard; the frame (title,
// tabs, message, leave); the PIN keypad; the panel's pages.
#include "ui/staff_screens.h"

#include <fmt/format.h>

#include <algorithm>

#include "kiosk/audit_export.h"
#include "ui/screen_kit.h"

namespace ui {
namespace {

using kiosk::StaffInput;
using kiosk::StaffPage;
using K = kiosk::StaffInput::Kind;

// Staff screens are bilingual labels in one line each: staff read both.
std::string_view tr(const ScreenKit& kit, std::string_view ja, std::string_view en) {
    return kit.state.lang == kiosk::Lang::Ja ? ja : en;
}

ImVec4 vec(Rgb c) { return ImVec4(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1.0f); }

struct Staff {
    ScreenKit& kit;
    StaffFrame* out;
    const kiosk::StaffView& v;
    int next_id = 0;

    void emit(StaffInput in) {
        if (out) out->inputs.push_back(std::move(in));
    }

    // A touch-sized button (>= 20 mm) that reports a StaffInput.
    bool button(ImVec2 pos, std::string_view label, StaffInput in, ImVec2 size = {0, 0},
                bool selected = false) {
        const Theme& th = kit.theme;
        float minimum = th.control_px();
        ImGui::PushFont(kit.fonts.body);
        ImVec2 text = ImGui::CalcTextSize(std::string(label).c_str());
        size.x = std::max({size.x, minimum, text.x + th.px(8)});
        size.y = std::max({size.y, minimum});
        const Palette& p = th.palette;
        ImGui::PushStyleColor(ImGuiCol_Button, vec(selected ? p.button : p.quiet_button));
        ImGui::PushStyleColor(ImGuiCol_ButtonHovered, vec(selected ? p.button : p.quiet_button));
        ImGui::PushStyleColor(ImGuiCol_ButtonActive, vec(p.quiet_button_pressed));
        ImGui::PushStyleColor(ImGuiCol_Text, vec(selected ? p.button_text : p.text));
        ImGui::SetCursorScreenPos(pos);
        std::string id = fmt::format("{}##staff{}", label, next_id++);
        bool pressed = ImGui::Button(id.c_str(), size);
        ImGui::PopStyleColor(4);
        ImGui::PopFont();
        kit.note_text(label);
        if (out)
            out->controls.push_back(
                {in, std::string(label), pos, ImVec2(pos.x + size.x, pos.y + size.y)});
        if (pressed) emit(std::move(in));
        return pressed;
    }
    // A row of buttons from the left edge at the cursor; returns the row's height.
    float row(const std::vector<std::pair<std::string, StaffInput>>& items,
              std::optional<int> selected = std::nullopt) {
        float x = kit.left, h = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            ImGui::PushFont(kit.fonts.body);
            float w = std::max(kit.theme.control_px(),
                               ImGui::CalcTextSize(items[i].first.c_str()).x + kit.theme.px(8));
            ImGui::PopFont();
            if (x + w > kit.right && x > kit.left) {
                x = kit.left;
                kit.y += h + kit.theme.px(2);
            }
            button(ImVec2(x, kit.y), items[i].first, items[i].second, ImVec2(w, 0),
                   selected && *selected == static_cast<int>(i));
            x += w + kit.theme.px(2);
            h = kit.theme.control_px();
        }
        kit.y += h + kit.theme.px(3);
        return h;
    }
    void line(std::string_view t, Rgb colour) { kit.text(t, kit.fonts.body, colour, Align::Left); }
    void line(std::string_view t) { line(t, kit.theme.palette.text); }

    // The keyboard: digits (PIN keypad, trainee numbers), text (reasons), Backspace, Enter.
    void keyboard(bool digits_only, std::string* text, K text_kind) {
        ImGuiIO& io = ImGui::GetIO();
        std::string added;
        for (int i = 0; i < io.InputQueueCharacters.Size; ++i) {
            ImWchar c = io.InputQueueCharacters[i];
            if (digits_only) {
                if (c >= '0' && c <= '9') emit({K::Digit, c - '0', ""});
            } else if (c >= 0x20 && c != 0x7f) {
                unsigned u = c;  // ImWchar is 16-bit in 1.86: at most three UTF-8 bytes
                if (u < 0x80) {
                    added += static_cast<char>(u);
                } else if (u < 0x800) {
                    added += static_cast<char>(0xC0 | (u >> 6));
                    added += static_cast<char>(0x80 | (u & 0x3F));
                } else {
                    added += static_cast<char>(0xE0 | (u >> 12));
                    added += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
                    added += static_cast<char>(0x80 | (u & 0x3F));
                }
            }
        }
        io.InputQueueCharacters.resize(0);
        int bs = io.KeyMap[ImGuiKey_Backspace], enter = io.KeyMap[ImGuiKey_Enter],
            kp_enter = io.KeyMap[ImGuiKey_KeyPadEnter];
        if (bs >= 0 && ImGui::IsKeyPressed(bs)) {
            if (text && !text->empty()) {
                std::string t = *text;
                // Remove one UTF-8 character.
                size_t n = t.size() - 1;
                while (n > 0 && (static_cast<unsigned char>(t[n]) & 0xC0) == 0x80) --n;
                emit({text_kind, 0, t.substr(0, n)});
            } else {
                emit({K::Backspace, 0, ""});
            }
        }
        if (text && !added.empty()) emit({text_kind, 0, *text + added});
        if ((enter >= 0 && ImGui::IsKeyPressed(enter, false)) ||
            (kp_enter >= 0 && ImGui::IsKeyPressed(kp_enter, false)))
            emit({K::Submit, 0, ""});
    }

    // ---- The frame ------------------------------------------------------------------------

    void header() {
        std::string title = v.who
                                ? fmt::format("{} — {}", tr(kit, "スタッフ", "Staff"), v.who->name)
                                : std::string(tr(kit, "スタッフ", "Staff"));
        kit.text(title, kit.name_font(title), kit.theme.palette.text, Align::Left);
        kit.gap(2);
        if (v.who) {
            struct Tab {
                StaffPage page;
                std::string_view ja, en;
            };
            static constexpr Tab tabs[] = {
                {StaffPage::Sessions, "利用中", "Sessions"},
                {StaffPage::Override, "上書き", "Override"},
                {StaffPage::Enrol, "カード登録", "Enrol"},
                {StaffPage::Briefings, "説明待ち", "Briefings"},
                {StaffPage::Records, "記録", "Records"},
                {StaffPage::Audit, "監査", "Audit"},
                {StaffPage::Lookup, "受講者照会", "Look-up"},
            };
            std::vector<std::pair<std::string, StaffInput>> items;
            int selected = -1;
            for (size_t i = 0; i < std::size(tabs); ++i) {
                items.push_back({std::string(tr(kit, tabs[i].ja, tabs[i].en)),
                                 {K::Page, static_cast<int>(tabs[i].page), ""}});
                if (tabs[i].page == v.page) selected = static_cast<int>(i);
            }
            row(items, selected);
        }
        if (!v.message.empty()) {
            bool bad = v.issue != kiosk::StaffIssue::None;
            line(fmt::format("{} {}", bad ? "×" : "✓", v.message),
                 bad ? kit.theme.palette.refused : kit.theme.palette.granted);
            kit.gap(2);
        }
        if (v.pending != 0) line(tr(kit, "処理中…", "Working…"), kit.theme.palette.muted_text);
    }

    // Leave (left), OK (right) and, between them, the override's durations in minutes.
    void footer(bool ok_button, std::string_view ok_label,
                const std::vector<std::pair<std::string, StaffInput>>* middle = nullptr,
                int chosen = -1) {
        float h = kit.theme.control_px() * 1.2f;
        float y = kit.bottom - h - kit.theme.px(4);
        ButtonSpec leave{kiosk::Intent::Cancel, tr(kit, "スタッフ終了", "Leave staff mode"), false};
        kit.button_at(ImVec2(kit.left, y), leave, ImVec2(0, h));
        if (middle && !middle->empty()) {
            float x = kit.left + kit.button_size(leave).x + kit.theme.px(8);
            std::string label(tr(kit, "分:", "min:"));
            ImGui::PushFont(kit.fonts.body);
            ImGui::GetWindowDrawList()->AddText(ImVec2(x, y + h / 2 - ImGui::GetFontSize() / 2),
                                                ImGui::GetColorU32(vec(kit.theme.palette.text)),
                                                label.c_str());
            x += ImGui::CalcTextSize(label.c_str()).x + kit.theme.px(2);
            ImGui::PopFont();
            kit.note_text(label);
            for (size_t i = 0; i < middle->size(); ++i) {
                button(ImVec2(x, y), (*middle)[i].first, (*middle)[i].second, ImVec2(0, h),
                       chosen == static_cast<int>(i));
                x += kit.theme.control_px() + kit.theme.px(2);
            }
        }
        if (ok_button) {
            ButtonSpec ok{kiosk::Intent::Ok, ok_label, true};
            ImVec2 sz = kit.button_size(ok);
            kit.button_at(ImVec2(kit.right - std::max(sz.x, kit.theme.px(60)), y), ok,
                          ImVec2(kit.theme.px(60), h));
        }
    }

    // ---- PIN ------------------------------------------------------------------------------

    void pin() {
        keyboard(true, nullptr, K::Digit);
        kit.text(tr(kit, "スタッフPINを入力してください", "Enter your staff PIN"), kit.fonts.body,
                 kit.theme.palette.text, Align::Center);
        kit.gap(3);
        // One dot per digit typed, never the digits.
        std::string dots;
        for (size_t i = 0; i < v.pin.size(); ++i) dots += "● ";
        if (dots.empty()) dots = "—";
        kit.text(dots, kit.fonts.body, kit.theme.palette.text, Align::Center);
        kit.gap(3);
        float key = kit.theme.px(22), gap = kit.theme.px(2.5);
        float x0 = kit.left + (kit.width() - (3 * key + 2 * gap)) / 2;
        const std::string back(tr(kit, "削除", "Del"));
        const char* labels[12] = {"1", "2", "3", "4",          "5", "6",
                                  "7", "8", "9", back.c_str(), "0", "OK"};
        for (int i = 0; i < 12; ++i) {
            ImVec2 pos(x0 + (i % 3) * (key + gap), kit.y + (i / 3) * (key + gap));
            StaffInput in = i == 9    ? StaffInput{K::Backspace, 0, ""}
                            : i == 10 ? StaffInput{K::Digit, 0, ""}
                            : i == 11 ? StaffInput{K::Submit, 0, ""}
                                      : StaffInput{K::Digit, i + 1, ""};
            button(pos, labels[i], in, ImVec2(key, key));
        }
        kit.y += 4 * key + 3 * gap;
        footer(false, "");
    }

    // ---- Pages ----------------------------------------------------------------------------

    void sessions() {
        if (v.sessions.empty())
            line(tr(kit, "利用中のセッションはありません", "No active sessions"));
        for (auto& s : v.sessions) {
            std::string text =
                fmt::format("#{}  {}  {} → {}{}", s.id, s.trainee_no, kit.clock(s.started_at),
                            kit.clock(s.ends_at),
                            s.override_by.empty() ? "" : "  (override " + s.override_by + ")");
            float y = kit.y;
            line(text);
            button(ImVec2(kit.right - kit.theme.px(40), y),
                   fmt::format("{} #{}", tr(kit, "終了", "End"), s.id), {K::EndSession, s.id, ""},
                   ImVec2(kit.theme.px(40), 0));
            kit.y = std::max(kit.y, y + kit.theme.control_px()) + kit.theme.px(2);
        }
        footer(false, "");
    }

    void override_page() {
        std::string reason = v.reason_text;
        keyboard(false, &reason, K::ReasonText);
        if (v.refused) {
            const kiosk::Decision& d = v.refused->decision;
            line(fmt::format("{} {}", tr(kit, "拒否された受講者:", "Refused:"),
                             d.trainee_no.empty() ? "?" : d.trainee_no));
            for (auto& f : d.reasons)
                line(fmt::format("  {} — {}", kiosk::code_name(f.code), kiosk::finding_sentence(f)),
                     kit.theme.palette.refused);
        }
        kit.gap(2);
        line(tr(kit, "理由を選ぶか入力してください", "Pick a reason and/or type one"));
        std::vector<std::pair<std::string, StaffInput>> reasons;
        for (size_t i = 0; i < v.override_reasons.size(); ++i)
            reasons.push_back({v.override_reasons[i], {K::Reason, static_cast<int>(i), ""}});
        row(reasons, v.reason_index);
        line(fmt::format("{} {}_", tr(kit, "入力:", "Typed:"), v.reason_text));
        std::vector<std::pair<std::string, StaffInput>> mins;
        int chosen = -1;
        for (int m : {15, 30, 60, 90, 120, 180, 240}) {
            if (m > v.override_max_minutes) break;
            if (v.minutes == m) chosen = static_cast<int>(mins.size());
            mins.push_back({std::to_string(m), {K::Minutes, m, ""}});
        }
        footer(true, tr(kit, "上書きして開始", "Override and start"), &mins, chosen);
    }

    void enrol() {
        std::string no = v.trainee_text;
        keyboard(false, &no, K::TraineeText);
        line(v.enrol_card
                 ? tr(kit, "✓ カードを読み取りました", "✓ Card read")
                 : tr(kit, "受講者のカードをタッチしてください", "Tap the trainee's card"));
        line(fmt::format("{} {}_", tr(kit, "受講者番号:", "Trainee number:"), v.trainee_text));
        kit.gap(2);
        row({{std::string(tr(kit, "カードを失効", "Revoke this card")), {K::Revoke, 0, ""}}});
        footer(true, tr(kit, "登録", "Enrol"));
    }

    void briefings() {
        if (v.briefings.empty())
            line(tr(kit, "説明待ちはいません", "Nobody is waiting for a briefing"));
        for (auto& b : v.briefings) {
            float y = kit.y;
            line(fmt::format("{}  ({} {})", b.trainee_no, tr(kit, "待機開始", "since"),
                             kit.clock(b.needed_since)));
            button(ImVec2(kit.right - kit.theme.px(40), y), tr(kit, "説明済み", "Briefed"),
                   {K::Briefed, 0, b.trainee_no}, ImVec2(kit.theme.px(40), 0));
            kit.y = std::max(kit.y, y + kit.theme.control_px()) + kit.theme.px(2);
        }
        footer(false, "");
    }

    void records() {
        if (v.records) {
            const auto& r = *v.records;
            if (r.feed)
                line(fmt::format("{} {}  ·  {} {:.1f} h ({})", tr(kit, "連番", "Sequence"),
                                 r.feed->sequence, tr(kit, "経過", "age"), r.age_hours, r.state));
            else
                line(tr(kit, "記録はまだ同期されていません", "No records synced yet"));
            line(fmt::format("{} {}", tr(kit, "最終同期:", "Last sync:"),
                             r.last_sync_at ? kiosk::format_instant(*r.last_sync_at) : "—"));
            // The last error, unless it is the failed sync's, reported just below.
            const bool reported = v.sync && v.sync->state == kiosk::SyncStatus::State::Failed &&
                                  r.last_error_at && *r.last_error_at >= v.sync->started_at;
            if (!r.last_error.empty() && !reported)
                line(fmt::format("{} {}", tr(kit, "最後のエラー:", "Last error:"), r.last_error),
                     kit.theme.palette.refused);
        }
        kit.gap(2);
        if (v.sync && v.sync->running()) {
            sync_progress(*v.sync);
        } else {
            if (v.sync) sync_report(*v.sync);
            row({{std::string(tr(kit, "今すぐ同期", "Sync now")), {K::SyncNow, 0, ""}}});
        }
        footer(false, "");
    }

    // "Sync now" running: which step of the sync, a bar over its steps, the rows read.
    void sync_progress(const kiosk::SyncStatus& st) {
        struct Phase {
            std::string_view name, ja, en;
        };
        static constexpr Phase phases[] = {
            {"starting", "開始", "starting"},
            {"downloading", "ダウンロード中", "downloading"},
            {"verifying", "署名を確認中", "checking the signature"},
            {"reading", "行を読み込み中", "reading the rows"},
            {"reading again", "変更行を再読込中", "reading the changed rows again"},
            {"comparing", "記録と比較中", "comparing with the records"},
            {"applying", "記録を更新中", "applying"},
        };
        const int n = static_cast<int>(std::size(phases));
        int at = 0;
        for (int i = 0; i < n; ++i)
            if (phases[i].name == st.phase) at = i;
        std::string what = fmt::format("{} {} / {}: {}", tr(kit, "同期中", "Syncing"), at + 1, n,
                                       tr(kit, phases[at].ja, phases[at].en));
        if (st.rows > 0) what += fmt::format("  ({} {})", st.rows, tr(kit, "行", "rows"));
        line(what);
        // A bar over the steps (the rows of a snapshot are not known before it is read).
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float h = kit.theme.px(6), w = kit.width();
        const ImVec2 a(kit.left, kit.y), b(kit.left + w, kit.y + h);
        dl->AddRectFilled(a, b, ImGui::GetColorU32(vec(kit.theme.palette.strip)));
        dl->AddRectFilled(a, ImVec2(kit.left + w * static_cast<float>(at + 1) / n, b.y),
                          ImGui::GetColorU32(vec(kit.theme.palette.button)));
        dl->AddRect(a, b, ImGui::GetColorU32(vec(kit.theme.palette.border)));
        kit.y += h + kit.theme.px(3);
        line(fmt::format("{} {}", tr(kit, "開始:", "Started by"), st.staff_id),
             kit.theme.palette.muted_text);
    }

    // "Sync now" ended: the sequence applied, or the clear reason it was not.
    void sync_report(const kiosk::SyncStatus& st) {
        if (st.state == kiosk::SyncStatus::State::Applied) {
            line(fmt::format("✓ {} {} → {}  ({} {})",
                             tr(kit, "同期しました: 連番", "Synced: sequence"), st.sequence_from,
                             st.sequence_to, st.rows, tr(kit, "行", "rows")),
                 kit.theme.palette.granted);
            line(
                fmt::format("{} {} {} · {} {} · {} {}", tr(kit, "受講者:", "Trainees:"),
                            tr(kit, "追加", "added"), st.trainees_added, tr(kit, "変更", "changed"),
                            st.trainees_changed, tr(kit, "削除", "removed"), st.trainees_removed),
                kit.theme.palette.granted);
        } else if (st.state == kiosk::SyncStatus::State::Failed) {
            line(fmt::format("× {} {}", tr(kit, "同期できませんでした:", "Sync failed:"), st.error),
                 kit.theme.palette.refused);
            line(tr(kit, "記録は変更されていません", "The records were not changed"),
                 kit.theme.palette.refused);
        }
        kit.gap(2);
    }

    void audit() {
        if (v.audit) {
            line(v.audit->chain.ok
                     ? fmt::format("✓ {} ({} rows)",
                                   tr(kit, "監査チェーンは正常", "The audit chain verifies"),
                                   v.audit->chain.rows)
                     : fmt::format("× {}: {}",
                                   tr(kit, "監査チェーン異常", "The audit chain is broken"),
                                   v.audit->chain.problem),
                 v.audit->chain.ok ? kit.theme.palette.granted : kit.theme.palette.refused);
            ImGui::SetCursorScreenPos(ImVec2(kit.left, kit.y));
            float h = kit.bottom - kit.y - kit.theme.control_px() * 1.2f - kit.theme.px(8);
            ImGui::BeginChild("##audit", ImVec2(kit.width(), std::max(h, 10.0f)), true);
            ImGui::PushFont(kit.fonts.body);
            for (auto& e : v.audit->latest) {
                std::string t = fmt::format(
                    "{}  {}  {}  {} {}  {}", e.seq, kiosk::format_instant(e.event.at).substr(5, 14),
                    e.event.actor, e.event.kind, e.event.outcome, kiosk::audit_subject(e.event));
                ImGui::TextUnformatted(t.c_str());
                kit.note_text(t);
            }
            ImGui::PopFont();
            ImGui::EndChild();
            kit.y += std::max(h, 10.0f);
        }
        footer(false, "");
    }

    void lookup() {
        std::string no = v.trainee_text;
        keyboard(false, &no, K::TraineeText);
        line(fmt::format("{} {}_", tr(kit, "受講者番号:", "Trainee number:"), v.trainee_text));
        if (v.lookup) {
            for (auto& s : v.lookup->explanation) line(s);
            for (auto& c : v.lookup->certificates)
                line(fmt::format("  {} {} {} {} — {}", c.counts ? "✓" : "×",
                                 c.certificate.course_code, c.certificate.certificate_no,
                                 kiosk::format_date(c.certificate.completed_on), c.why),
                     c.counts ? kit.theme.palette.text : kit.theme.palette.refused);
        }
        footer(true, tr(kit, "照会", "Look up"));
    }
};

}  // namespace

const std::vector<std::string_view>& staff_strings() {
    static const std::vector<std::string_view> all{
        "スタッフ",
        "Staff",
        "処理中…",
        "Working…",
        "スタッフ終了",
        "Leave staff mode",
        "スタッフPINを入力してください",
        "Enter your staff PIN",
        "利用中のセッションはありません",
        "No active sessions",
        "終了",
        "End",
        "拒否された受講者:",
        "Refused:",
        "理由を選ぶか入力してください",
        "Pick a reason and/or type one",
        "入力:",
        "Typed:",
        "分:",
        "min:",
        "上書きして開始",
        "Override and start",
        "✓ カードを読み取りました",
        "✓ Card read",
        "受講者のカードをタッチしてください",
        "Tap the trainee's card",
        "受講者番号:",
        "Trainee number:",
        "カードを失効",
        "Revoke this card",
        "登録",
        "Enrol",
        "説明待ちはいません",
        "Nobody is waiting for a briefing",
        "待機開始",
        "since",
        "説明済み",
        "Briefed",
        "連番",
        "Sequence",
        "経過",
        "age",
        "記録はまだ同期されていません",
        "No records synced yet",
        "最終同期:",
        "Last sync:",
        "最後のエラー:",
        "Last error:",
        "今すぐ同期",
        "Sync now",
        "同期中",
        "Syncing",
        "開始",
        "starting",
        "ダウンロード中",
        "downloading",
        "署名を確認中",
        "checking the signature",
        "行を読み込み中",
        "reading the rows",
        "変更行を再読込中",
        "reading the changed rows again",
        "記録と比較中",
        "comparing with the records",
        "記録を更新中",
        "applying",
        "行",
        "rows",
        "開始:",
        "Started by",
        "同期しました: 連番",
        "Synced: sequence",
        "同期できませんでした:",
        "Sync failed:",
        "記録は変更されていません",
        "The records were not changed",
        "受講者:",
        "Trainees:",
        "追加",
        "added",
        "変更",
        "changed",
        "removed",
        "監査チェーンは正常",
        "The audit chain verifies",
        "監査チェーン異常",
        "The audit chain is broken",
        "照会",
        "Look up",
        "利用中",
        "Sessions",
        "上書き",
        "Override",
        "カード登録",
        "説明待ち",
        "Briefings",
        "記録",
        "Records",
        "監査",
        "Audit",
        "受講者照会",
        "Look-up",
        "●",
        "—",
        "削除",
        "Del",
        "OK",
        "✓",
        "×",
        "0123456789#→ —:()/",
    };
    return all;
}

const StaffControl* StaffFrame::control(std::string_view label) const {
    for (auto& c : controls)
        if (c.label == label) return &c;
    return nullptr;
}

void draw_staff(ScreenKit& kit) {
    if (!kit.state.staff) return;
    kit.top_bar(true);
    Staff s{kit, kit.ctx.staff, *kit.state.staff};
    s.header();
    switch (s.v.page) {
        case StaffPage::Pin:
            s.pin();
            break;
        case StaffPage::Sessions:
            s.sessions();
            break;
        case StaffPage::Override:
            s.override_page();
            break;
        case StaffPage::Enrol:
            s.enrol();
            break;
        case StaffPage::Briefings:
            s.briefings();
            break;
        case StaffPage::Records:
            s.records();
            break;
        case StaffPage::Audit:
            s.audit();
            break;
        case StaffPage::Lookup:
            s.lookup();
            break;
    }
}

}  // namespace ui
