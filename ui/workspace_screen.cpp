// The workspace screen (see workspace_screen.h): examples on the left, the editor with Run/Cancel
// and the query's outcome on the right, the paged results grid below.
#include "ui/workspace_screen.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "imgui.h"
#include "ui/screen_kit.h"

namespace ui {

namespace {

ImVec4 vec(Rgb c) { return ImVec4(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1.0f); }

// A touch-sized button of the workspace (no machine intent): true when pressed.
bool button(ScreenKit& kit, WorkspaceView& view, WorkspaceAction action, const char* id,
            std::string_view label, ImVec2 pos, bool enabled, bool primary = true) {
    const Palette& p = kit.theme.palette;
    const float h = kit.theme.control_px();
    ImGui::PushFont(kit.fonts.body);
    const float w =
        std::max(h * 1.6f, ImGui::CalcTextSize(label.data(), label.data() + label.size()).x +
                               kit.theme.px(8));
    ImGui::PushStyleColor(ImGuiCol_Button, vec(primary ? p.button : p.quiet_button));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, vec(primary ? p.button_hovered : p.quiet_button));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive,
                          vec(primary ? p.button_pressed : p.quiet_button_pressed));
    ImGui::PushStyleColor(ImGuiCol_Text, vec(primary ? p.button_text : p.text));
    if (!enabled) ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 0.35f);
    ImGui::SetCursorScreenPos(pos);
    ImGui::PushID(id);
    const std::string text(label);
    kit.note_text(text);
    const bool pressed = ImGui::Button(text.c_str(), ImVec2(w, h)) && enabled;
    if (enabled) view.controls.push_back({action, -1, pos, ImVec2(pos.x + w, pos.y + h)});
    ImGui::PopID();
    if (!enabled) ImGui::PopStyleVar();
    ImGui::PopStyleColor(4);
    ImGui::PopFont();
    return pressed;
}

std::string outcome_line(const ScreenKit& kit, const kiosk::QueryStatus& st) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", static_cast<double>(st.elapsed.count()) / 1000.0);
    const std::string rows = std::to_string(st.rows);
    switch (st.outcome) {
        case kiosk::QueryOutcome::Running:
            return fill(kit.s[Text::WorkspaceRunning], {{"n", rows}, {"ms", ms}});
        case kiosk::QueryOutcome::Done:
            return fill(kit.s[Text::WorkspaceDone], {{"n", rows}, {"ms", ms}});
        case kiosk::QueryOutcome::Cut:
            return fill(kit.s[Text::WorkspaceCut], {{"n", rows}, {"ms", ms}});
        case kiosk::QueryOutcome::Refused:
            return std::string(kit.s[Text::WorkspaceRefused]);
        case kiosk::QueryOutcome::Failed:
            return std::string(kit.s[Text::WorkspaceFailed]);
        case kiosk::QueryOutcome::TimedOut:
            return fill(kit.s[Text::WorkspaceTimedOut], {{"ms", ms}});
        case kiosk::QueryOutcome::Cancelled:
            return std::string(kit.s[Text::WorkspaceCancelled]);
    }
    return {};
}

}  // namespace

int workspace_page_rows(float grid_height, float row_height) {
    if (!(row_height > 0) || !(grid_height > 0)) return 1;
    // The header takes one row's height; a page is the whole rows under it.
    const float n = grid_height / row_height - 1;
    return std::clamp(static_cast<int>(n), 1, kWorkspaceMaxPageRows);
}

void WorkspaceView::set_sql(const std::string& sql) {
    std::fill(editor.begin(), editor.end(), '\0');
    std::memcpy(editor.data(), sql.data(), std::min(sql.size(), editor.size() - 1));
}

std::string WorkspaceView::sql() const { return std::string(editor.data()); }

const WorkspaceControl* WorkspaceView::control(WorkspaceAction a, int example) const {
    for (const WorkspaceControl& c : controls)
        if (c.action == a && c.example == example) return &c;
    return nullptr;
}

WorkspaceAction draw_workspace(ScreenKit& kit, WorkspaceView& view, kiosk::QueryWorkspace& ws,
                               const std::vector<WorkspaceExample>& examples) {
    WorkspaceAction action = WorkspaceAction::None;
    view.controls.clear();
    const kiosk::QueryStatus st = ws.poll();  // also audits a query that has just ended
    if (st.id != view.shown_id) {
        view.shown_id = st.id;
        view.first_row = 0;
    }
    const float gap = kit.theme.px(Theme::kGapMm);
    const float control = kit.theme.control_px();
    const float top = kit.y, left = kit.left, right = kit.right, bottom = kit.bottom;
    const float split = left + (right - left) * 0.28f;
    const float upper_bottom = top + (bottom - top) * 0.36f;
    ImFont* body = kit.fonts.body;
    // The kiosk's screens never scroll; the examples list does, and a wide grid sideways, with
    // touch-wide bars.
    ImGui::PushStyleVar(ImGuiStyleVar_ScrollbarSize, kit.theme.px(6));

    // Examples: one selectable line each; touching one puts its SQL in the editor.
    ImGui::SetCursorScreenPos(ImVec2(left, top));
    ImGui::PushFont(body);
    kit.note_text(kit.s[Text::WorkspaceExamples]);
    ImGui::TextUnformatted(
        kit.s[Text::WorkspaceExamples].data(),
        kit.s[Text::WorkspaceExamples].data() + kit.s[Text::WorkspaceExamples].size());
    ImGui::SetCursorScreenPos(ImVec2(left, top + body->FontSize * kLine));
    // The kiosk's window has no padding; the list's lines keep clear of its border.
    const ImVec2 list_pad(kit.theme.px(2), kit.theme.px(1.5f));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, list_pad);
    ImGui::BeginChild(
        "examples", ImVec2(split - left - gap, upper_bottom - top - body->FontSize * kLine), true);
    ImGui::PopStyleVar();
    for (size_t i = 0; i < examples.size(); ++i) {
        const std::string& title =
            kit.state.lang == kiosk::Lang::Ja ? examples[i].title_ja : examples[i].title_en;
        kit.note_text(title);
        ImGui::PushID(static_cast<int>(i));
        ImGui::PushTextWrapPos(0.0f);
        const bool picked =
            ImGui::Selectable("##example", false, 0,
                              ImVec2(0, ImGui::CalcTextSize(title.c_str(), nullptr, false,
                                                            ImGui::GetContentRegionAvail().x)
                                            .y));
        if (ImGui::IsItemVisible())
            view.controls.push_back({WorkspaceAction::Example, static_cast<int>(i),
                                     ImGui::GetItemRectMin(), ImGui::GetItemRectMax()});
        if (picked) {
            view.set_sql(examples[i].sql);
            action = WorkspaceAction::Example;
        }
        ImGui::SameLine(0, 0);
        ImGui::SetCursorPosX(list_pad.x);
        ImGui::TextWrapped("%s", title.c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopID();
        ImGui::Separator();
    }
    ImGui::EndChild();

    // The editor, then Run / Cancel and the outcome.
    const float editor_h = upper_bottom - top - control - gap;
    ImGui::SetCursorScreenPos(ImVec2(split, top));
    ImGui::InputTextMultiline("##sql", view.editor.data(), view.editor.size(),
                              ImVec2(right - split, editor_h), ImGuiInputTextFlags_AllowTabInput);
    view.editor_min = ImGui::GetItemRectMin();
    view.editor_max = ImGui::GetItemRectMax();
    // An empty editor says what goes in it (1.86's multi-line input has no hint of its own).
    if (view.editor[0] == '\0' && !ImGui::IsItemActive()) {
        const std::string_view hint = kit.s[Text::WorkspaceEditorHint];
        kit.note_text(hint);
        const ImVec2 pad = ImGui::GetStyle().FramePadding;
        ImGui::GetWindowDrawList()->AddText(
            body, body->FontSize, ImVec2(view.editor_min.x + pad.x, view.editor_min.y + pad.y),
            ImGui::GetColorU32(vec(kit.theme.palette.muted_text)), hint.data(),
            hint.data() + hint.size());
    }
    const float row_y = top + editor_h + gap * 0.5f;
    if (button(kit, view, WorkspaceAction::Run, "run", kit.s[Text::WorkspaceRun],
               ImVec2(split, row_y), !st.running())) {
        std::string err;
        view.submit_error.clear();
        if (ws.submit(view.sql(), &err))
            action = WorkspaceAction::Run;
        else
            view.submit_error = err;
    }
    if (button(kit, view, WorkspaceAction::Cancel, "cancel", kit.s[Text::WorkspaceCancel],
               ImVec2(split + control * 2.2f, row_y), st.running(), false)) {
        ws.cancel();
        action = WorkspaceAction::Cancel;
    }
    float text_x = split + control * 4.6f;
    if (st.id != 0) {
        const std::string line = outcome_line(kit, st);
        kit.note_text(line);
        ImGui::SetCursorScreenPos(ImVec2(text_x, row_y));
        ImGui::PushTextWrapPos(right);
        ImGui::TextUnformatted(line.c_str());
        // SQLite's own message (or why it was refused, or what was cut), as it said it.
        if (!st.message.empty() && st.outcome != kiosk::QueryOutcome::Cancelled) {
            kit.note_text(st.message);
            ImGui::SetCursorScreenPos(ImVec2(text_x, row_y + body->FontSize * kLine));
            ImGui::PushStyleColor(ImGuiCol_Text, vec(st.outcome == kiosk::QueryOutcome::Cut
                                                         ? kit.theme.palette.muted_text
                                                         : kit.theme.palette.refused));
            ImGui::TextUnformatted(st.message.c_str());
            ImGui::PopStyleColor();
        }
        ImGui::PopTextWrapPos();
    }
    if (!view.submit_error.empty()) {
        kit.note_text(view.submit_error);
        ImGui::SetCursorScreenPos(ImVec2(text_x, row_y + body->FontSize * kLine * 2));
        ImGui::TextUnformatted(view.submit_error.c_str());
    }

    // The grid: one page of rows, with the page controls under it. A page is as many rows as
    // the grid shows, so nothing in it scrolls up or down (Next / Previous page instead); only a
    // result wider than the screen scrolls sideways.
    const float grid_top = upper_bottom + gap;
    const float grid_bottom = bottom - control - gap * 0.5f;
    if (!st.columns.empty()) {
        const ImVec2 cell_pad = ImGui::GetStyle().CellPadding;
        const float row_h = body->FontSize + 2 * cell_pad.y + 1;  // + the line between rows
        const float grid_h = grid_bottom - grid_top;
        // A result wider than the grid has a scroll bar under its rows (known from the last frame).
        view.page_rows = workspace_page_rows(
            grid_h - (view.grid_wide ? ImGui::GetStyle().ScrollbarSize : 0), row_h);
        const auto rows = ws.page(view.first_row, view.page_rows);
        ImGui::SetCursorScreenPos(ImVec2(left, grid_top));
        const int ncol = static_cast<int>(std::min<size_t>(st.columns.size(), 64));
        if (ImGui::BeginTable("rows", ncol + 1,
                              ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_ScrollX | ImGuiTableFlags_SizingFixedFit,
                              ImVec2(right - left, grid_h))) {
            ImGui::TableSetupScrollFreeze(1, 1);
            ImGui::TableSetupColumn("#");
            for (int c = 0; c < ncol; ++c) {
                ImGui::TableSetupColumn(st.columns[static_cast<size_t>(c)].c_str());
                kit.note_text(st.columns[static_cast<size_t>(c)]);
            }
            ImGui::TableHeadersRow();
            for (size_t r = 0; r < rows.size(); ++r) {
                ImGui::TableNextRow();
                ImGui::TableSetColumnIndex(0);
                ImGui::Text("%lld", static_cast<long long>(view.first_row +
                                                           static_cast<std::int64_t>(r) + 1));
                for (int c = 0; c < ncol && c < static_cast<int>(rows[r].size()); ++c) {
                    ImGui::TableSetColumnIndex(c + 1);
                    const kiosk::QueryCell& cell = rows[r][static_cast<size_t>(c)];
                    if (cell.type == kiosk::QueryCell::Type::Null) {
                        ImGui::TextDisabled("NULL");
                    } else {
                        // Long values are shown shortened; the whole value is in kioskctl's output.
                        const std::string shown =
                            cell.text.size() > 80 ? cell.text.substr(0, 77) + "..." : cell.text;
                        ImGui::TextUnformatted(shown.c_str());
                        if (r == 0) kit.note_text(shown);
                    }
                }
            }
            view.grid_wide = ImGui::GetScrollMaxX() > 0;  // the table's own scrolling window
            ImGui::EndTable();
        }
        const std::int64_t last = std::min(st.rows, view.first_row + view.page_rows);
        const float page_y = bottom - control;
        if (button(kit, view, WorkspaceAction::PreviousPage, "prev", kit.s[Text::WorkspacePrevious],
                   ImVec2(left, page_y), view.first_row > 0, false)) {
            view.first_row = std::max<std::int64_t>(0, view.first_row - view.page_rows);
            action = WorkspaceAction::PreviousPage;
        }
        if (button(kit, view, WorkspaceAction::NextPage, "next", kit.s[Text::WorkspaceNext],
                   ImVec2(left + control * 2.2f, page_y), last < st.rows, false)) {
            view.first_row += view.page_rows;
            action = WorkspaceAction::NextPage;
        }
        const std::string range = st.rows == 0 ? std::string(kit.s[Text::WorkspaceNoRows])
                                               : fill(kit.s[Text::WorkspaceRange],
                                                      {{"from", std::to_string(view.first_row + 1)},
                                                       {"to", std::to_string(last)},
                                                       {"n", std::to_string(st.rows)}});
        kit.note_text(range);
        ImGui::SetCursorScreenPos(
            ImVec2(left + control * 4.6f, page_y + (control - body->FontSize) / 2));
        ImGui::TextUnformatted(range.c_str());
    }
    ImGui::PopFont();
    ImGui::PopStyleVar();
    kit.y = bottom;
    return action;
}

}  // namespace ui
