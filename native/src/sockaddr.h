// Addresses as the JS side passes them: 16 bytes each, IPv4 as ::ffff:a.b.c.d.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cstdint>
#include <cstring>
#include <string>

// Fills sockaddr_in/sockaddr_in6 from a 16-byte address; returns its length.
inline socklen_t ToSockaddr(int family, const uint8_t* addr16, uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, addr16 + 12, 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  std::memcpy(&sin6->sin6_addr, addr16, 16);
  return sizeof(sockaddr_in6);
}

// Writes the 16-byte form of a received source address.
inline void FromSockaddr(const sockaddr_storage* in, uint8_t* addr16) {
  if (in->ss_family == AF_INET) {
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(addr16, kMapped, 12);
    std::memcpy(addr16 + 12, &reinterpret_cast<const sockaddr_in*>(in)->sin_addr, 4);
  } else {
    std::memcpy(addr16, &reinterpret_cast<const sockaddr_in6*>(in)->sin6_addr, 16);
  }
}

// The port of a received source address, in host order.
inline int32_t SockaddrPort(const sockaddr_storage* in) {
  if (in->ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(in)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(in)->sin6_port);
}

// Parses an address string ("" for any) into a sockaddr of the family; false if invalid.
inline bool ParseSockaddr(int family, const std::string& text, uint16_t port, sockaddr_storage* out, socklen_t* len) {
  uint8_t addr16[16] = {0};
  if (family == AF_INET) {
    addr16[10] = addr16[11] = 0xff;
    if (!text.empty() && inet_pton(AF_INET, text.c_str(), addr16 + 12) != 1) return false;
  } else if (!text.empty() && inet_pton(AF_INET6, text.c_str(), addr16) != 1) {
    return false;
  }
  *len = ToSockaddr(family, addr16, port, out);
  return true;
}
