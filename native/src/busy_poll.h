// Bounded busy polling (--busy-poll <µs>). A process that sleeps between packets pays a
// wake-up per hop. With a budget set, every packet read keeps the event loop from
// sleeping for that long: an idle handle makes libuv poll its descriptors with a zero
// timeout, round after round, so the next packet is picked up as soon as it is there
// (VPP's adaptive polling, a C forwarder's epoll_wait(0)). Timers, signals and the
// control socket keep their turn, since it is the event loop itself that spins; each
// empty round yields the core to anything else runnable. Once the budget passes without
// a packet, the loop sleeps again.
#pragma once

namespace busy_poll {

// Called by the readers after a readable event that brought packets.
void Activity();

}  // namespace busy_poll
