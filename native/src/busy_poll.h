// Bounded busy polling (--busy-poll <µs>). A process that sleeps between packets pays a
// wake-up per hop; with a budget set, after a readable event has been handled every
// reader is drained again and again until `budget` µs pass without a packet, and only
// then does the event loop go back to sleep (VPP's adaptive polling, the kernel's
// SO_BUSY_POLL). A core is spent so that the next packet does not wait for a wake-up.
// Spinning never holds the event loop for more than kMaxSpinNs at a time, so timers,
// signals and the control socket still get their turn under steady traffic.
#pragma once
#include <napi.h>
#include <cstdint>

namespace busy_poll {

// A reader that can be drained without waiting for its descriptor to become readable.
class Pollable {
 public:
  virtual ~Pollable() = default;
  // Reads what is there now and hands it on; true when something was read.
  virtual bool PollOnce() = 0;
};

void Add(Pollable* p);
void Remove(Pollable* p);
void SetBudgetUs(uint32_t us);
// Called after every readable event: spins while the budget lasts (no-op without one,
// or when already spinning further up the stack).
void After();

// Exports setBusyPoll(µs).
void Init(Napi::Env env, Napi::Object exports);

}  // namespace busy_poll
