// Tests of the PostgreSQL gate's role names (db/pg_gate.h, issue 10): one role per trainee number,
// taken as is, so two numbers never share a role (`Q-7` and `q-7` are two people), and a number
// that could not be a safe role name gets no role at all. No server is needed: the gate connects
// lazily. That the server keeps the case is shown against a real PostgreSQL in
// tests/integration/test_pg_gate.py (role `trainee_D-0001`, a quoted identifier).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "db/pg_gate.h"

namespace {

using kiosk::db::PgGate;
using kiosk::db::PgGateOptions;

std::unique_ptr<PgGate> gate(const std::string& prefix = "trainee_") {
    PgGateOptions o;
    o.pg.admin_conninfo = "host=/nonexistent-socket-dir dbname=midnet user=kiosk_gate";
    o.pg.database = "midnet";
    o.pg.role_prefix = prefix;
    o.kiosk_id = "test-kiosk";
    std::string err;
    auto g = PgGate::create(o, &err);
    EXPECT_TRUE(g) << err;
    return g;
}

TEST(PgGateRoles, TraineeNumbersThatDifferOnlyInCaseGetTwoRoles) {
    auto g = gate();
    ASSERT_TRUE(g);
    EXPECT_EQ(g->role_for("Q-7"), std::optional<std::string>("trainee_Q-7"));
    EXPECT_EQ(g->role_for("q-7"), std::optional<std::string>("trainee_q-7"));
    EXPECT_NE(g->role_for("Q-7"), g->role_for("q-7"));
    // Every valid number maps to its own role: prefix + number is one-to-one.
    std::set<std::string> roles;
    const std::string nos[] = {"Q-7",  "q-7", "Q7", "q7",     "Q--7",   "-Q-7",
                               "Q-7-", "7",   "07", "D-0001", "d-0001", "D-001"};
    for (const std::string& no : nos) {
        auto role = g->role_for(no);
        ASSERT_TRUE(role) << no;
        EXPECT_TRUE(roles.insert(*role).second) << no << " shares a role";
    }
}

TEST(PgGateRoles, ANumberThatCouldNotBeASafeRoleNameGetsNoRole) {
    auto g = gate();
    ASSERT_TRUE(g);
    for (const std::string& no :
         {std::string(), std::string("Q 7"), std::string("Q'7"), std::string("Q\"7"),
          std::string("q;DROP ROLE kiosk_gate"), std::string("Q\\7"), std::string("Q_7"),
          std::string("Q.7"), std::string("Q\n7"),
          std::string("Q\0"
                      "7",
                      3),
          std::string("Ｑ-7"), std::string("Q-7\xC3\xA9"), std::string(33, 'Q')})
        EXPECT_FALSE(g->role_for(no)) << "a role for '" << no << "'";
}

TEST(PgGateRoles, TheLongestNumberFitsPostgresRoleNames) {
    // PostgreSQL truncates names to 63 bytes; a truncated name could make two trainees share a
    // role. The longest prefix the config allows (31) plus the longest number (32) fits.
    auto g = gate(std::string(31, 'p'));
    ASSERT_TRUE(g);
    const std::string a = std::string(31, 'A') + "1", b = std::string(31, 'A') + "2";
    ASSERT_TRUE(g->role_for(a));
    EXPECT_LE(g->role_for(a)->size(), 63u);
    EXPECT_NE(g->role_for(a), g->role_for(b));
}

}  // namespace
