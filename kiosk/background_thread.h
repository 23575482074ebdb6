// Background work on the kiosk (the staff's "sync now") yields the CPU to the kiosk's decisions
// and frames at once, not at the next scheduler tick: see run_as_background_thread().
#pragma once

namespace kiosk {

// Puts the calling thread under the idle scheduling policy (SCHED_IDLE): a thread of the normal
// policy that wakes (a decision whose audit write has completed, a frame) preempts it at once.
// At nice 10, or under SCHED_BATCH, such a thread waits for the next tick instead (4 ms at
// HZ=250) when the background work holds every core: measured as the decisions' p99 during a
// sync going from about 1 ms to 4 ms (README, "Decisions during a sync"). Threads it starts
// afterwards inherit the policy. Lowering one's own policy needs no privilege; if the kernel
// refuses all the same, the thread runs at nice 10 and false is returned.
bool run_as_background_thread();

}  // namespace kiosk
