// What the standalone native checks share: a CHECK that counts failures instead of
// stopping, and a naive RFC 1071 sum, independent of checksum.h, to judge its results by.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace test_check {

inline int fails = 0;

// Adds the bytes as big-endian 16-bit words (a trailing odd byte padded) to `s`.
inline uint32_t Naive(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += p[i] << 8 | p[i + 1];
  if (n & 1) s += p[n - 1] << 8;
  return s;
}

inline uint16_t Fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

}  // namespace test_check

#define CHECK(c)                                                \
  do {                                                          \
    if (!(c)) {                                                 \
      std::printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #c);  \
      test_check::fails++;                                      \
    }                                                           \
  } while (0)
