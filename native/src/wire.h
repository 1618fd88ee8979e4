// The wire constants the addon uses, in one place: header lengths, ethertypes, protocol
// numbers and TCP flags, and big-endian field access. The TypeScript side has the same
// values in src/wire/ (ethernet.ts, vxlan.ts, ...), where the headers have views.
#pragma once
#include <cstddef>
#include <cstdint>

namespace wire {

constexpr size_t kEthHeaderLen = 14;
constexpr size_t kEthTypeOffset = 12;
constexpr size_t kVlanTagLen = 4;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88a8;

constexpr size_t kIpv4MinHeaderLen = 20;
constexpr size_t kIpv6HeaderLen = 40;
// Field offsets from the start of the IP header.
constexpr size_t kIpv4Tos = 1, kIpv4TotalLen = 2, kIpv4Id = 4, kIpv4Flags = 6, kIpv4Ttl = 8, kIpv4Protocol = 9,
                 kIpv4Checksum = 10, kIpv4Addresses = 12;
constexpr size_t kIpv6PayloadLen = 4, kIpv6NextHeader = 6, kIpv6HopLimit = 7, kIpv6Addresses = 8;
// The largest IPv4 header (IHL 15); IPv6 extension headers up to the same bound.
constexpr size_t kIpMaxHeaderLen = 120;
constexpr uint8_t kIpv4FlagDf = 0x40;  // in the byte at offset 6
constexpr uint32_t kIpMaxPacket = 65535;

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;

constexpr size_t kTcpMinHeaderLen = 20;
constexpr size_t kTcpMaxHeaderLen = 60;
// Field offsets from the start of the TCP header.
constexpr size_t kTcpSeq = 4, kTcpAckSeq = 8, kTcpDataOffset = 12, kTcpFlags = 13, kTcpWindow = 14, kTcpChecksum = 16;
constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10, kTcpUrg = 0x20,
                  kTcpCwr = 0x80;

constexpr size_t kUdpHeaderLen = 8;
constexpr size_t kVxlanHeaderLen = 8;

inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void Put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Put32(uint8_t* p, uint32_t v) {
  Put16(p, v >> 16);
  Put16(p + 2, v);
}

}  // namespace wire
