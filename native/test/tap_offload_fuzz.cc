// Fuzz target for tap_offload: the super-frame segmentation (ParseTso, WriteSegment,
// CompleteChecksum) and the TCP merge (ParseTcpSegment, SameFlow, BuildCoalescedHeaders)
// take any virtio_net_hdr and any bytes without reading or writing out of bounds, and
// what they accept keeps its invariants:
//  - the segments of a super-frame carry its payload, in order, each within gso_size;
//  - a run that merges is cut back by ParseTso into segments carrying the same payload.
// Built with AddressSanitizer and UBSan, buffers sized exactly, so any stray access stops
// the run. LLVMFuzzerTestOneInput is libFuzzer's entry point; without libFuzzer (g++),
// main() below is a self-contained loop of random and mutated inputs for a fixed time:
//   g++ -O1 -g -std=c++17 -fsanitize=address,undefined -fno-sanitize-recover=all
//       -Inative/src native/test/tap_offload_fuzz.cc native/src/tap/tap_offload.cc -o /tmp/f
//   /tmp/f <seconds> [seed]
#include "tap/tap_offload.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using namespace tap_offload;

namespace {

[[noreturn]] void Fail(const char* what) {
  std::printf("FAIL %s\n", what);
  std::fflush(stdout);
  std::abort();
}
#define REQUIRE(c) \
  if (!(c)) Fail(#c)

// How far the inputs got, printed at the end: a fuzzer that never reaches the cutting or
// merging code proves nothing.
uint64_t cut_count = 0, merged_count = 0;

using wire::Be32;

// Input: a virtio_net_hdr, then the super-frame.
void FuzzSegmentation(const uint8_t* data, size_t size) {
  if (size < kVnetHdrLen) return;
  virtio_net_hdr h;
  std::memcpy(&h, data, kVnetHdrLen);
  // The frame in a buffer of its own exact size, so that any read past it is caught.
  std::vector<uint8_t> frame(data + kVnetHdrLen, data + size);
  Tso t;
  if (ParseTso(h, frame.data(), frame.size(), &t)) {
    REQUIRE(t.hdr_len <= frame.size() && t.hdr_len <= kMaxHeaders && t.l4 > t.ip && t.segments >= 1);
    size_t payload = frame.size() - t.hdr_len;
    size_t carried = 0;
    // A slot the size of the largest segment, or (picked by the input) a smaller one.
    size_t full = std::min<size_t>(t.hdr_len + t.gso_size, 65536);
    size_t slot = h.hdr_len % 4 == 0 ? full : std::min<size_t>(full, h.hdr_len);
    for (uint32_t i = 0; i < t.segments; i++) {
      std::vector<uint8_t> seg(slot);
      size_t n = WriteSegment(t, i, seg.data(), seg.size());
      if (n == 0) break;  // a segment larger than the slot is refused, never overrun
      REQUIRE(n >= t.hdr_len && n - t.hdr_len <= t.gso_size && n <= slot);
      REQUIRE(std::memcmp(seg.data() + t.hdr_len, frame.data() + t.hdr_len + carried, n - t.hdr_len) == 0);
      carried += n - t.hdr_len;
    }
    REQUIRE(carried == payload || slot < t.hdr_len + t.gso_size);
    cut_count++;
  }
  if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) CompleteChecksum(h, frame.data(), frame.size());
}

// Input: frames, each preceded by a 2-byte length; the first that parses starts a run,
// the following join it while SameFlow says so.
void FuzzMerge(const uint8_t* data, size_t size) {
  std::vector<std::vector<uint8_t>> frames;
  for (size_t at = 0; at + 2 <= size;) {
    size_t len = size_t(data[at]) << 8 | data[at + 1];
    at += 2;
    if (len > size - at) len = size - at;
    frames.emplace_back(data + at, data + at + len);
    at += len;
  }
  size_t k = 0;
  TcpSegment a;
  while (k < frames.size() && !ParseTcpSegment(frames[k].data(), frames[k].size(), &a)) k++;
  if (k == frames.size()) return;
  const std::vector<uint8_t>& first = frames[k];
  REQUIRE(a.hdr_len < first.size() && a.payload == first.size() - a.hdr_len && a.payload > 0);
  // The run as offload_writer gathers it: no PSH on the first, every segment but the last
  // exactly gso_size, PSH or a shorter segment ends it.
  if (a.flags & wire::kTcpPsh) return;
  std::vector<uint8_t> data_run(first.begin() + static_cast<long>(a.hdr_len), first.end());
  bool psh = false;
  for (uint32_t run = 1; k + run < frames.size() && run < 64; run++) {
    const std::vector<uint8_t>& next = frames[k + run];
    TcpSegment b;
    if (!ParseTcpSegment(next.data(), next.size(), &b) || b.payload > a.payload ||
        data_run.size() + b.payload > MaxCoalescedPayload(a) ||
        !SameFlow(first.data(), a, next.data(), b, a.seq + static_cast<uint32_t>(data_run.size()), run)) {
      break;
    }
    data_run.insert(data_run.end(), next.begin() + static_cast<long>(b.hdr_len), next.end());
    if (b.payload < a.payload || (b.flags & wire::kTcpPsh)) {
      psh = (b.flags & wire::kTcpPsh) != 0;
      break;
    }
  }
  std::vector<uint8_t> out(kVnetHdrLen + a.hdr_len);
  size_t head = BuildCoalescedHeaders(first.data(), a, static_cast<uint32_t>(data_run.size()),
                                      static_cast<uint16_t>(a.payload), psh, out.data());
  REQUIRE(head == out.size());
  // The merged super-frame, read back as the kernel hands it over, cuts into the same data.
  virtio_net_hdr v;
  std::memcpy(&v, out.data(), kVnetHdrLen);
  std::vector<uint8_t> merged(out.begin() + static_cast<long>(kVnetHdrLen), out.end());
  merged.insert(merged.end(), data_run.begin(), data_run.end());
  Tso t;
  REQUIRE(ParseTso(v, merged.data(), merged.size(), &t));
  REQUIRE(t.hdr_len == a.hdr_len && t.gso_size == a.payload);
  size_t carried = 0;
  for (uint32_t i = 0; i < t.segments; i++) {
    std::vector<uint8_t> seg(t.hdr_len + t.gso_size);
    size_t n = WriteSegment(t, i, seg.data(), seg.size());
    REQUIRE(n > t.hdr_len || (n == t.hdr_len && data_run.empty()));
    REQUIRE(Be32(seg.data() + t.l4 + 4) == a.seq + carried);
    REQUIRE(std::memcmp(seg.data() + t.hdr_len, data_run.data() + carried, n - t.hdr_len) == 0);
    carried += n - t.hdr_len;
  }
  REQUIRE(carried == data_run.size());
  if (data_run.size() > a.payload) merged_count++;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1)
    FuzzMerge(data + 1, size - 1);
  else
    FuzzSegmentation(data + 1, size - 1);
  return 0;
}

#ifndef VXLAN_TAP_LIBFUZZER
namespace {

// Mostly well-formed inputs, so that the parsers get past their first checks, then
// mutated: a fully random input almost never reaches the segmenting or merging code.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::vector<uint8_t> Next() {
    std::vector<uint8_t> in;
    if (Below(8) == 0) {  // plain random bytes now and then
      in.resize(Below(400));
      for (auto& b : in) b = Byte();
      return in;
    }
    bool merge = Below(2) == 0;
    in.push_back(merge ? 1 : 0);
    if (merge) {
      Flow f = RandomFlow();
      uint32_t count = 1 + Below(6), mss = 1 + Below(1500);
      for (uint32_t i = 0; i < count; i++) {
        std::vector<uint8_t> frame = Frame(f, i + 1 == count && Below(2) ? 1 + Below(mss) : mss);
        f.seq += static_cast<uint32_t>(frame.size() - f.HeaderLen());
        if (!f.df) f.id++;
        Mutate(frame);
        in.push_back(static_cast<uint8_t>(frame.size() >> 8));
        in.push_back(static_cast<uint8_t>(frame.size()));
        in.insert(in.end(), frame.begin(), frame.end());
      }
    } else {
      Flow f = RandomFlow();
      f.vlan = Below(4) == 0;
      std::vector<uint8_t> frame = Frame(f, Below(3) == 0 ? Below(9000) : Below(200));
      virtio_net_hdr h{};
      h.flags = Below(4) ? VIRTIO_NET_HDR_F_NEEDS_CSUM : static_cast<uint8_t>(Byte());
      h.gso_type = static_cast<uint8_t>(Below(4) ? (f.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4) : Byte());
      if (Below(8) == 0) h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
      h.hdr_len = static_cast<uint16_t>(Below(4) ? f.HeaderLen() : Below(65536));
      h.gso_size = static_cast<uint16_t>(Below(8) ? 1 + Below(1500) : Below(65536));
      h.csum_start = static_cast<uint16_t>(Below(4) ? f.L4() : Below(65536));
      h.csum_offset = static_cast<uint16_t>(Below(4) ? 16 : Below(65536));
      uint8_t raw[kVnetHdrLen];
      std::memcpy(raw, &h, kVnetHdrLen);
      in.insert(in.end(), raw, raw + kVnetHdrLen);
      in.insert(in.end(), frame.begin(), frame.end());
      Mutate(in);
    }
    return in;
  }

 private:
  struct Flow {
    bool v6 = false, vlan = false, df = true;
    size_t options = 0;
    uint32_t seq = 0;
    uint16_t id = 0;
    uint8_t flags = wire::kTcpAck;
    size_t Ip() const { return 14 + (vlan ? 4 : 0); }
    size_t L4() const { return Ip() + (v6 ? 40 : 20); }
    size_t HeaderLen() const { return L4() + 20 + options; }
  };

  uint32_t Below(uint32_t n) { return n == 0 ? 0 : static_cast<uint32_t>(rng_() % n); }
  uint8_t Byte() { return static_cast<uint8_t>(rng_()); }

  Flow RandomFlow() {
    Flow f;
    f.v6 = Below(2) == 0;
    f.df = Below(4) != 0;
    f.options = 4 * Below(11);
    f.seq = static_cast<uint32_t>(rng_());
    f.id = static_cast<uint16_t>(rng_());
    f.flags = static_cast<uint8_t>(Below(4) ? wire::kTcpAck | (Below(2) ? wire::kTcpPsh : 0) : Byte());
    return f;
  }

  static void Put16(uint8_t* p, size_t v) { wire::Put16(p, static_cast<uint32_t>(v)); }

  static uint32_t Sum(const uint8_t* p, size_t n, uint32_t s) {
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
    if (n & 1) s += uint32_t(p[n - 1]) << 8;
    return s;
  }
  static uint16_t Fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
  }

  // Ethernet (+ VLAN) + IPv4/IPv6 + TCP with valid lengths and checksums.
  std::vector<uint8_t> Frame(const Flow& f, size_t payload) {
    size_t ip = f.Ip(), l4 = f.L4();
    std::vector<uint8_t> fr(f.HeaderLen() + payload);
    for (int i = 0; i < 12; i++) fr[i] = static_cast<uint8_t>(0x10 + i);
    if (f.vlan) Put16(&fr[12], 0x8100);
    Put16(&fr[ip - 2], f.v6 ? wire::kEtherTypeIpv6 : wire::kEtherTypeIpv4);
    uint8_t* h = &fr[ip];
    if (f.v6) {
      h[0] = 0x60;
      Put16(h + 4, fr.size() - l4);
      h[6] = 6;
      h[7] = 64;
      for (int i = 0; i < 32; i++) h[8 + i] = static_cast<uint8_t>(0x20 + i);
    } else {
      h[0] = 0x45;
      Put16(h + 2, fr.size() - ip);
      Put16(h + 4, f.id);
      h[6] = f.df ? 0x40 : 0;
      h[8] = 64;
      h[9] = 6;
      for (int i = 0; i < 8; i++) h[12 + i] = static_cast<uint8_t>(192 + i);
      Put16(h + 10, static_cast<uint16_t>(~Fold(Sum(h, 20, 0))));
    }
    uint8_t* t = &fr[l4];
    Put16(t, 5001);
    Put16(t + 2, 40000);
    t[4] = static_cast<uint8_t>(f.seq >> 24);
    t[5] = static_cast<uint8_t>(f.seq >> 16);
    t[6] = static_cast<uint8_t>(f.seq >> 8);
    t[7] = static_cast<uint8_t>(f.seq);
    t[11] = 1;
    t[12] = static_cast<uint8_t>(((20 + f.options) / 4) << 4);
    t[13] = f.flags;
    Put16(t + 14, 500);
    for (size_t i = 0; i < f.options; i++) t[20 + i] = 1;  // NOPs
    for (size_t i = 0; i < payload; i++) fr[f.HeaderLen() + i] = Byte();
    size_t l4_len = fr.size() - l4;
    uint32_t pseudo = (f.v6 ? Sum(h + 8, 32, 0) : Sum(h + 12, 8, 0)) + 6 + static_cast<uint32_t>(l4_len);
    Put16(t + 16, static_cast<uint16_t>(~Fold(Sum(t, l4_len, pseudo))));
    return fr;
  }

  // No change half the time; otherwise a few flipped or overwritten bytes, a cut or an
  // extension.
  void Mutate(std::vector<uint8_t>& v) {
    if (Below(2) == 0) return;
    for (uint32_t n = 1 + Below(4); n > 0; n--) {
      switch (Below(4)) {
        case 0:
          if (!v.empty()) v[Below(static_cast<uint32_t>(v.size()))] ^= static_cast<uint8_t>(1u << Below(8));
          break;
        case 1:
          if (!v.empty()) v[Below(static_cast<uint32_t>(v.size()))] = Byte();
          break;
        case 2:
          v.resize(Below(static_cast<uint32_t>(v.size()) + 1));
          break;
        default:
          for (uint32_t k = Below(64); k > 0; k--) v.push_back(Byte());
      }
    }
  }

  std::mt19937 rng_;
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 10;
  uint32_t seed = argc > 2 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10)) : std::random_device{}();
  // The seed is printed first so that a failing run can be repeated.
  std::printf("seed %u\n", seed);
  std::fflush(stdout);
  Generator gen(seed);
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint64_t runs = 0;
  do {
    for (int i = 0; i < 256; i++, runs++) {
      std::vector<uint8_t> in = gen.Next();
      LLVMFuzzerTestOneInput(in.data(), in.size());
    }
  } while (std::chrono::steady_clock::now() < end);
  std::printf("ok: %llu inputs, %llu super-frames cut, %llu runs merged\n", static_cast<unsigned long long>(runs),
              static_cast<unsigned long long>(cut_count), static_cast<unsigned long long>(merged_count));
  return 0;
}
#endif
