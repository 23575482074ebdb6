// Staff mode's part of the kiosk state and its events and effects (issue 11): what the staff
// screens (ui/staff_*) draw, what they return (StaffInput), what the worker is asked to do
// (StaffEffect, carried out by run_staff_effect over the StaffDesk) and its answer (StaffReply).
// Plain values; the transitions are in kiosk/staff_machine.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/card_id.h"
#include "kiosk/gatekeeper.h"
#include "kiosk/staff_desk.h"

namespace kiosk {

enum class StaffPage {
    Pin,        // the PIN keypad (digits never shown)
    Sessions,   // active sessions, "end"
    Override,   // the last refused tap: reason (list and/or typed), duration
    Enrol,      // tap a trainee card, type the trainee number; revoke
    Briefings,  // the TR-9 queue, "briefed"
    Records,    // last sync, sequence, age, last error, "sync now"
    Audit,      // the latest 50 events, whether the chain verifies
    Lookup,     // a trainee by number: decision and certificates in plain words
};
std::string_view staff_page_name(StaffPage p);  // "pin", "sessions", ...

// What a staff screen's control or the keyboard asked for.
struct StaffInput {
    enum class Kind {
        Digit,        // number = 0..9 (keypad or keyboard)
        Backspace,    // removes the last digit / character
        Submit,       // OK / Enter: the PIN, the override, the enrolment, the look-up
        Leave,        // leave staff mode
        Page,         // number = StaffPage
        EndSession,   // number = session id
        Reason,       // number = index into staff.override_reasons (-1: none)
        ReasonText,   // text = the typed reason
        Minutes,      // number = override duration
        TraineeText,  // text = the trainee number typed (enrol, look-up)
        Revoke,       // revoke the card tapped on the enrol page
        Briefed,      // text = trainee number
        SyncNow,
    };
    Kind kind = Kind::Submit;
    std::int64_t number = 0;
    std::string text;
    bool operator==(const StaffInput&) const = default;
};

// Staff mode's state inside KioskState (present while staff mode is open).
struct StaffView {
    StaffPage page = StaffPage::Pin;
    CardUid card;     // the staff card that opened staff mode (a re-tap leaves)
    std::string pin;  // typed so far; never drawn (the keypad shows dots), cleared on submit/leave
    std::optional<StaffSignIn> who;           // set once signed in
    std::uint64_t pending = 0;                // a StaffEffect on the worker (0: none)
    std::chrono::milliseconds last_input{0};  // monotonic: staff mode leaves idle_timeout after
    std::chrono::milliseconds idle_timeout{60'000};
    // The outcome of the last action, shown on the page (issue None + message: a success).
    StaffIssue issue = StaffIssue::None;
    std::string message;
    int tries_left = 0;
    std::optional<Instant> locked_until;

    // The refused tap staff mode opened over (for "override"), if any.
    std::optional<TapResult> refused;
    CardUid refused_card;

    // Forms.
    int reason_index = -1;
    std::string reason_text;
    int minutes = 0;  // 0: the default (sessions.minutes, capped)
    std::optional<CardUid> enrol_card;
    std::string trainee_text;

    // What the worker loaded for the page.
    std::vector<SessionRecord> sessions;
    std::vector<BriefingItem> briefings;
    std::optional<RecordsSummary> records;
    std::optional<AuditView> audit;
    std::optional<TraineeLookup> lookup;
    std::optional<SyncStatus> sync;             // "sync now": running (phase, rows) or its report
    std::vector<std::string> override_reasons;  // the configured list, for the screen
    int override_max_minutes = 120;
};

// ---- Events and effects ------------------------------------------------------------------------

struct StaffInputEvent {
    StaffInput input;
};

struct StaffEffect {
    enum class Kind {
        Classify,  // is this card a staff card? (a tap while the single seat is in use)
        SignIn,
        Load,  // the page's lists (sessions, briefings, records, audit)
        Override,
        EndSession,
        Enrol,
        Revoke,
        Briefed,
        SyncNow,
        Lookup,
    };
    std::uint64_t request = 0;
    Kind kind = Kind::Load;
    CardUid card;        // Classify, SignIn (the staff card), Enrol/Revoke (the trainee card)
    std::string reader;  // Classify
    std::string pin;     // SignIn
    std::optional<StaffSignIn> who;
    StaffPage page = StaffPage::Sessions;  // Load
    OverrideRequest override_request;
    std::int64_t session_id = 0;
    std::string trainee_no;  // Enrol, Briefed, Lookup
};

struct StaffReply {
    std::uint64_t request = 0;
    StaffEffect::Kind kind = StaffEffect::Kind::Load;
    CardRole role = CardRole::Unknown;  // Classify
    CardUid card;                       // Classify
    std::string reader;                 // Classify
    SignInResult sign_in;
    OverrideResult override_result;
    StaffOutcome outcome;  // every other action
    std::string error;     // a list could not be loaded
    // Lists, reloaded after every action.
    std::vector<SessionRecord> sessions;
    std::vector<BriefingItem> briefings;
    std::optional<RecordsSummary> records;
    std::optional<AuditView> audit;
    std::optional<TraineeLookup> lookup;
    std::optional<SyncStatus> sync;  // SyncNow, Load: where "sync now" is
};

// "Sync now" moved on (a phase, rows read, the end): posted by the sync's thread, any time.
struct StaffSyncUpdate {
    SyncStatus status;
};

// Carries out one effect on the worker thread. `sync` starts "sync now" (nullptr: refused).
StaffReply run_staff_effect(StaffDesk& desk, const StaffEffect& e, Instant now, RecordsSync* sync);

}  // namespace kiosk
