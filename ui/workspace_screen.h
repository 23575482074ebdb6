// The built-in workspace on screen (issue 10, product.md section 7): an SQL editor, the sample
// queries that teach, Run and Cancel, the outcome (row count, duration, cut, SQLite's message) and
// a paged results grid. It drives a kiosk::QueryWorkspace directly (submit, poll, page, cancel:
// the query runs on the workspace's worker, never on this thread); it draws inside the area the
// session screen gives it and emits no machine intents of its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgui.h"
#include "kiosk/query_workspace.h"

namespace ui {

class ScreenKit;

// A sample query as the screen offers it (db::sample_queries(), converted by the program).
struct WorkspaceExample {
    std::string title_ja, title_en, sql;
};

// A page of the results grid is as many rows as the grid shows (workspace_page_rows), at most
// this many.
inline constexpr int kWorkspaceMaxPageRows = 100;
inline constexpr std::size_t kWorkspaceEditorBytes = 16 * 1024;

// How many rows a grid GRID_HEIGHT pixels high shows under its header, ROW_HEIGHT each: 1 to
// kWorkspaceMaxPageRows.
int workspace_page_rows(float grid_height, float row_height);

// What the user did this frame (besides typing), for tests and scripts.
enum class WorkspaceAction { None, Run, Cancel, Example, PreviousPage, NextPage };

// A workspace control as drawn this frame (screen pixels), for touches in tests and scripts.
struct WorkspaceControl {
    WorkspaceAction action;
    int example = -1;  // for Example: which one
    ImVec2 min, max;
    ImVec2 center() const { return ImVec2((min.x + max.x) / 2, (min.y + max.y) / 2); }
};

// The screen's own state (what is typed, which page is shown), kept by the program for the
// session's life and dropped with it (the screen is cleared at the end).
struct WorkspaceView {
    WorkspaceView() : editor(kWorkspaceEditorBytes, '\0') {}
    std::vector<char> editor;                // the SQL editor's text, NUL-terminated
    std::int64_t first_row = 0;              // the grid's first row
    int page_rows = 1;                       // rows in a page: as many as the grid shows
    bool grid_wide = false;                  // the last frame's grid scrolled sideways
    std::uint64_t shown_id = 0;              // the query the grid shows (a new one starts at row 0)
    std::string submit_error;                // why the last Run was not started
    std::vector<WorkspaceControl> controls;  // this frame's, enabled ones only
    ImVec2 editor_min, editor_max;           // where the editor was drawn this frame
    const WorkspaceControl* control(WorkspaceAction a, int example = -1) const;
    void set_sql(const std::string& sql);
    std::string sql() const;
};

// What the program hands the session screen each frame for the built-in workspace
// (UiContext::workspace; nullptr: no workspace, e.g. with the PostgreSQL gate). The program opens
// the workspace when its session starts and closes it (and drops the view) when it ends.
struct WorkspaceFrame {
    kiosk::QueryWorkspace* workspace = nullptr;  // nullptr: it could not be opened (see problem)
    WorkspaceView* view = nullptr;
    const std::vector<WorkspaceExample>* examples = nullptr;
    std::string problem;                             // shown instead of the workspace
    WorkspaceAction action = WorkspaceAction::None;  // out: what was touched this frame
};

// Draws the workspace in kit's content area from kit.y down to kit.bottom and acts on `ws`.
WorkspaceAction draw_workspace(ScreenKit& kit, WorkspaceView& view, kiosk::QueryWorkspace& ws,
                               const std::vector<WorkspaceExample>& examples);

}  // namespace ui
