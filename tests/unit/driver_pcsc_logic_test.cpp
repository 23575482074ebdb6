// Tests of the PC/SC reader's decisions that need no pcscd (drivers/pcsc_reader.h): which reader
// it watches, which error codes mean "daemon gone", and how a state change maps to card events.
// The behaviour against a real pcscd is in tests/integration/test_pcsc_*.py.
#include <PCSC/winscard.h>
#include <gtest/gtest.h>

#include "drivers/pcsc_reader.h"

namespace {

using drivers::card_transition;
using drivers::choose_reader;

TEST(ChooseReader, EmptyFilterTakesFirstReader) {
    EXPECT_EQ(choose_reader({"Virtual PCD 00 00", "Virtual PCD 00 01"}, ""), "Virtual PCD 00 00");
}

TEST(ChooseReader, EmptyFilterSkipsSamSlotAndPrefersPicc) {
    std::vector<std::string> acr1252 = {"ACS ACR1252 1S CL Reader SAM 00 00",
                                        "ACS ACR1252 1S CL Reader PICC 00 01"};
    EXPECT_EQ(choose_reader(acr1252, ""), "ACS ACR1252 1S CL Reader PICC 00 01");
    EXPECT_EQ(choose_reader({"Some Reader SAM 00 00"}, ""), std::nullopt);
}

TEST(ChooseReader, FilterIsASubstring) {
    std::vector<std::string> names = {"Virtual PCD 00 00", "SONY FeliCa RC-S300/P 01 00"};
    EXPECT_EQ(choose_reader(names, "RC-S300"), "SONY FeliCa RC-S300/P 01 00");
    EXPECT_EQ(choose_reader(names, "ACR122"), std::nullopt);
}

TEST(ChooseReader, NoReaders) { EXPECT_EQ(choose_reader({}, ""), std::nullopt); }

TEST(PcscDaemonGone, CodesFromTheFieldNotes) {
    EXPECT_TRUE(drivers::pcsc_daemon_gone(SCARD_F_COMM_ERROR));
    EXPECT_TRUE(drivers::pcsc_daemon_gone(SCARD_W_SECURITY_VIOLATION));
    EXPECT_TRUE(drivers::pcsc_daemon_gone(SCARD_E_NO_SERVICE));
    EXPECT_TRUE(drivers::pcsc_daemon_gone(SCARD_E_SERVICE_STOPPED));
    EXPECT_TRUE(drivers::pcsc_daemon_gone(SCARD_E_INVALID_HANDLE));
    EXPECT_FALSE(drivers::pcsc_daemon_gone(SCARD_E_TIMEOUT));
    EXPECT_FALSE(drivers::pcsc_daemon_gone(SCARD_E_NO_READERS_AVAILABLE));
    EXPECT_FALSE(drivers::pcsc_daemon_gone(SCARD_E_CANCELLED));
}

// pcsc-lite keeps an event counter in the upper 16 bits of a reader's state.
unsigned long state(unsigned long flags, unsigned long counter) { return (counter << 16) | flags; }

TEST(CardTransition, InsertionIsAnArrival) {
    auto t = card_transition(false, state(SCARD_STATE_EMPTY, 0),
                             state(SCARD_STATE_CHANGED | SCARD_STATE_PRESENT, 1));
    EXPECT_TRUE(t.arrived);
    EXPECT_FALSE(t.removed);
    EXPECT_FALSE(t.mute);
}

TEST(CardTransition, CardPresentAtStartUpIsAnArrival) {
    auto t = card_transition(false, SCARD_STATE_UNAWARE,
                             state(SCARD_STATE_CHANGED | SCARD_STATE_PRESENT, 7));
    EXPECT_TRUE(t.arrived);
}

TEST(CardTransition, CardHeldOnTheReaderIsReportedOnce) {
    // Our own connect makes the card INUSE and back: same counter, no new arrival.
    auto t =
        card_transition(true, state(SCARD_STATE_PRESENT, 1),
                        state(SCARD_STATE_CHANGED | SCARD_STATE_PRESENT | SCARD_STATE_INUSE, 1));
    EXPECT_FALSE(t.arrived);
    EXPECT_FALSE(t.removed);
}

TEST(CardTransition, RemovalIsARemoval) {
    auto t = card_transition(true, state(SCARD_STATE_PRESENT, 1),
                             state(SCARD_STATE_CHANGED | SCARD_STATE_EMPTY, 2));
    EXPECT_TRUE(t.removed);
    EXPECT_FALSE(t.arrived);
}

TEST(CardTransition, SecondCardTappedBetweenTwoWaitsIsNotLost) {
    // Removed and another inserted while the reader was busy: still present, counter +2.
    auto t = card_transition(true, state(SCARD_STATE_PRESENT, 1),
                             state(SCARD_STATE_CHANGED | SCARD_STATE_PRESENT, 3));
    EXPECT_TRUE(t.removed);
    EXPECT_TRUE(t.arrived);
}

TEST(CardTransition, MuteCardArrivesMute) {
    auto t =
        card_transition(false, state(SCARD_STATE_EMPTY, 0),
                        state(SCARD_STATE_CHANGED | SCARD_STATE_PRESENT | SCARD_STATE_MUTE, 1));
    EXPECT_TRUE(t.arrived);
    EXPECT_TRUE(t.mute);
}

TEST(CardTransition, EmptyReaderStaysEmpty) {
    auto t = card_transition(false, state(SCARD_STATE_EMPTY, 2),
                             state(SCARD_STATE_CHANGED | SCARD_STATE_EMPTY, 2));
    EXPECT_FALSE(t.arrived);
    EXPECT_FALSE(t.removed);
}

}  // namespace
