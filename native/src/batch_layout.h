// The one batch layout between TypeScript and the addon, defined here once: the addon
// exports these word indices and region sizes as `layout` and src/io/batch-layout.ts
// reads them from there.
// A batch is an Int32Array of `stride` words per entry.
//
// Datagrams: VXLAN datagrams (header onward) in the packet region. One entry may be a
// train of equal-sized datagrams laid back to back (a segmented TCP super-frame, or what
// UDP GRO coalesced); `segment` is the size of each, the last may be shorter. Used for
// what the TAP reader hands the engine (the VXLAN header room still blank), what the
// engine hands the underlay to send, and what the underlay received.
// Frames: Ethernet frames to write to the TAP, and what the writer found of each one's inner
// TCP/UDP checksum (tap/inner_checksum.h; the values are exported as `checksum`).
// Region: how the packet regions the entries point into are cut (bytes, not words).
#pragma once
#include <napi.h>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include "wire.h"
#include "tap/inner_checksum.h"

#define VXT_DATAGRAM_FIELDS(X)                                                    \
  X(offset)  /* the first datagram's first byte in the region */                 \
  X(length)  /* bytes of the whole train */                                      \
  X(segment) /* bytes per datagram; equals length for a single datagram */       \
  X(port)    /* the remote's UDP port: destination on send, source on receive */ \
  X(srcPort) /* send: our UDP source port (one of the bound ones) */             \
  X(ttl)     /* send: outer TTL / hop limit */                                   \
  X(tos)     /* outer TOS / traffic class, ECN included */                       \
  X(df)      /* send: 1 to set DF (IPv4), to refuse fragmenting (IPv6) */        \
  X(toGroup) /* receive: 1 when sent to a multicast group (not to us) */         \
  X(flowLabel) /* send: the outer IPv6 flow label (20 bits) */                   \
  X(pathMtu) /* send, written by the sender: the path MTU that refused it */    \
  X(address) /* 4 words: the remote's 16-byte address, IPv4 mapped */

#define VXT_FRAME_FIELDS(X)                                                  \
  X(offset)                                                                  \
  X(length)   /* negated by the writer when the TAP refused the frame */     \
  X(checksum) /* written by the writer: the inner checksum's verdict (below) */

namespace layout {

#define VXT_ENUM(name) name,
namespace datagram {
enum : uint32_t { VXT_DATAGRAM_FIELDS(VXT_ENUM) stride = address + 4 };
}
namespace frame {
enum : uint32_t { VXT_FRAME_FIELDS(VXT_ENUM) stride };
}
#undef VXT_ENUM

namespace region {
// Bytes in front of each frame a TAP reader lays in its region, left for the VXLAN header.
constexpr uint32_t kHeadroom = wire::kVxlanHeaderLen;
// Every entry a reader lays in its region starts at a multiple of this.
constexpr uint32_t kAlignment = 8;
// A UDP receive slot with GRO: the largest train the kernel coalesces fits it.
constexpr uint32_t kGroSlotBytes = 65536;
static_assert(kGroSlotBytes >= wire::kIpMaxPacket, "a GRO slot holds a whole coalesced train");
}  // namespace region

// { name: word index, ..., stride } for one layout; { name: bytes } for the region.
inline Napi::Object Fields(Napi::Env env, std::initializer_list<std::pair<const char*, uint32_t>> fields) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& [name, index] : fields) o.Set(name, Napi::Number::New(env, index));
  return o;
}

inline Napi::Object Export(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
#define VXT_PAIR(name) {#name, datagram::name},
  o.Set("datagram", Fields(env, {VXT_DATAGRAM_FIELDS(VXT_PAIR){"stride", datagram::stride}}));
#undef VXT_PAIR
#define VXT_PAIR(name) {#name, frame::name},
  o.Set("frame", Fields(env, {VXT_FRAME_FIELDS(VXT_PAIR){"stride", frame::stride}}));
#undef VXT_PAIR
  o.Set("checksum", Fields(env, {{"none", inner_checksum::kNone}, {"verified", inner_checksum::kVerified},
                                 {"completed", inner_checksum::kCompleted}, {"bad", inner_checksum::kBad}}));
  o.Set("region", Fields(env, {{"headroom", region::kHeadroom}, {"alignment", region::kAlignment}, {"groSlotBytes", region::kGroSlotBytes}}));
  return o;
}

}  // namespace layout
