// Demo material: a deterministic synthetic snapshot whose named trainees exercise every decision
// code, plus bulk trainees for load (250,000 trainees ≈ 1,000,000 certificates), and the demo cards
// that go with them. Pure: writes CSV text to a stream; signing and enrolment are kioskctl's job.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace kiosk {

// A demo card: its UID, whom it is bound to and what a tap should show at the demo time.
struct DemoCard {
    std::string uid;         // hex
    std::string trainee_no;  // empty: not enrolled
    std::string label;       // what it demonstrates
    std::string expect;      // e.g. "grant", "deny ORDER_VIOLATION"
    enum class Setup {
        Enrolled,
        NotEnrolled,
        Revoked,
        BoundToUnknownTrainee,
        InSession
    } setup = Setup::Enrolled;
};

const std::vector<DemoCard>& demo_cards();

// Writes the demo snapshot CSV (UTF-8, product.md section 3 header): the scenario trainees first,
// then `bulk_trainees` synthetic ones (4 rows each on average). Returns the number of rows.
std::int64_t write_demo_feed(std::ostream& out, std::int64_t bulk_trainees);

}  // namespace kiosk
