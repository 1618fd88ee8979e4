/*
 * The benchmark's floor: the least a userspace VTEP that sleeps between packets must do.
 * One TAP (no packet info, no offloads), one UDP socket, poll() on both, one read and one
 * sendto per frame (TAP -> UDP, an 8-byte VXLAN header in front) and one recv and one
 * write per datagram (UDP -> TAP, header checked and stripped). One peer, one VNI, no
 * learning, no batching. Prints "ready <tap>" once both descriptors are open; the caller
 * sets the TAP's MTU and address and brings it up. Ends on SIGTERM.
 *
 *   forwarder <tap name> <local IPv4> <peer IPv4> <vni> [<udp port, 4789>]
 *
 * The UDP socket stays unconnected: a kernel VTEP sends from a per-flow source port, and a
 * connected socket would drop those datagrams.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define VXLAN_HEADER 8
#define ETHERNET_HEADER 14
#define FLAG_VNI_VALID 0x08

static void fail(const char *what) {
  perror(what);
  exit(1);
}

static struct sockaddr_in ipv4(const char *address, uint16_t port) {
  struct sockaddr_in out = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, address, &out.sin_addr) != 1) {
    fprintf(stderr, "not an IPv4 address: %s\n", address);
    exit(2);
  }
  return out;
}

static int open_tap(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fail("open /dev/net/tun");
  struct ifreq ifr = {0};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) fail("TUNSETIFF");
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 5 || argc > 6) {
    fprintf(stderr, "usage: %s <tap> <local IPv4> <peer IPv4> <vni> [<port>]\n", argv[0]);
    return 2;
  }
  unsigned long vni = strtoul(argv[4], NULL, 10);
  uint16_t port = argc == 6 ? (uint16_t)strtoul(argv[5], NULL, 10) : 4789;
  if (vni > 0xffffff) {
    fprintf(stderr, "VNI out of range: %s\n", argv[4]);
    return 2;
  }

  int tap = open_tap(argv[1]);
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (udp < 0) fail("socket");
  struct sockaddr_in local = ipv4(argv[2], port);
  if (bind(udp, (struct sockaddr *)&local, sizeof local) < 0) fail("bind");
  struct sockaddr_in peer = ipv4(argv[3], port);

  /* Flags (I), 3 reserved bytes, then the VNI in the upper 24 bits of a big-endian word. */
  const uint8_t header[VXLAN_HEADER] = {FLAG_VNI_VALID, 0, 0, 0, (uint8_t)(vni >> 16), (uint8_t)(vni >> 8), (uint8_t)vni, 0};
  static uint8_t buffer[VXLAN_HEADER + 65536];

  printf("ready %s\n", argv[1]);
  fflush(stdout);

  struct pollfd fds[2] = {{.fd = tap, .events = POLLIN}, {.fd = udp, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    if (fds[0].revents & POLLIN) {
      for (;;) {
        ssize_t n = read(tap, buffer + VXLAN_HEADER, sizeof buffer - VXLAN_HEADER);
        if (n < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          fail("read tap");
        }
        memcpy(buffer, header, VXLAN_HEADER);
        /* A full socket buffer drops the frame, as a wire would. */
        sendto(udp, buffer, (size_t)n + VXLAN_HEADER, 0, (struct sockaddr *)&peer, sizeof peer);
      }
    }
    if (fds[1].revents & POLLIN) {
      for (;;) {
        ssize_t n = recv(udp, buffer, sizeof buffer, 0);
        if (n < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          fail("recv udp");
        }
        if (n < VXLAN_HEADER + ETHERNET_HEADER || !(buffer[0] & FLAG_VNI_VALID) || memcmp(buffer + 4, header + 4, 3) != 0) continue;
        if (write(tap, buffer + VXLAN_HEADER, (size_t)n - VXLAN_HEADER) < 0) continue; /* dropped */
      }
    }
  }
}
