#include "tap_offload.h"
#include "checksum.h"

#include <algorithm>
#include <cstring>

namespace tap_offload {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint16_t kEthVlan = 0x8100;
constexpr uint16_t kEthQinQ = 0x88a8;
constexpr uint8_t kProtoTcp = 6;
constexpr size_t kEthLen = 14;

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20, kCwr = 0x80;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
void Put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, v >> 16);
  Put16(p + 2, v);
}

// Sum of the pseudo-header of the TCP segment whose IP header is at `iph`.
uint64_t TcpPseudo(const uint8_t* iph, bool v6, uint32_t l4_len) {
  return v6 ? csum::Pseudo(iph + 8, 16, kProtoTcp, l4_len) : csum::Pseudo(iph + 12, 4, kProtoTcp, l4_len);
}

// Rewrites an IPv4 header's checksum (ihl words).
void SetIpv4Checksum(uint8_t* iph) {
  iph[10] = iph[11] = 0;
  csum::Store(iph + 10, csum::Add(iph, (iph[0] & 0xf) * 4u, 0));
}

}  // namespace

bool ParseTso(const virtio_net_hdr& h, const uint8_t* frame, size_t len, Tso* out) {
  int type = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
  if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6) return false;
  bool v6 = type == VIRTIO_NET_HDR_GSO_TCPV6;
  if (len < kEthLen || len > kMaxSuperFrame) return false;
  // The kernel puts VLAN tags of bridged frames into the frame: step over them.
  size_t ip = kEthLen;
  uint16_t ether = Be16(frame + 12);
  while (ether == kEthVlan || ether == kEthQinQ) {
    if (ip + 4 > len) return false;
    ether = Be16(frame + ip + 2);
    ip += 4;
  }
  if (ether != (v6 ? kEthIpv6 : kEthIpv4)) return false;
  size_t min_ip = v6 ? 40 : 20;
  if (ip + min_ip > len || (frame[ip] >> 4) != (v6 ? 6 : 4)) return false;
  // csum_start is where the TCP header starts; hdr_len is recomputed from it, not trusted.
  size_t l4;
  if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
    l4 = h.csum_start;
  } else if (v6) {
    if (frame[ip + 6] != kProtoTcp) return false;
    l4 = ip + 40;
  } else {
    l4 = ip + (frame[ip] & 0xf) * 4u;
  }
  if (l4 < ip + min_ip) return false;
  if (!v6 && ((frame[ip] & 0xf) * 4u != l4 - ip || frame[ip + 9] != kProtoTcp)) return false;
  if (l4 + 20 > len) return false;
  size_t doff = (frame[l4 + 12] >> 4) * 4u;
  if (doff < 20 || l4 + doff > len || l4 + doff > kMaxHeaders) return false;
  if (h.gso_size == 0) return false;
  out->frame = frame;
  out->len = len;
  out->ip = ip;
  out->l4 = l4;
  out->hdr_len = l4 + doff;
  out->v6 = v6;
  out->gso_size = h.gso_size;
  size_t payload = len - out->hdr_len;
  out->segments = payload == 0 ? 1 : static_cast<uint32_t>((payload + h.gso_size - 1) / h.gso_size);
  return true;
}

size_t WriteSegment(const Tso& t, uint32_t i, uint8_t* dst, size_t cap) {
  size_t payload = t.len - t.hdr_len;
  size_t off = size_t(i) * t.gso_size;
  size_t chunk = off >= payload ? 0 : std::min<size_t>(t.gso_size, payload - off);
  size_t seg_len = t.hdr_len + chunk;
  if (seg_len > cap) return 0;
  std::memcpy(dst, t.frame, t.hdr_len);
  // The data is copied and summed in one pass; the TCP header is summed once rewritten.
  uint64_t data_sum = csum::CopyAndAdd(dst + t.hdr_len, t.frame + t.hdr_len + off, chunk, 0);

  uint8_t* iph = dst + t.ip;
  if (t.v6) {
    Put16(iph + 4, static_cast<uint32_t>(seg_len - t.ip - 40));
  } else {
    Put16(iph + 2, static_cast<uint32_t>(seg_len - t.ip));
    Put16(iph + 4, Be16(iph + 4) + i);  // the kernel's TSO numbers segments id, id+1, ...
    SetIpv4Checksum(iph);
  }

  uint8_t* th = dst + t.l4;
  Put32(th + 4, Be32(th + 4) + static_cast<uint32_t>(off));
  uint8_t flags = th[13];
  if (i + 1 < t.segments) flags &= ~(kFin | kPsh);  // the end of the data is the last segment's
  if (i > 0) flags &= ~kCwr;                        // CWR goes out once, on the first
  th[13] = flags;
  th[16] = th[17] = 0;
  uint32_t l4_len = static_cast<uint32_t>(seg_len - t.l4);
  // The data starts at an even offset from the TCP header (its length is whole words).
  csum::Store(th + 16, csum::Add(th, t.hdr_len - t.l4, csum::Combine(TcpPseudo(iph, t.v6, l4_len), data_sum)));
  return seg_len;
}

bool CompleteChecksum(const virtio_net_hdr& h, uint8_t* frame, size_t len) {
  size_t start = h.csum_start, at = start + h.csum_offset;
  if (start >= len || at + 2 > len) return false;
  // The field holds the pseudo-header sum already: summing from csum_start finishes it.
  uint16_t v = static_cast<uint16_t>(~csum::Fold(csum::Add(frame + start, len - start, 0)));
  if (v == 0) v = 0xffff;  // as the kernel does: a UDP checksum of 0 would mean "none"
  std::memcpy(frame + at, &v, 2);
  return true;
}

bool ParseTcpSegment(const uint8_t* frame, size_t len, TcpSegment* out) {
  if (len < kEthLen + 20 + 20 || len > kMaxSuperFrame) return false;
  const uint8_t* iph = frame + kEthLen;
  uint16_t ether = Be16(frame + 12);
  bool v6;
  size_t l4;
  if (ether == kEthIpv4) {
    // Options or fragments would have to match too: such segments go out as they are.
    if (iph[0] != 0x45 || iph[9] != kProtoTcp || (Be16(iph + 6) & 0x3fff) != 0) return false;
    if (Be16(iph + 2) != len - kEthLen) return false;  // no Ethernet padding, nothing cut
    if (!csum::Valid(csum::Add(iph, 20, 0))) return false;
    v6 = false;
    l4 = kEthLen + 20;
  } else if (ether == kEthIpv6) {
    if (len < kEthLen + 40 + 20 || (iph[0] >> 4) != 6 || iph[6] != kProtoTcp) return false;
    if (Be16(iph + 4) != len - kEthLen - 40) return false;
    v6 = true;
    l4 = kEthLen + 40;
  } else {
    return false;
  }
  const uint8_t* th = frame + l4;
  size_t doff = (th[12] >> 4) * 4u;
  if (doff < 20 || l4 + doff >= len) return false;  // pure ACKs are not merged
  uint8_t flags = th[13];
  if ((flags & (kSyn | kFin | kRst | kUrg | kCwr)) || !(flags & kAck)) return false;
  uint32_t l4_len = static_cast<uint32_t>(len - l4);
  if (!csum::Valid(csum::Add(th, l4_len, TcpPseudo(iph, v6, l4_len)))) return false;
  out->v6 = v6;
  out->l4 = l4;
  out->hdr_len = l4 + doff;
  out->payload = static_cast<uint32_t>(len - out->hdr_len);
  out->seq = Be32(th + 4);
  out->flags = flags;
  return true;
}

bool SameFlow(const uint8_t* first, const TcpSegment& a, const uint8_t* next, const TcpSegment& b, uint32_t next_seq,
              uint32_t index) {
  if (a.v6 != b.v6 || a.hdr_len != b.hdr_len || b.seq != next_seq) return false;
  if (std::memcmp(first, next, 12) != 0) return false;  // MAC addresses
  const uint8_t* f = first + kEthLen;
  const uint8_t* n = next + kEthLen;
  if (a.v6) {
    // Traffic class, flow label, hop limit and addresses.
    if (std::memcmp(f, n, 4) != 0 || f[7] != n[7] || std::memcmp(f + 8, n + 8, 32) != 0) return false;
  } else {
    if (f[1] != n[1] || f[8] != n[8] || (f[6] & 0x40) != (n[6] & 0x40) || std::memcmp(f + 12, n + 12, 8) != 0) return false;
    // Without DF the id numbers the packets: keep it what the kernel's TSO would rebuild.
    if (!(f[6] & 0x40) && Be16(n + 4) != static_cast<uint16_t>(Be16(f + 4) + index)) return false;
  }
  const uint8_t* ft = first + a.l4;
  const uint8_t* nt = next + b.l4;
  // Ports, ACK, flags apart from PSH, window (as the kernel's GRO) and options.
  if (std::memcmp(ft, nt, 4) != 0 || std::memcmp(ft + 8, nt + 8, 4) != 0) return false;
  if (ft[12] != nt[12] || (ft[13] & ~kPsh) != (nt[13] & ~kPsh) || std::memcmp(ft + 14, nt + 14, 2) != 0) return false;
  return std::memcmp(ft + 20, nt + 20, a.hdr_len - a.l4 - 20) == 0;
}

uint32_t MaxCoalescedPayload(const TcpSegment& a) {
  // IPv4 total length or IPv6 payload length: 16 bits.
  return static_cast<uint32_t>(65535 - (a.hdr_len - kEthLen - (a.v6 ? 40 : 0)));
}

size_t BuildCoalescedHeaders(const uint8_t* first, const TcpSegment& a, uint32_t total_payload, uint16_t gso_size,
                             bool psh, uint8_t* out) {
  uint8_t* hdr = out + kVnetHdrLen;
  std::memcpy(hdr, first, a.hdr_len);
  uint8_t* iph = hdr + kEthLen;
  if (a.v6) {
    Put16(iph + 4, static_cast<uint32_t>(a.hdr_len - kEthLen - 40 + total_payload));
  } else {
    Put16(iph + 2, static_cast<uint32_t>(a.hdr_len - kEthLen + total_payload));
    SetIpv4Checksum(iph);  // the kernel checks it on receive, before any segmenting
  }
  uint8_t* th = hdr + a.l4;
  if (psh) th[13] |= kPsh;
  // NEEDS_CSUM: the field holds the pseudo-header sum (not complemented), the kernel or
  // the receiving stack sums the rest.
  uint32_t l4_len = static_cast<uint32_t>(a.hdr_len - a.l4 + total_payload);
  uint16_t partial = csum::Fold(TcpPseudo(iph, a.v6, l4_len));
  std::memcpy(th + 16, &partial, 2);

  virtio_net_hdr v{};
  v.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  v.gso_type = a.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
  v.hdr_len = static_cast<uint16_t>(a.hdr_len);
  v.gso_size = gso_size;
  v.csum_start = static_cast<uint16_t>(a.l4);
  v.csum_offset = 16;
  std::memcpy(out, &v, kVnetHdrLen);
  return kVnetHdrLen + a.hdr_len;
}

}  // namespace tap_offload
