// The packet work behind TAP offloads (IFF_VNET_HDR), free of I/O and of N-API so that it
// reads as plain functions over bytes:
//  - reading: a TCP super-frame the kernel handed over (gso_type TCPV4/TCPV6) is cut into
//    gso_size segments, each a complete frame with its own lengths, ids, sequence number
//    and checksums (software TSO); a frame whose checksum the kernel left to us
//    (NEEDS_CSUM) is completed.
//  - writing: consecutive segments of one TCP flow are planned into one super-frame, its
//    headers and virtio_net_hdr built so that the kernel takes it as one packet (GRO in
//    userspace).
// Offsets in virtio_net_hdr count from the start of the Ethernet frame, as on a TAP.
#pragma once
#include <cstddef>
#include <cstdint>

#include "wire.h"

// struct virtio_net_hdr and its constants, as in linux/virtio_net.h (which C++ cannot
// include: it names a field `class`). Host byte order: a TAP's default (legacy virtio).
struct virtio_net_hdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == 10, "virtio_net_hdr is 10 bytes");
constexpr uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
constexpr uint8_t VIRTIO_NET_HDR_F_DATA_VALID = 2;
constexpr uint8_t VIRTIO_NET_HDR_GSO_NONE = 0;
constexpr uint8_t VIRTIO_NET_HDR_GSO_TCPV4 = 1;
constexpr uint8_t VIRTIO_NET_HDR_GSO_TCPV6 = 4;
constexpr uint8_t VIRTIO_NET_HDR_GSO_ECN = 0x80;

namespace tap_offload {

// 10 bytes: the header without num_buffers (TUNSETVNETHDRSZ 10).
constexpr size_t kVnetHdrLen = sizeof(virtio_net_hdr);
// The largest frame a TAP with TSO hands over: 64 KB of IP packet, Ethernet and two tags.
constexpr size_t kMaxSuperFrame = wire::kIpMaxPacket + wire::kEthHeaderLen + 2 * wire::kVlanTagLen;
// Ethernet + the largest IPv4 or IPv6 (+ extension) headers we accept + the largest TCP header.
constexpr size_t kMaxHeaders =
    wire::kEthHeaderLen + 2 * wire::kVlanTagLen + wire::kIpMaxHeaderLen + wire::kTcpMaxHeaderLen;

// A TCP super-frame, parsed once and then cut segment by segment.
struct Tso {
  const uint8_t* frame = nullptr;
  size_t len = 0;
  size_t ip = 0;       // offset of the IP header
  size_t l4 = 0;       // offset of the TCP header
  size_t hdr_len = 0;  // l4 + TCP header length: what every segment repeats
  bool v6 = false;
  uint32_t gso_size = 0;
  uint32_t segments = 0;
};

// Parses a super-frame read with header `h`. False: malformed, the frame is dropped.
bool ParseTso(const virtio_net_hdr& h, const uint8_t* frame, size_t len, Tso* out);

// Writes segment `i` of `t` as a complete frame at `dst` (room for `cap` bytes); returns
// its length, or 0 when it does not fit.
size_t WriteSegment(const Tso& t, uint32_t i, uint8_t* dst, size_t cap);

// Completes the checksum the kernel left at csum_start/csum_offset (NEEDS_CSUM, no GSO).
// False: the offsets do not fit the frame.
bool CompleteChecksum(const virtio_net_hdr& h, uint8_t* frame, size_t len);

// A plain Ethernet + IPv4/IPv6 + TCP segment that may be merged with its neighbours.
struct TcpSegment {
  bool v6 = false;
  size_t l4 = 0;       // offset of the TCP header (14 + IP header length)
  size_t hdr_len = 0;  // l4 + TCP header length
  uint32_t payload = 0;
  uint32_t seq = 0;
  uint8_t flags = 0;
};

// Whether the frame is a TCP segment with data that coalescing may take: no VLAN tag,
// IPv4 without options or fragments / IPv6 with TCP right after its header, the IP length
// matching the frame, no SYN/FIN/RST/URG/CWR, and valid IP and TCP checksums (a merged
// frame is trusted by the kernel, so a damaged segment must not hide inside one). A
// caller that has judged the TCP checksum already (inner_checksum.h) passes verify false.
bool ParseTcpSegment(const uint8_t* frame, size_t len, TcpSegment* out, bool verify = true);

// Whether `next` continues the run that starts with `first` and whose data so far ends at
// `next_seq`: same addresses, ports, ACK, options and IP fields; the same flags apart
// from PSH; contiguous sequence numbers.
bool SameFlow(const uint8_t* first, const TcpSegment& a, const uint8_t* next, const TcpSegment& b, uint32_t next_seq,
              uint32_t index);

// Builds the virtio_net_hdr and the headers of the super-frame made of `first` (its
// headers are copied) followed by `total_payload` bytes of data cut at `gso_size`; `psh`
// sets PSH as the last segment had it. Writes the virtio_net_hdr then the headers at
// `out`, and returns how many bytes that is (kVnetHdrLen + a.hdr_len).
size_t BuildCoalescedHeaders(const uint8_t* first, const TcpSegment& a, uint32_t total_payload, uint16_t gso_size,
                             bool psh, uint8_t* out);

// The largest payload a super-frame with these headers may carry (IP length fields).
uint32_t MaxCoalescedPayload(const TcpSegment& a);

}  // namespace tap_offload
