// An interface name into a struct ifreq, the one way every ioctl here takes it.
#pragma once
#include <net/if.h>
#include <cstring>
#include <string>

// Zeroes `ifr` and copies `name` in; false (nothing usable in `ifr`) when the name does
// not fit IFNAMSIZ with its terminating zero, or is empty.
inline bool CopyIfName(const std::string& name, struct ifreq* ifr) {
  std::memset(ifr, 0, sizeof(*ifr));
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  std::memcpy(ifr->ifr_name, name.data(), name.size());
  return true;
}
