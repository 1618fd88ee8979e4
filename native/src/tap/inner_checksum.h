// The inner TCP/UDP checksum of a decapsulated frame, checked before it goes to the TAP.
// Plain functions over bytes, free of I/O and of N-API.
//
// A kernel VTEP on the same host whose underlay device offers transmit checksum offload
// (a veth by default) sends its inner TCP and UDP checksums unfinished: the field holds
// only the folded pseudo-header sum, and the kernel receiver trusts the packet's
// "checksum partial" state, which a UDP socket never sees. Such a packet fails the check
// and holds exactly that sum; a packet damaged on the way almost never does. So:
//   verified   the checksum checks out;
//   unfinished it fails and holds the folded pseudo-header sum: to be completed;
//   bad        it fails otherwise: delivered as it is, for the receiving stack to drop,
//              as the kernel's would;
//   none       not checked: not TCP/UDP, a fragment, a UDP datagram without a checksum,
//              IPv6 extension headers, or lengths that do not fit the frame (the
//              receiving stack judges those itself).
#pragma once
#include <cstddef>
#include <cstdint>

namespace inner_checksum {

// What the TAP writers report per frame (the frame layout's `checksum` word).
enum Verdict : int32_t { kNone = 0, kVerified = 1, kCompleted = 2, kBad = 3 };

struct Result {
  Verdict verdict = kNone;  // kCompleted means "unfinished" until Complete() or NEEDS_CSUM
  uint16_t start = 0;       // where the TCP/UDP header starts in the frame (csum_start)
  uint16_t offset = 0;      // where its checksum field sits from there (csum_offset)
  uint32_t end = 0;         // where the TCP/UDP data ends in the frame
};

// Checks the frame's inner TCP/UDP checksum; an unfinished one is reported as kCompleted
// with the offsets that complete it.
Result Check(const uint8_t* frame, size_t len);

// Finishes the checksum of a frame Check() found unfinished, in place.
void Complete(uint8_t* frame, const Result& r);

}  // namespace inner_checksum
