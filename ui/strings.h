// Every word the trainee's screens show, one table per language (Japanese, the default, and
// English). Draw code never holds text: it asks the table for a Text id, a refusal or notice
// sentence, or a course name. Templates carry named slots ({name}, {time}, {course}, ...) that
// fill() replaces. Staff and workspace screens add their own ids to the same enum and tables.
#pragma once

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiosk/decision.h"
#include "kiosk/domain.h"
#include "kiosk/kiosk_machine.h"

namespace ui {

enum class Text {
    // Idle and the frame around every trainee screen.
    TapCard,         // the call to tap
    TapCardHint,     // how
    LanguageToggle,  // the other language's name, in that language
    DateFormat,      // {y} {m} {d} {wd} {mon}
    ReaderOk,
    ReaderMissing,
    ReaderStarting,
    RecordsFresh,  // {age}
    RecordsAging,  // {age}
    RecordsOld,    // {age}
    RecordsNever,
    AgeUnderHour,
    AgeHours,   // {n}
    AgeDays,    // {n}
    SeatsFree,  // {free} {seats}
    SeatsNone,  // {seats}
    // Checking.
    Checking,
    // Granted.
    GrantedBanner,
    TraineeName,    // {name}
    TraineeNumber,  // {no}
    SessionEndsAt,  // {time}
    NextStepStart,  // what "Start" does
    NoticesHeading,
    Start,
    // Refused.
    RefusedBanner,
    RulesLabel,  // {rules}
    SitePolicy,  // a reason from the site's policy rather than a rule
    CallStaff,
    StaffCalled,
    ClosesByItself,  // {s}: the result's timeout, a fixed number
    Back,
    // Session.
    SessionBanner,
    TimeLeft,
    WarningBanner,
    WarningHint,
    EndSession,
    Extend,  // {min}
    Extending,
    ExtendRefused,
    ExtendedNotice,  // {time}: shown for a few seconds after a successful extension
    // Why an extension did not happen, by kiosk::ExtendProblem (not the rules' reasons).
    ExtendNoSession,
    ExtendNotYours,
    ExtendEnded,
    ExtendOff,
    ExtendMinutes,
    ExtendLongestTotal,
    ExtendUnavailable,
    ExtendFailed,
    CredentialsIntro,
    CredHost,
    CredPort,
    CredDatabase,
    CredUser,
    CredPassword,
    CredValidUntil,
    SessionEndedBanner,
    SessionEndedExpired,
    SessionEndedByTrainee,
    SessionEndedByStaff,
    // Over a running session (single seat).
    InUseBanner,
    InUseUntil,       // {time}
    TimeLeftOverlay,  // {left} {time}
    Ok,
    // Problems.
    ReaderProblemBanner,
    ReaderProblemBody,
    RecordsStaleBanner,
    RecordsStaleBody,  // {hours}
    TestDbUnavailableBanner,
    TestDbUnavailableBody,
    ProblemDetail,  // {detail}
    // The built-in workspace (ui/workspace_screen.h).
    WorkspaceExamples,
    WorkspaceEditorHint,
    WorkspaceRun,
    WorkspaceCancel,
    WorkspaceRunning,  // {n} {ms}
    WorkspaceDone,     // {n} {ms}
    WorkspaceCut,      // {n} {ms}
    WorkspaceRefused,
    WorkspaceFailed,
    WorkspaceTimedOut,  // {ms}
    WorkspaceCancelled,
    WorkspacePrevious,
    WorkspaceNext,
    WorkspaceRange,  // {from} {to} {n}
    WorkspaceNoRows,
    // Weekdays and months for DateFormat.
    Sun,
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Jan,
    Feb,
    Mar,
    Apr,
    May,
    Jun,
    Jul,
    Aug,
    Sep,
    Oct,
    Nov,
    Dec,
    Count
};

// One language's table. Complete by construction: the constructor refuses a table that misses an
// id (checked by the tests; the program could not start with a gap).
class Strings {
public:
    struct Entry {
        Text id;
        std::string_view text;
    };
    struct FindingEntry {
        kiosk::Code code;
        std::string_view text;  // may hold {course}
    };
    struct CourseEntry {
        kiosk::Course course;
        std::string_view name;
    };

    Strings(kiosk::Lang lang, std::initializer_list<Entry> texts,
            std::initializer_list<FindingEntry> findings,
            std::initializer_list<CourseEntry> courses);

    kiosk::Lang lang() const { return lang_; }
    std::string_view operator[](Text id) const { return texts_[static_cast<int>(id)]; }
    // The plain sentence for a refusal reason or a notice: what happened and what to do next.
    std::string finding(const kiosk::Finding& f) const;
    std::string_view course(kiosk::Course c) const;
    // "TR-2" or "TR-1, TR-8"; the site-policy words when the finding cites no rule.
    std::string rules(const kiosk::Finding& f) const;

    // Everything in the table, for the glyph test and the font builder.
    std::vector<std::string_view> all() const;
    // Ids (or codes) the table lacks; empty for a complete table.
    std::vector<std::string> gaps() const;

private:
    kiosk::Lang lang_;
    std::array<std::string_view, static_cast<int>(Text::Count)> texts_{};
    std::array<std::string_view, 32> findings_{};  // by kiosk::Code
    std::array<std::string_view, 3> courses_{};    // by kiosk::Course
};

const Strings& strings(kiosk::Lang lang);
// Both tables' strings, for the font builder (large sizes hold only these glyphs).
std::vector<std::string_view> all_strings();

// Replaces each {key} of `tmpl` by its value; a slot without a value stays as written.
std::string fill(std::string_view tmpl,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values);

}  // namespace ui
