/*
 * ICMP echo at a fixed spacing, for the benchmark's latency windows. iputils ping keeps its
 * interval in whole milliseconds (-i 0.0005 sends back to back), so the sub-millisecond
 * spacings need this. It measures a round trip as ping does: the time taken just before
 * sendto, the kernel's receive timestamp of the reply (SO_TIMESTAMPNS), so that its own
 * wake-up does not count. Echo i is sent at start + i * spacing (absolute times, no
 * drift), whether or not earlier replies came back. Needs a raw socket (root).
 *
 *   pinger <IPv4> <count> <spacing in microseconds> <wait after the last, milliseconds>
 *
 * Prints one line per echo, in order: "<seq> <round trip in ms>" or "<seq> lost".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 56 /* ping's default: an 84-byte IPv4 packet */
#define MAX_COUNT 65535
#define NS_PER_S 1000000000LL

static long long ns_of(struct timespec t) { return t.tv_sec * NS_PER_S + t.tv_nsec; }

static long long now(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return ns_of(t);
}

static uint16_t checksum(const void *data, size_t length) {
  const uint8_t *bytes = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
  if (length & 1) sum += (uint32_t)(bytes[length - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

static long long *sent_at; /* CLOCK_REALTIME ns, 0 = not sent */
static long long *round_trip; /* ns, -1 = no reply yet */
static int received;

/* Reads every queued reply; each one that answers an echo of ours gets its round trip. */
static void drain(int fd, uint16_t id, int count) {
  uint8_t packet[256];
  char control[256];
  for (;;) {
    struct iovec iov = {.iov_base = packet, .iov_len = sizeof packet};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    long long at = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec t;
        memcpy(&t, CMSG_DATA(c), sizeof t);
        at = ns_of(t);
      }
    }
    size_t ip_length = (size_t)(packet[0] & 0x0f) * 4;
    if ((size_t)n < ip_length + sizeof(struct icmphdr)) continue;
    struct icmphdr icmp;
    memcpy(&icmp, packet + ip_length, sizeof icmp);
    if (icmp.type != ICMP_ECHOREPLY || ntohs(icmp.un.echo.id) != id) continue;
    int seq = ntohs(icmp.un.echo.sequence);
    if (seq >= count || sent_at[seq] == 0 || round_trip[seq] >= 0) continue;
    if (at == 0) at = now(CLOCK_REALTIME);
    round_trip[seq] = at - sent_at[seq];
    received++;
  }
}

/* Waits for replies until the monotonic time `until` (ns), or until every echo has one. */
static void receive_until(int fd, uint16_t id, int count, long long until) {
  while (received < count) {
    long long left = until - now(CLOCK_MONOTONIC);
    if (left <= 0) return;
    struct timespec timeout = {.tv_sec = left / NS_PER_S, .tv_nsec = left % NS_PER_S};
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (ppoll(&pfd, 1, &timeout, NULL) > 0) drain(fd, id, count);
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <IPv4> <count> <spacing us> <wait ms>\n", argv[0]);
    return 2;
  }
  struct sockaddr_in to = {.sin_family = AF_INET};
  int count = atoi(argv[2]);
  long long spacing = atoll(argv[3]) * 1000;
  long long wait = atoll(argv[4]) * 1000000;
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || count < 1 || count > MAX_COUNT || spacing < 0 || wait < 0) {
    fprintf(stderr, "bad arguments (count 1..%d)\n", MAX_COUNT);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) {
    perror("raw ICMP socket");
    return 1;
  }
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  struct icmp_filter only_replies = {.data = ~(1U << ICMP_ECHOREPLY)};
  setsockopt(fd, SOL_RAW, ICMP_FILTER, &only_replies, sizeof only_replies);
  /* Wake at the due time, not up to 50 us later (the default slack). */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  sent_at = calloc((size_t)count, sizeof *sent_at);
  round_trip = malloc((size_t)count * sizeof *round_trip);
  if (sent_at == NULL || round_trip == NULL) return 1;
  for (int i = 0; i < count; i++) round_trip[i] = -1;

  uint16_t id = (uint16_t)getpid();
  uint8_t echo[sizeof(struct icmphdr) + PAYLOAD] = {0};
  long long start = now(CLOCK_MONOTONIC);
  for (int seq = 0; seq < count; seq++) {
    receive_until(fd, id, count, start + seq * spacing);
    struct icmphdr header = {.type = ICMP_ECHO};
    header.un.echo.id = htons(id);
    header.un.echo.sequence = htons((uint16_t)seq);
    memcpy(echo, &header, sizeof header);
    uint16_t sum = checksum(echo, sizeof echo);
    memcpy(echo + offsetof(struct icmphdr, checksum), &sum, sizeof sum);
    sent_at[seq] = now(CLOCK_REALTIME);
    if (sendto(fd, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to) < 0) sent_at[seq] = 0;
  }
  long long last = start + (count - 1) * spacing;
  receive_until(fd, id, count, last + wait);

  for (int seq = 0; seq < count; seq++) {
    if (round_trip[seq] < 0) printf("%d lost\n", seq);
    else printf("%d %.4f\n", seq, (double)round_trip[seq] / 1e6);
  }
  return 0;
}
