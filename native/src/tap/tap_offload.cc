#include "tap/tap_offload.h"
#include "checksum.h"
#include "wire.h"

#include <algorithm>
#include <cstring>

namespace tap_offload {
namespace {

using namespace wire;

// Sum of the pseudo-header of the TCP segment whose IP header is at `iph`.
uint64_t TcpPseudo(const uint8_t* iph, bool v6, uint32_t l4_len) {
  return v6 ? csum::Pseudo(iph + kIpv6Addresses, 16, kProtoTcp, l4_len)
            : csum::Pseudo(iph + kIpv4Addresses, 4, kProtoTcp, l4_len);
}

// Rewrites an IPv4 header's checksum (ihl words).
void SetIpv4Checksum(uint8_t* iph) {
  iph[kIpv4Checksum] = iph[kIpv4Checksum + 1] = 0;
  csum::Store(iph + kIpv4Checksum, csum::Add(iph, (iph[0] & 0xf) * 4u, 0));
}

}  // namespace

bool ParseTso(const virtio_net_hdr& h, const uint8_t* frame, size_t len, Tso* out) {
  int type = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
  if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6) return false;
  bool v6 = type == VIRTIO_NET_HDR_GSO_TCPV6;
  if (len < kEthHeaderLen || len > kMaxSuperFrame) return false;
  // The kernel puts VLAN tags of bridged frames into the frame: step over them.
  size_t ip = kEthHeaderLen;
  uint16_t ether = Be16(frame + kEthTypeOffset);
  while (ether == kEtherTypeVlan || ether == kEtherTypeQinQ) {
    if (ip + kVlanTagLen > len) return false;
    ether = Be16(frame + ip + 2);
    ip += kVlanTagLen;
  }
  if (ether != (v6 ? kEtherTypeIpv6 : kEtherTypeIpv4)) return false;
  size_t min_ip = v6 ? kIpv6HeaderLen : kIpv4MinHeaderLen;
  if (ip + min_ip > len || (frame[ip] >> 4) != (v6 ? 6 : 4)) return false;
  // csum_start is where the TCP header starts; hdr_len is recomputed from it, not trusted.
  size_t l4;
  if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
    l4 = h.csum_start;
  } else if (v6) {
    if (frame[ip + kIpv6NextHeader] != kProtoTcp) return false;
    l4 = ip + kIpv6HeaderLen;
  } else {
    l4 = ip + (frame[ip] & 0xf) * 4u;
  }
  if (l4 < ip + min_ip) return false;
  if (!v6 && ((frame[ip] & 0xf) * 4u != l4 - ip || frame[ip + kIpv4Protocol] != kProtoTcp)) return false;
  if (l4 + kTcpMinHeaderLen > len) return false;
  size_t doff = (frame[l4 + kTcpDataOffset] >> 4) * 4u;
  if (doff < kTcpMinHeaderLen || l4 + doff > len || l4 + doff > kMaxHeaders) return false;
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
    Put16(iph + kIpv6PayloadLen, static_cast<uint32_t>(seg_len - t.ip - kIpv6HeaderLen));
  } else {
    Put16(iph + kIpv4TotalLen, static_cast<uint32_t>(seg_len - t.ip));
    Put16(iph + kIpv4Id, Be16(iph + kIpv4Id) + i);  // the kernel's TSO numbers segments id, id+1, ...
    SetIpv4Checksum(iph);
  }

  uint8_t* th = dst + t.l4;
  Put32(th + kTcpSeq, Be32(th + kTcpSeq) + static_cast<uint32_t>(off));
  uint8_t flags = th[kTcpFlags];
  if (i + 1 < t.segments) flags &= ~(kTcpFin | kTcpPsh);  // the end of the data is the last segment's
  if (i > 0) flags &= ~kTcpCwr;                        // CWR goes out once, on the first
  th[kTcpFlags] = flags;
  th[kTcpChecksum] = th[kTcpChecksum + 1] = 0;
  uint32_t l4_len = static_cast<uint32_t>(seg_len - t.l4);
  // The data starts at an even offset from the TCP header (its length is whole words).
  csum::Store(th + kTcpChecksum, csum::Add(th, t.hdr_len - t.l4, csum::Combine(TcpPseudo(iph, t.v6, l4_len), data_sum)));
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

bool ParseTcpSegment(const uint8_t* frame, size_t len, TcpSegment* out, bool verify) {
  if (len < kEthHeaderLen + kIpv4MinHeaderLen + kTcpMinHeaderLen || len > kMaxSuperFrame) return false;
  const uint8_t* iph = frame + kEthHeaderLen;
  uint16_t ether = Be16(frame + kEthTypeOffset);
  bool v6;
  size_t l4;
  if (ether == kEtherTypeIpv4) {
    // Options or fragments would have to match too: such segments go out as they are.
    if (iph[0] != 0x45 || iph[kIpv4Protocol] != kProtoTcp || (Be16(iph + kIpv4Flags) & 0x3fff) != 0) return false;
    if (Be16(iph + kIpv4TotalLen) != len - kEthHeaderLen) return false;  // no Ethernet padding, nothing cut
    if (!csum::Valid(csum::Add(iph, kIpv4MinHeaderLen, 0))) return false;
    v6 = false;
    l4 = kEthHeaderLen + kIpv4MinHeaderLen;
  } else if (ether == kEtherTypeIpv6) {
    if (len < kEthHeaderLen + kIpv6HeaderLen + kTcpMinHeaderLen || (iph[0] >> 4) != 6 || iph[kIpv6NextHeader] != kProtoTcp) {
      return false;
    }
    if (Be16(iph + kIpv6PayloadLen) != len - kEthHeaderLen - kIpv6HeaderLen) return false;
    v6 = true;
    l4 = kEthHeaderLen + kIpv6HeaderLen;
  } else {
    return false;
  }
  const uint8_t* th = frame + l4;
  size_t doff = (th[kTcpDataOffset] >> 4) * 4u;
  if (doff < kTcpMinHeaderLen || l4 + doff >= len) return false;  // pure ACKs are not merged
  uint8_t flags = th[kTcpFlags];
  if ((flags & (kTcpSyn | kTcpFin | kTcpRst | kTcpUrg | kTcpCwr)) || !(flags & kTcpAck)) return false;
  uint32_t l4_len = static_cast<uint32_t>(len - l4);
  if (verify && !csum::Valid(csum::Add(th, l4_len, TcpPseudo(iph, v6, l4_len)))) return false;
  out->v6 = v6;
  out->l4 = l4;
  out->hdr_len = l4 + doff;
  out->payload = static_cast<uint32_t>(len - out->hdr_len);
  out->seq = Be32(th + kTcpSeq);
  out->flags = flags;
  return true;
}

bool SameFlow(const uint8_t* first, const TcpSegment& a, const uint8_t* next, const TcpSegment& b, uint32_t next_seq,
              uint32_t index) {
  if (a.v6 != b.v6 || a.hdr_len != b.hdr_len || b.seq != next_seq) return false;
  if (std::memcmp(first, next, kEthTypeOffset) != 0) return false;  // MAC addresses
  const uint8_t* f = first + kEthHeaderLen;
  const uint8_t* n = next + kEthHeaderLen;
  if (a.v6) {
    // Traffic class, flow label, hop limit and addresses.
    if (std::memcmp(f, n, kIpv6PayloadLen) != 0 || f[kIpv6HopLimit] != n[kIpv6HopLimit] ||
        std::memcmp(f + kIpv6Addresses, n + kIpv6Addresses, 32) != 0) {
      return false;
    }
  } else {
    if (f[kIpv4Tos] != n[kIpv4Tos] || f[kIpv4Ttl] != n[kIpv4Ttl] || (f[kIpv4Flags] & kIpv4FlagDf) != (n[kIpv4Flags] & kIpv4FlagDf) ||
        std::memcmp(f + kIpv4Addresses, n + kIpv4Addresses, 8) != 0) {
      return false;
    }
    // Without DF the id numbers the packets: keep it what the kernel's TSO would rebuild.
    if (!(f[kIpv4Flags] & kIpv4FlagDf) && Be16(n + kIpv4Id) != static_cast<uint16_t>(Be16(f + kIpv4Id) + index)) return false;
  }
  const uint8_t* ft = first + a.l4;
  const uint8_t* nt = next + b.l4;
  // Ports, ACK, flags apart from PSH, window (as the kernel's GRO) and options.
  if (std::memcmp(ft, nt, kTcpSeq) != 0 || std::memcmp(ft + kTcpAckSeq, nt + kTcpAckSeq, 4) != 0) return false;
  if (ft[kTcpDataOffset] != nt[kTcpDataOffset] || (ft[kTcpFlags] & ~kTcpPsh) != (nt[kTcpFlags] & ~kTcpPsh) ||
      std::memcmp(ft + kTcpWindow, nt + kTcpWindow, 2) != 0) {
    return false;
  }
  return std::memcmp(ft + kTcpMinHeaderLen, nt + kTcpMinHeaderLen, a.hdr_len - a.l4 - kTcpMinHeaderLen) == 0;
}

uint32_t MaxCoalescedPayload(const TcpSegment& a) {
  // IPv4 total length or IPv6 payload length: 16 bits.
  return static_cast<uint32_t>(kIpMaxPacket - (a.hdr_len - kEthHeaderLen - (a.v6 ? kIpv6HeaderLen : 0)));
}

size_t BuildCoalescedHeaders(const uint8_t* first, const TcpSegment& a, uint32_t total_payload, uint16_t gso_size,
                             bool psh, uint8_t* out) {
  uint8_t* hdr = out + kVnetHdrLen;
  std::memcpy(hdr, first, a.hdr_len);
  uint8_t* iph = hdr + kEthHeaderLen;
  if (a.v6) {
    Put16(iph + kIpv6PayloadLen, static_cast<uint32_t>(a.hdr_len - kEthHeaderLen - kIpv6HeaderLen + total_payload));
  } else {
    Put16(iph + kIpv4TotalLen, static_cast<uint32_t>(a.hdr_len - kEthHeaderLen + total_payload));
    SetIpv4Checksum(iph);  // the kernel checks it on receive, before any segmenting
  }
  uint8_t* th = hdr + a.l4;
  if (psh) th[kTcpFlags] |= kTcpPsh;
  // NEEDS_CSUM: the field holds the pseudo-header sum (not complemented), the kernel or
  // the receiving stack sums the rest.
  uint32_t l4_len = static_cast<uint32_t>(a.hdr_len - a.l4 + total_payload);
  uint16_t partial = csum::Fold(TcpPseudo(iph, a.v6, l4_len));
  std::memcpy(th + kTcpChecksum, &partial, 2);

  virtio_net_hdr v{};
  v.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  v.gso_type = a.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
  v.hdr_len = static_cast<uint16_t>(a.hdr_len);
  v.gso_size = gso_size;
  v.csum_start = static_cast<uint16_t>(a.l4);
  v.csum_offset = kTcpChecksum;
  std::memcpy(out, &v, kVnetHdrLen);
  return kVnetHdrLen + a.hdr_len;
}

}  // namespace tap_offload
