#include "tap/inner_checksum.h"
#include "checksum.h"
#include "wire.h"

#include <cstring>

namespace inner_checksum {

using namespace wire;

namespace {
constexpr size_t kUdpLength = 4, kUdpChecksum = 6;
constexpr uint16_t kIpv4MoreFragments = 0x2000, kIpv4FragmentOffset = 0x1fff;
}  // namespace

Result Check(const uint8_t* frame, size_t len) {
  Result r;
  if (len < kEthHeaderLen) return r;
  size_t ip = kEthHeaderLen;
  uint16_t ether = Be16(frame + kEthTypeOffset);
  // Tagged frames as the kernel hands them over: step over up to two tags.
  for (int tags = 0; (ether == kEtherTypeVlan || ether == kEtherTypeQinQ) && tags < 2; tags++) {
    if (ip + kVlanTagLen > len) return r;
    ether = Be16(frame + ip + 2);
    ip += kVlanTagLen;
  }
  const uint8_t* iph = frame + ip;
  size_t l4, l4_len, addr_len;
  const uint8_t* addrs;
  uint8_t proto;
  if (ether == kEtherTypeIpv4) {
    if (ip + kIpv4MinHeaderLen > len || (iph[0] >> 4) != 4) return r;
    size_t ihl = (iph[0] & 0xf) * 4u, total = Be16(iph + kIpv4TotalLen);
    if (ihl < kIpv4MinHeaderLen || total < ihl || ip + total > len) return r;
    if (Be16(iph + kIpv4Flags) & (kIpv4MoreFragments | kIpv4FragmentOffset)) return r;
    proto = iph[kIpv4Protocol];
    l4 = ip + ihl;
    l4_len = total - ihl;
    addrs = iph + kIpv4Addresses;
    addr_len = 4;
  } else if (ether == kEtherTypeIpv6) {
    if (ip + kIpv6HeaderLen > len || (iph[0] >> 4) != 6) return r;
    size_t payload = Be16(iph + kIpv6PayloadLen);
    if (payload == 0 || ip + kIpv6HeaderLen + payload > len) return r;  // jumbograms are not ours to judge
    proto = iph[kIpv6NextHeader];
    l4 = ip + kIpv6HeaderLen;
    l4_len = payload;
    addrs = iph + kIpv6Addresses;
    addr_len = 16;
  } else {
    return r;
  }
  size_t field;
  if (proto == kProtoTcp) {
    if (l4_len < kTcpMinHeaderLen) return r;
    field = kTcpChecksum;
  } else if (proto == kProtoUdp) {
    if (l4_len < kUdpHeaderLen) return r;
    size_t ulen = Be16(frame + l4 + kUdpLength);
    if (ulen < kUdpHeaderLen || ulen > l4_len) return r;
    l4_len = ulen;  // the kernel trims to the UDP length
    field = kUdpChecksum;
    // No checksum (IPv4), or none where one is required (IPv6): the stack decides.
    if (frame[l4 + field] == 0 && frame[l4 + field + 1] == 0) return r;
  } else {
    return r;
  }
  uint64_t pseudo = csum::Pseudo(addrs, addr_len, proto, static_cast<uint32_t>(l4_len));
  r.start = static_cast<uint16_t>(l4);
  r.offset = static_cast<uint16_t>(field);
  r.end = static_cast<uint32_t>(l4 + l4_len);
  if (csum::Valid(csum::Add(frame + l4, l4_len, pseudo))) {
    r.verdict = kVerified;
    return r;
  }
  uint16_t held;
  std::memcpy(&held, frame + l4 + field, 2);
  r.verdict = held == csum::Fold(pseudo) ? kCompleted : kBad;
  return r;
}

void Complete(uint8_t* frame, const Result& r) {
  // The field holds the pseudo-header sum: summing from the header on finishes it.
  uint16_t v = static_cast<uint16_t>(~csum::Fold(csum::Add(frame + r.start, r.end - r.start, 0)));
  if (v == 0 && r.offset == kUdpChecksum) v = 0xffff;  // a UDP checksum of 0 means "none"
  std::memcpy(frame + r.start + r.offset, &v, 2);
}

}  // namespace inner_checksum
