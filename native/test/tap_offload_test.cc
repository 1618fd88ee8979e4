// Standalone checks of tap_offload (no Node needed): super-frames of many shapes are cut
// into segments, each checked with a naive RFC 1071 checksum independent of checksum.h,
// then merged back and compared byte for byte with the original. `npm test` builds and
// runs it with sanitizers (test/native/tap-offload.test.ts); by hand, from the repository:
//   g++ -O2 -std=c++17 -Wall -Wextra -fsanitize=address,undefined -Inative/src
//       native/test/tap_offload_test.cc native/src/tap/tap_offload.cc -o /tmp/t && /tmp/t
#include "tap/tap_offload.h"
#include "test_check.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace tap_offload;

using test_check::Fold;
using test_check::Naive;
using test_check::fails;

namespace {

using wire::Be16;
using wire::Be32;
using wire::Put16;
constexpr uint8_t kAck = wire::kTcpAck, kPsh = wire::kTcpPsh, kFin = wire::kTcpFin;

uint32_t Pseudo(const uint8_t* ip, bool v6, uint32_t l4_len) {
  uint32_t s = v6 ? Naive(ip + 8, 32) : Naive(ip + 12, 8);
  return s + 6 + (l4_len & 0xffff) + (l4_len >> 16);
}
bool TcpValid(const uint8_t* f, size_t len, size_t ip, size_t l4, bool v6) {
  return Fold(Naive(f + l4, len - l4, Pseudo(f + ip, v6, static_cast<uint32_t>(len - l4)))) == 0xffff;
}
// Ethernet (+ VLAN tag) + IPv4/IPv6 + TCP (+ options) + random payload; sequence number
// close to 2^32 so that segments wrap.
std::vector<uint8_t> MakeFrame(bool v6, bool vlan, size_t payload, uint8_t flags, size_t optlen) {
  size_t ip = 14 + (vlan ? 4 : 0), l4 = ip + (v6 ? 40 : 20), th = 20 + optlen;
  std::vector<uint8_t> f(l4 + th + payload);
  for (int i = 0; i < 12; i++) f[i] = static_cast<uint8_t>(0x10 + i);
  if (vlan) {
    Put16(&f[12], 0x8100);
    Put16(&f[14], 7);
  }
  Put16(&f[ip - 2], v6 ? 0x86dd : 0x0800);
  uint8_t* h = &f[ip];
  if (v6) {
    h[0] = 0x60;
    Put16(h + 4, static_cast<uint32_t>(th + payload));
    h[6] = 6;
    h[7] = 64;
    for (int i = 0; i < 32; i++) h[8 + i] = static_cast<uint8_t>(0x20 + i);
  } else {
    h[0] = 0x45;
    Put16(h + 2, static_cast<uint32_t>(20 + th + payload));
    Put16(h + 4, 100);
    h[6] = 0x40;  // DF
    h[8] = 64;
    h[9] = 6;
    for (int i = 0; i < 8; i++) h[12 + i] = static_cast<uint8_t>(192 + i);
  }
  uint8_t* t = &f[l4];
  Put16(t, 5001);
  Put16(t + 2, 40000);
  t[4] = t[5] = 0xff;
  t[6] = 0xf0;
  t[8] = 1;
  t[11] = 2;
  t[12] = static_cast<uint8_t>((th / 4) << 4);
  t[13] = flags;
  Put16(t + 14, 500);
  for (size_t i = 0; i < optlen; i++) t[20 + i] = i == 0 ? 1 : 7;
  for (size_t i = 0; i < payload; i++) f[l4 + th + i] = static_cast<uint8_t>(rand());
  return f;
}

void RoundTrip(bool v6, bool vlan, size_t payload, uint16_t gso, uint8_t flags, size_t optlen) {
  auto f = MakeFrame(v6, vlan, payload, flags, optlen);
  size_t ip = 14 + (vlan ? 4 : 0), l4 = ip + (v6 ? 40 : 20);
  virtio_net_hdr h{};
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
  h.hdr_len = 3;  // wrong on purpose: it must be recomputed
  h.gso_size = gso;
  h.csum_start = static_cast<uint16_t>(l4);
  h.csum_offset = 16;
  Tso t;
  int before = fails;
  CHECK(ParseTso(h, f.data(), f.size(), &t));
  if (fails != before) return;
  CHECK(t.hdr_len == l4 + 20 + optlen);
  CHECK(t.segments == (payload + gso - 1) / gso);

  std::vector<std::vector<uint8_t>> segs;
  std::vector<uint8_t> data;
  for (uint32_t i = 0; i < t.segments; i++) {
    std::vector<uint8_t> s(2000);
    size_t n = WriteSegment(t, i, s.data(), s.size());
    CHECK(n > 0);
    s.resize(n);
    CHECK(TcpValid(s.data(), n, ip, l4, v6));
    if (v6) {
      CHECK(Be16(&s[ip + 4]) == n - ip - 40);
    } else {
      CHECK(Fold(Naive(&s[ip], 20)) == 0xffff);
      CHECK(Be16(&s[ip + 2]) == n - ip);
      CHECK(Be16(&s[ip + 4]) == 100 + i);
    }
    CHECK(Be32(&s[l4 + 4]) == 0xfffff000u + i * gso);
    bool last = i + 1 == t.segments;
    CHECK(((s[l4 + 13] & (kPsh | kFin)) != 0) == (last && (flags & (kPsh | kFin))));
    data.insert(data.end(), s.begin() + static_cast<long>(t.hdr_len), s.end());
    segs.push_back(s);
  }
  CHECK(data.size() == payload && std::memcmp(data.data(), &f[t.hdr_len], payload) == 0);
  if (vlan || (flags & kFin) || segs.size() < 2) return;  // the merging side takes neither

  TcpSegment a;
  CHECK(ParseTcpSegment(segs[0].data(), segs[0].size(), &a));
  if (fails != before) return;
  uint32_t total = a.payload;
  bool psh = false;
  for (size_t k = 1; k < segs.size(); k++) {
    TcpSegment b;
    CHECK(ParseTcpSegment(segs[k].data(), segs[k].size(), &b));
    CHECK(SameFlow(segs[0].data(), a, segs[k].data(), b, a.seq + total, static_cast<uint32_t>(k)));
    total += b.payload;
    psh = (b.flags & kPsh) != 0;
  }
  uint8_t out[kVnetHdrLen + kMaxHeaders];
  size_t head = BuildCoalescedHeaders(segs[0].data(), a, total, static_cast<uint16_t>(a.payload), psh, out);
  std::vector<uint8_t> m(out + kVnetHdrLen, out + head);
  m.insert(m.end(), data.begin(), data.end());
  virtio_net_hdr v;
  std::memcpy(&v, out, kVnetHdrLen);
  CHECK(v.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && v.gso_type == h.gso_type && v.gso_size == gso);
  CHECK(v.csum_start == l4 && v.csum_offset == 16 && v.hdr_len == a.hdr_len);
  // Finishing the partial checksum as the kernel would must give a valid packet, equal
  // to the original super-frame apart from its checksums.
  Put16(&m[l4 + 16], static_cast<uint16_t>(~Fold(Naive(&m[l4], m.size() - l4))));
  CHECK(TcpValid(m.data(), m.size(), ip, l4, v6));
  if (!v6) CHECK(Fold(Naive(&m[ip], 20)) == 0xffff);
  CHECK(m.size() == f.size());
  Put16(&f[l4 + 16], 0);
  Put16(&m[l4 + 16], 0);
  if (!v6) {
    Put16(&f[ip + 10], 0);
    Put16(&m[ip + 10], 0);
  }
  CHECK(m.size() == f.size() && std::memcmp(f.data(), m.data(), m.size()) == 0);
}

}  // namespace

int main() {
  for (bool v6 : {false, true})
    for (size_t payload : {1u, 1397u, 1398u, 1399u, 10001u, 64000u, 64948u})
      for (uint8_t flags : {kAck, uint8_t(kAck | kPsh), uint8_t(kAck | kPsh | kFin)})
        for (size_t opt : {0u, 12u})
          for (bool vlan : {false, true}) RoundTrip(v6, vlan, payload, 1398, flags, opt);
  RoundTrip(false, false, 5000, 536, kAck, 12);
  RoundTrip(true, false, 9001, 1, kAck, 0);

  // A damaged segment is never merged (the kernel would trust the merged checksum).
  auto f = MakeFrame(false, false, 1000, kAck, 0);
  virtio_net_hdr h{};
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  h.gso_size = 1000;
  h.csum_start = 34;
  h.csum_offset = 16;
  Tso t;
  CHECK(ParseTso(h, f.data(), f.size(), &t));
  std::vector<uint8_t> s(2000);
  s.resize(WriteSegment(t, 0, s.data(), s.size()));
  TcpSegment a;
  CHECK(ParseTcpSegment(s.data(), s.size(), &a));
  s[100] ^= 1;
  CHECK(!ParseTcpSegment(s.data(), s.size(), &a));
  // A segment that does not fit the slot is refused.
  CHECK(WriteSegment(t, 0, s.data(), 100) == 0);

  // CompleteChecksum finishes a UDP checksum left partial (pseudo-header sum in place).
  auto u = MakeFrame(false, false, 333, kAck, 0);
  u[23] = 17;
  Put16(&u[24], 0);
  Put16(&u[24], static_cast<uint16_t>(~Fold(Naive(&u[14], 20))));
  uint32_t ul = static_cast<uint32_t>(u.size() - 34);
  Put16(&u[38], ul);
  Put16(&u[40], Fold(Naive(&u[26], 8) + 17 + ul));
  virtio_net_hdr c{};
  c.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  c.csum_start = 34;
  c.csum_offset = 6;
  CHECK(CompleteChecksum(c, u.data(), u.size()));
  CHECK(Fold(Naive(&u[34], ul, Naive(&u[26], 8) + 17 + ul)) == 0xffff);
  c.csum_offset = 400;
  CHECK(!CompleteChecksum(c, u.data(), u.size()));

  std::printf("%s (%d failures)\n", fails ? "FAILED" : "ok", fails);
  return fails != 0;
}
