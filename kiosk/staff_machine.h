// Staff mode in the kiosk state machine (issue 11): a staff card tapped on any screen opens the PIN
// keypad (over a running session too); a signed-in staff member works the panel's pages; staff
// mode leaves after staff.idle_seconds without input, on a re-tap of the staff card, or on
// "cancel". A staff card never starts a trainee session. Pure, like kiosk_machine: step() calls
// staff_advance() and staff_apply() and the program carries out the StaffEffects on its worker
// (run_staff_effect in staff_view.h).
#pragma once

#include <optional>
#include <vector>

#include "kiosk/kiosk_machine.h"

namespace kiosk {

// Lets time pass in staff mode (the idle timeout). True when something changed.
bool staff_advance(KioskState& s, Now now);

// Applies `e` when staff mode owns it: true/false (changed or not); nullopt when the trainee
// machine handles it as usual.
std::optional<bool> staff_apply(KioskState& s, const Event& e, Now now, std::vector<Effect>& fx);

// When staff mode next needs a Tick (its idle timeout); nullopt outside staff mode.
std::optional<MonoTime> staff_deadline(const KioskState& s);

// The program's DecideCard on the worker asks this first: for a staff card it returns the answer
// to post instead of a decision (no trainee decision is made for a staff card).
std::optional<StaffReply> staff_card_reply(StaffDesk& desk, const DecideCard& d);

}  // namespace kiosk
