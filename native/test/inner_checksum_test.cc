// Standalone checks of inner_checksum (no Node needed): TCP and UDP frames over IPv4 and
// IPv6, with a checksum made by a naive RFC 1071 sum independent of checksum.h, are
// verified; the same frames with the field holding only the folded pseudo-header sum (as
// a kernel VTEP leaves it to offload hardware) are found unfinished and completed to the
// right value; damaged ones are bad; what is not checked says so. `npm test` builds and
// runs it with sanitizers (test/native/tap-offload.test.ts).
#include "tap/inner_checksum.h"
#include "wire.h"
#include "test_check.h"

#include <cstdio>
#include <vector>

using namespace inner_checksum;
using wire::Put16;

using test_check::Fold;
using test_check::Naive;
using test_check::fails;

namespace {

struct Frame {
  std::vector<uint8_t> bytes;
  size_t l4 = 0, field = 0;
  uint16_t pseudo = 0;  // folded pseudo-header sum, host order
  uint16_t good = 0;    // the right checksum, host order
};

// Ethernet (+ tag) + IPv4/IPv6 + TCP or UDP + payload, with `pad` bytes of Ethernet padding.
Frame Make(bool v6, bool udp, bool vlan, size_t payload, size_t pad = 0) {
  size_t ip = 14 + (vlan ? 4 : 0), l4 = ip + (v6 ? 40 : 20), hdr = udp ? 8 : 20, l4_len = hdr + payload;
  Frame f;
  f.bytes.assign(l4 + l4_len + pad, 0);
  uint8_t* b = f.bytes.data();
  for (int i = 0; i < 12; i++) b[i] = static_cast<uint8_t>(0x20 + i);
  if (vlan) {
    Put16(b + 12, 0x8100);
    Put16(b + 14, 5);
  }
  Put16(b + ip - 2, v6 ? 0x86dd : 0x0800);
  uint8_t proto = udp ? 17 : 6;
  uint32_t pseudo;
  if (v6) {
    b[ip] = 0x60;
    Put16(b + ip + 4, static_cast<uint32_t>(l4_len));
    b[ip + 6] = proto;
    b[ip + 7] = 64;
    for (int i = 0; i < 32; i++) b[ip + 8 + i] = static_cast<uint8_t>(0x20 + 7 * i);
    pseudo = Naive(b + ip + 8, 32);
  } else {
    b[ip] = 0x45;
    Put16(b + ip + 2, static_cast<uint32_t>(20 + l4_len));
    b[ip + 6] = 0x40;
    b[ip + 8] = 64;
    b[ip + 9] = proto;
    for (int i = 0; i < 8; i++) b[ip + 12 + i] = static_cast<uint8_t>(0xc0 + 3 * i);
    Put16(b + ip + 10, static_cast<uint16_t>(~Fold(Naive(b + ip, 20))));
    pseudo = Naive(b + ip + 12, 8);
  }
  pseudo += proto + static_cast<uint32_t>(l4_len);
  Put16(b + l4, 40000);
  Put16(b + l4 + 2, 5001);
  if (udp) Put16(b + l4 + 4, static_cast<uint32_t>(l4_len));
  else b[l4 + 12] = 0x50;
  for (size_t i = 0; i < payload; i++) b[l4 + hdr + i] = static_cast<uint8_t>(i * 31 + 7);
  f.l4 = l4;
  f.field = l4 + (udp ? 6 : 16);
  f.pseudo = Fold(pseudo);
  uint16_t good = static_cast<uint16_t>(~Fold(Naive(b + l4, l4_len, pseudo)));
  if (udp && good == 0) good = 0xffff;
  f.good = good;
  Put16(b + f.field, good);
  return f;
}

uint16_t Field(const Frame& f) { return static_cast<uint16_t>(f.bytes[f.field] << 8 | f.bytes[f.field + 1]); }

void Cases(bool v6, bool udp, bool vlan, size_t payload, size_t pad) {
  Frame f = Make(v6, udp, vlan, payload, pad);
  Result r = Check(f.bytes.data(), f.bytes.size());
  CHECK(r.verdict == kVerified);
  CHECK(r.start == f.l4 && f.l4 + r.offset == f.field);

  // Unfinished: the field holds the folded pseudo-header sum.
  Put16(f.bytes.data() + f.field, f.pseudo);
  r = Check(f.bytes.data(), f.bytes.size());
  CHECK(r.verdict == kCompleted);
  Complete(f.bytes.data(), r);
  CHECK(Field(f) == f.good);
  CHECK(Check(f.bytes.data(), f.bytes.size()).verdict == kVerified);

  // Damaged data: bad, and left as it is.
  if (payload > 0) {
    f.bytes[f.l4 + (udp ? 8 : 20)] ^= 0x40;
    CHECK(Check(f.bytes.data(), f.bytes.size()).verdict == kBad);
  }
}

}  // namespace

int main() {
  for (bool v6 : {false, true})
    for (bool udp : {false, true})
      for (bool vlan : {false, true})
        for (size_t payload : {0u, 1u, 2u, 17u, 1400u, 8000u})
          for (size_t pad : {0u, 6u}) Cases(v6, udp, vlan, payload, pad);

  // Not checked: a UDP datagram without a checksum, a fragment, ICMP, lengths past the
  // frame, IPv6 extension headers, and frames too short for their headers.
  Frame u = Make(false, true, false, 100);
  Put16(u.bytes.data() + u.field, 0);
  CHECK(Check(u.bytes.data(), u.bytes.size()).verdict == kNone);
  Frame frag = Make(false, false, false, 100);
  frag.bytes[14 + 6] = 0x20;  // more fragments
  CHECK(Check(frag.bytes.data(), frag.bytes.size()).verdict == kNone);
  Frame icmp = Make(false, false, false, 100);
  icmp.bytes[14 + 9] = 1;
  CHECK(Check(icmp.bytes.data(), icmp.bytes.size()).verdict == kNone);
  Frame cut = Make(true, true, false, 100);
  CHECK(Check(cut.bytes.data(), cut.bytes.size() - 1).verdict == kNone);
  Frame ext = Make(true, false, false, 100);
  ext.bytes[14 + 6] = 0;  // hop-by-hop options first
  CHECK(Check(ext.bytes.data(), ext.bytes.size()).verdict == kNone);
  for (size_t n = 0; n < 54; n++) CHECK(Check(Make(false, false, false, 0).bytes.data(), n).verdict == kNone);

  std::printf("ok (%d failures)\n", fails);
  return fails == 0 ? 0 : 1;
}
