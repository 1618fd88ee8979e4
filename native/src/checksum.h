// The Internet checksum (RFC 1071) for the offload paths, where it runs over whole 64 KB
// super-frames and so has to be fast. Sums are kept over the bytes as they lie in memory
// (byte order does not matter to a ones' complement sum), so a folded result is stored
// back with memcpy and values in network order (lengths, protocol) are added with htons.
#pragma once
#include <arpa/inet.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace csum {

// Adds the bytes [src, src+len) to an unfolded sum, copying them to dst on the way when
// kCopy (the data is then read once instead of twice). `src` must sit at an even offset
// from where the checksummed area starts (a trailing odd byte is padded with a zero, as
// RFC 1071 says).
template <bool kCopy>
inline uint64_t Sum(uint8_t* dst, const uint8_t* src, size_t len, uint64_t sum) {
  // A 128-bit accumulator takes 64-bit words with no carry bookkeeping in the loop.
  unsigned __int128 acc = sum;
  while (len >= 32) {
    uint64_t w[4];
    std::memcpy(w, src, 32);
    if (kCopy) std::memcpy(dst, w, 32);
    acc += w[0];
    acc += w[1];
    acc += w[2];
    acc += w[3];
    src += 32;
    dst += kCopy ? 32 : 0;
    len -= 32;
  }
  while (len >= 8) {
    uint64_t w;
    std::memcpy(&w, src, 8);
    if (kCopy) std::memcpy(dst, &w, 8);
    acc += w;
    src += 8;
    dst += kCopy ? 8 : 0;
    len -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, src, len);  // the remaining 0..7 bytes, zero padded in memory order
  if (kCopy) std::memcpy(dst, src, len);
  acc += tail;
  uint64_t lo = static_cast<uint64_t>(acc), hi = static_cast<uint64_t>(acc >> 64);
  uint64_t s = lo + hi;
  if (s < lo) s++;  // end-around carry
  return s;
}

// Adds the bytes [p, p+len) to an unfolded sum.
inline uint64_t Add(const uint8_t* p, size_t len, uint64_t sum) { return Sum<false>(nullptr, p, len, sum); }

// Copies [src, src+len) to dst and adds the bytes to an unfolded sum in the same pass.
inline uint64_t CopyAndAdd(uint8_t* dst, const uint8_t* src, size_t len, uint64_t sum) { return Sum<true>(dst, src, len, sum); }

// Adds two unfolded sums, carrying around the end.
inline uint64_t Combine(uint64_t a, uint64_t b) {
  uint64_t s = a + b;
  return s < a ? s + 1 : s;
}

// Folds an unfolded sum to 16 bits (not complemented).
inline uint16_t Fold(uint64_t s) {
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// The TCP/UDP pseudo-header: addresses as they lie in the IP header, then protocol and
// L4 length. `addr` points at the source address, the destination follows it.
inline uint64_t Pseudo(const uint8_t* addrs, size_t addr_len, uint8_t proto, uint32_t l4_len) {
  uint64_t s = Add(addrs, 2 * addr_len, 0);
  s += htons(proto);
  s += htons(static_cast<uint16_t>(l4_len & 0xffff));
  s += htons(static_cast<uint16_t>(l4_len >> 16));
  return s;
}

// Stores ~fold(sum) at p, as it goes on the wire.
inline void Store(uint8_t* p, uint64_t sum) {
  uint16_t v = static_cast<uint16_t>(~Fold(sum));
  std::memcpy(p, &v, 2);
}

// Whether the area whose sum (checksum field included) is `sum` checks out.
inline bool Valid(uint64_t sum) { return Fold(sum) == 0xffff; }

}  // namespace csum
