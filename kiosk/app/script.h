// Scripted input for the kiosk program (product.md section 6): one input per line, applied in order
// through the same paths as real input, each once the previous one has settled. Parsed in full
// before the kiosk starts, so a bad line is a usage error naming its line before any window opens.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/card_id.h"
#include "kiosk/kiosk_machine.h"

namespace kiosk::app {

struct ScriptStep {
    // Staff: a staff panel control (`staff records`, `staff sync`); WaitSync: `wait sync`, until
    // the staff panel's "sync now" has ended and its report is on screen.
    enum class Kind { Tap, Hold, Remove, Press, Type, Wait, Advance, Shot, Quit, Staff, WaitSync };
    Kind kind = Kind::Quit;
    CardUid uid;         // tap, hold
    Intent intent{};     // press
    std::string text;    // type (escapes resolved: \n Enter, \t, \\), shot (the file)
    StaffInput staff;    // staff: the control's input
    double amount = 0;   // wait: seconds; advance: minutes
    int line = 0;        // where it came from, for messages
    std::string source;  // the line as written
};

// Parses a script. false + *err ("ORIGIN line N: what is wrong: `the line`") on the first bad line.
bool parse_script(std::istream& in, const std::string& origin, std::vector<ScriptStep>* out,
                  std::string* err);
// Reads and parses a script file.
bool load_script(const std::string& path, std::vector<ScriptStep>* out, std::string* err);

}  // namespace kiosk::app
