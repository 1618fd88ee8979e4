// The underlay's sending side: kernel UDP sockets, one per source port, bound to ports
// spread over the --srcport range. The engine picks one of those ports per inner flow
// (the flow hash), so flows spread over underlay ECMP paths as with the kernel's vxlan,
// and the port picks the socket. TTL and TOS go with every send as control messages;
// DF is the socket's IP_MTU_DISCOVER (IPV6_MTU_DISCOVER: refuse rather than fragment
// locally), switched when the wanted DF changes. A datagram with DF that the kernel
// refuses as too big for the path (the route's MTU, lowered by an ICMP "fragmentation
// needed" or "packet too big" from a router) has that path MTU read (IP_MTU on a
// probe socket connected to the remote) and written into its entry. A train of
// equal-sized datagrams leaves in one sendmsg with UDP_SEGMENT (UDP GSO): the kernel
// cuts it, and fills every outer header and UDP checksum. Where the kernel or the
// device refuses GSO, every datagram becomes a message of its own, many per sendmmsg.
// The kernel gives a train one outer IPv4 ID and numbers its datagrams upward from it,
// the next train's ID only one higher: consecutive trains' IDs overlap. With unique IDs
// asked for, an IPv4 train with DF clear (where the IDs matter, RFC 6864) leaves as one
// message per datagram instead, each with an ID of its own, as the kernel's vxlan.
#include "addon_modules.h"
#include "args.h"
#include "batch_layout.h"
#include "batch_region.h"
#include "errors.h"
#include "sockaddr.h"
#include "udp/message_vector.h"
#include "udp/udp_receiver.h"
#include "underlay_options.h"
#include "wire.h"

#include <linux/filter.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace {

namespace d = layout::datagram;
// A message's control: TTL and TOS first, then a train's UDP_SEGMENT.
constexpr size_t kTtlTosBytes = CMSG_SPACE(sizeof(int)) * 2;
constexpr size_t kControlBytes = kTtlTosBytes + CMSG_SPACE(sizeof(uint16_t));
// What one UDP_SEGMENT send may carry: the kernel's segment limit (64 on older kernels)
// and a UDP payload that fits a 16-bit IP length with an IPv6 header in front.
constexpr size_t kMaxGsoSegments = 64;
constexpr size_t kMaxGsoBytes = wire::kIpMaxPacket - wire::kIpv6HeaderLen - wire::kUdpHeaderLen;

// Bound ports: how many sockets at most, and how far past a busy port to look.
constexpr uint32_t kMaxSockets = 32;
#ifndef IPV6_AUTOFLOWLABEL
#define IPV6_AUTOFLOWLABEL 70  // linux/in6.h; older libc headers lack it
#endif
// linux/in6.h (which clashes with netinet/in.h): the flow label of sin6_flowinfo is sent.
constexpr int kFlowInfoSend = 33;  // IPV6_FLOWINFO_SEND

// A socket that only sends: a drop-all filter keeps the kernel from queueing anything
// that arrives at its port. Returns the socket, or -errno with `step` and `what` saying
// what failed.
int OpenSender(const UnderlayOptions& o, uint16_t port, const char** step, std::string* what) {
  int fd = socket(o.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *step = "socket";
    *what = "UDP socket";
    return -errno;
  }
  int on = 1, no = 0;
  if (o.family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    // Flow label 0, as the kernel's vxlan sends by default, not the host's automatic one;
    // a chosen one (--flowlabel) comes with each destination.
    setsockopt(fd, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &no, sizeof(no));
    setsockopt(fd, IPPROTO_IPV6, kFlowInfoSend, &on, sizeof(on));
  }
  sock_filter drop_all = {BPF_RET | BPF_K, 0, 0, 0};
  sock_fprog prog = {1, &drop_all};
  setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
  SetSocketBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, 4 * 1024 * 1024);
  // No outer UDP checksum: --no-udpcsum (IPv4), --udp6zerocsumtx (IPv6).
  if (o.SendsNoChecksum()) {
    if (o.family == AF_INET) setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &on, sizeof(on));
    else setsockopt(fd, IPPROTO_UDP, UDP_NO_CHECK6_TX, &on, sizeof(on));
  }
  // A full send buffer blocks briefly (back-pressure to the TAP) rather than dropping.
  timeval timeout = {0, 10'000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  if (o.family == AF_INET) {
    int pmtu = IP_PMTUDISC_DONT;
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
  }
  int off = 0;
  if (o.family == AF_INET) {
    // Group traffic leaves through the underlay device and is not looped back to this host.
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off));
    if (o.ifindex != 0) {
      ip_mreqn req = {};
      req.imr_ifindex = static_cast<int>(o.ifindex);
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &req, sizeof(req));
    }
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off));
    if (o.ifindex != 0) {
      int index = static_cast<int>(o.ifindex);
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof(index));
    }
  }
  if (int err = o.BindToDevice(fd)) {
    close(fd);
    *step = "SO_BINDTODEVICE";
    *what = "bind UDP socket to device " + o.device;
    return -err;
  }
  sockaddr_storage addr;
  socklen_t len = 0;
  ParseSockaddr(o.family, o.local, port, &addr, &len);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
    int err = errno;
    close(fd);
    *step = "bind";
    *what = "bind UDP source port " + std::to_string(port);
    return -err;
  }
  return fd;
}

class UdpSender : public Napi::ObjectWrap<UdpSender> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "UdpSender",
                       {InstanceMethod("send", &UdpSender::Send), InstanceMethod("ports", &UdpSender::Ports),
                        InstanceMethod("stats", &UdpSender::Stats), InstanceMethod("close", &UdpSender::Close)});
  }

  // new UdpSender(receiver: UdpReceiver (whose underlay options it shares), srcPortMin,
  //               srcPortMax, gso: boolean, onGsoOff: (reason: string) => void,
  //               uniqueIds: boolean)
  // Binds up to 32 ports spread over [srcPortMin, srcPortMax]; a busy one is replaced by
  // the next free port after it. onGsoOff is called once, when GSO turns out not to work.
  explicit UdpSender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSender>(info) {
    Napi::Env env = info.Env();
    Args args(info, "UdpSender");
    const UnderlayOptions* shared = udp_receiver::OptionsOf(env, info[0]);
    if (shared == nullptr) return;
    const UnderlayOptions& options = *shared;
    uint32_t min = args.Uint32(1, "srcPortMin"), max = args.Uint32(2, "srcPortMax");
    gso_ = args.Boolean(3, "gso");
    // UDP GSO needs the checksum (the kernel refuses a train without): none without it.
    if (shared != nullptr && shared->SendsNoChecksum()) gso_ = false;
    Napi::Function on_gso_off = args.Function(4, "onGsoOff");
    unique_ids_ = args.Boolean(5, "uniqueIds");
    if (!args.ok()) return;
    family_ = options.family;
    options_ = options;
    on_gso_off_ = Napi::Persistent(on_gso_off);
    if (!LocalIsValid(options)) {
      ThrowSysError(env, "local", "local address " + options.local, EINVAL);
      return;
    }
    uint32_t span = max >= min ? max - min + 1 : 0;
    uint32_t wanted = std::min(span, kMaxSockets);
    socket_of_port_.assign(65536, -1);
    int last_err = EADDRINUSE;
    const char* last_step = "bind";
    std::string last_what = "bind UDP source port";
    uint32_t next = min;
    for (uint32_t i = 0; i < wanted && next <= max; i++) {
      // Spread over the range; past a busy port, the next free one.
      next = std::max(next, min + static_cast<uint32_t>(uint64_t(i) * span / wanted));
      for (; next <= max; next++) {
        const char* step = "";
        std::string what;
        int fd = OpenSender(options, static_cast<uint16_t>(next), &step, &what);
        if (fd >= 0) {
          socket_of_port_[next] = static_cast<int16_t>(fds_.size());
          fds_.push_back(fd);
          ports_.push_back(static_cast<uint16_t>(next++));
          df_.push_back(0);
          break;
        }
        if (-fd != EADDRINUSE) {
          CloseAll();
          ThrowSysError(env, step, what, -fd);
          return;
        }
        last_err = -fd;
        last_step = step;
        last_what = what;
      }
    }
    if (fds_.empty()) {
      ThrowSysError(env, last_step, last_what, last_err);
      return;
    }
    if (gso_) {
      // Probe: a kernel without UDP GSO does not know the option.
      int zero = 0;
      if (setsockopt(fds_[0], IPPROTO_UDP, UDP_SEGMENT, &zero, sizeof(zero)) < 0) GsoOff(env, errno);
    }
  }

  ~UdpSender() override { CloseAll(); }

 private:
  static bool LocalIsValid(const UnderlayOptions& o) {
    sockaddr_storage addr;
    socklen_t len = 0;
    return ParseSockaddr(o.family, o.local, 0, &addr, &len);
  }

  void CloseAll() {
    for (int fd : fds_) close(fd);
    fds_.clear();
    if (probe_ >= 0) close(probe_);
    probe_ = -1;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseAll();
    return info.Env().Undefined();
  }

  // The bound source ports, in the order the engine spreads flows over them.
  Napi::Value Ports(const Napi::CallbackInfo& info) {
    Napi::Array a = Napi::Array::New(info.Env(), ports_.size());
    for (uint32_t i = 0; i < ports_.size(); i++) a.Set(i, Napi::Number::New(info.Env(), ports_[i]));
    return a;
  }

  // { gso: whether trains still leave as one UDP_SEGMENT send each, gsoSends: how many did }
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("gso", Napi::Boolean::New(env, gso_));
    o.Set("gsoSends", Napi::Number::New(env, static_cast<double>(gso_sends_)));
    return o;
  }

  void GsoOff(Napi::Env env, int err) {
    gso_ = false;
    std::string reason = std::string(uv_err_name(-err)) + ": " + std::strerror(err);
    on_gso_off_.Call({Napi::String::New(env, reason)});
  }

  // send(bytes: Uint8Array, batch: Int32Array (datagram layout), count) -> datagrams the
  // kernel refused in this call, each datagram of a train counted. Entries go out in runs
  // that share a socket; an entry that does not lie in the region, or names a port no
  // socket has (or every one, once closed), is refused whole.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Args args(info, "send");
    Napi::Uint8Array bytes = args.Uint8Array(0, "bytes");
    Napi::Int32Array batch = args.Int32Array(1, "batch");
    uint32_t count = args.Uint32(2, "count");
    if (!args.ok()) return env.Undefined();
    count = static_cast<uint32_t>(std::min<size_t>(count, batch.ElementLength() / d::stride));
    uint8_t* base = bytes.Data();
    size_t size = bytes.ByteLength();
    const bool open = !fds_.empty();
    batch_ = batch.Data();
    probed_len_ = 0;

    size_t listed = 0, sent = 0;
    msgs_used_ = 0;
    int run_socket = -1;
    for (uint32_t i = 0; i < count; i++) {
      const int32_t* e = batch.Data() + size_t(i) * d::stride;
      int32_t off = e[d::offset], len = e[d::length], seg = e[d::segment];
      int32_t sport = e[d::srcPort];
      if (len > 0 && seg > 0) listed += Datagrams(static_cast<size_t>(len), static_cast<size_t>(seg));
      if (!open || !InRegion(off, len, size) || len == 0 || seg <= 0 || sport < 0 || sport > 65535) continue;
      int s = socket_of_port_[sport];
      if (s < 0) continue;
      if (s != run_socket || df_[s] != (e[d::df] & 1)) {
        sent += Flush(env, run_socket);
        run_socket = s;
        SetDf(s, e[d::df] & 1);
      }
      AddEntry(base + off, static_cast<size_t>(len), static_cast<size_t>(seg), e, i);
    }
    sent += Flush(env, run_socket);
    return Napi::Number::New(env, static_cast<double>(listed - sent));
  }

  // The datagrams of `len` bytes cut at `seg`: the last may be shorter.
  static size_t Datagrams(size_t len, size_t seg) { return (len + seg - 1) / seg; }

  // IPv4: DF set or clear. IPv6 (no DF on the wire): a datagram too big for the path is
  // refused rather than fragmented here.
  void SetDf(int s, int df) {
    if (df_[s] == df) return;
    int r;
    if (family_ == AF_INET) {
      int pmtu = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
      r = setsockopt(fds_[s], IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
    } else {
      int pmtu = df ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_WANT;
      r = setsockopt(fds_[s], IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof(pmtu));
    }
    if (r == 0) df_[s] = df;
  }

  // The kernel's MTU of the path to `to` (the route's, lowered by what routers reported),
  // read with IP_MTU / IPV6_MTU on a probe socket connected to it; 0 when unknown. The
  // probe is opened on first use, bound as the senders are; the last answer of a batch
  // is kept, so a batch refused for one remote asks once.
  uint32_t PathMtu(const sockaddr_storage* to, socklen_t len) {
    if (probed_len_ == len && std::memcmp(&probed_, to, len) == 0) return probed_mtu_;
    if (probe_ < 0) {
      probe_ = socket(family_, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (probe_ < 0) return 0;
      sock_filter drop_all = {BPF_RET | BPF_K, 0, 0, 0};
      sock_fprog prog = {1, &drop_all};
      setsockopt(probe_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
      options_.BindToDevice(probe_);
      sockaddr_storage local;
      socklen_t local_len = 0;
      if (!options_.local.empty() && ParseSockaddr(family_, options_.local, 0, &local, &local_len)) {
        bind(probe_, reinterpret_cast<sockaddr*>(&local), local_len);
      }
    }
    int mtu = 0;
    socklen_t mtu_len = sizeof(mtu);
    bool ok = connect(probe_, reinterpret_cast<const sockaddr*>(to), len) == 0 &&
              getsockopt(probe_, family_ == AF_INET ? IPPROTO_IP : IPPROTO_IPV6, family_ == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &mtu_len) == 0;
    std::memcpy(&probed_, to, len);
    probed_len_ = len;
    probed_mtu_ = ok && mtu > 0 ? static_cast<uint32_t>(mtu) : 0;
    return probed_mtu_;
  }

  // Whether message k, refused with `err` on socket s, was too big for its path with DF:
  // its entry then gets the path MTU, and the message is not tried otherwise.
  bool RefusedForPath(int s, size_t k, int err) {
    if (!df_[s] || !(err == EMSGSIZE || (segs_[k] > 1 && err == EINVAL))) return false;
    const msghdr& m = msgs_[k].msg_hdr;
    size_t datagram = segs_[k] > 1 ? seg_size_[k] : m.msg_iov->iov_len;
    size_t overhead = (family_ == AF_INET ? sizeof(iphdr) : wire::kIpv6HeaderLen) + wire::kUdpHeaderLen;
    uint32_t mtu = PathMtu(msgs_.name(k), m.msg_namelen);
    if (mtu == 0 || datagram + overhead <= mtu) return false;
    batch_[size_t(entry_of_[k]) * d::stride + d::pathMtu] = static_cast<int32_t>(mtu);
    return true;
  }

  // Lists the entry's datagrams as messages: with GSO, one per train of up to
  // kMaxGsoSegments; without, one per datagram.
  void AddEntry(uint8_t* data, size_t len, size_t seg, const int32_t* e, uint32_t entry) {
    size_t per_msg = 1;
    const bool ids_overlap = unique_ids_ && family_ == AF_INET && (e[d::df] & 1) == 0;
    if (gso_ && len > seg && !ids_overlap) per_msg = std::max<size_t>(1, std::min(kMaxGsoSegments, kMaxGsoBytes / seg));
    for (size_t at = 0; at < len;) {
      size_t bytes = std::min(len - at, per_msg * seg);
      size_t k = NextMessage();
      sockaddr_storage* name = msgs_.name(k);
      socklen_t namelen = ToSockaddr(family_, reinterpret_cast<const uint8_t*>(e + d::address), static_cast<uint16_t>(e[d::port]), name);
      if (family_ == AF_INET6) reinterpret_cast<sockaddr_in6*>(name)->sin6_flowinfo = htonl(static_cast<uint32_t>(e[d::flowLabel]) & 0xfffff);
      segs_[k] = static_cast<uint32_t>(Datagrams(bytes, seg));
      seg_size_[k] = static_cast<uint16_t>(std::min<size_t>(seg, 0xffff));
      entry_of_[k] = entry;
      SetControl(&msgs_.Set(k, data + at, bytes, namelen), e[d::ttl], e[d::tos], segs_[k] > 1 ? seg_size_[k] : 0);
      at += bytes;
    }
  }

  size_t NextMessage() {
    if (msgs_used_ == msgs_.size()) {
      // Grows to the largest batch seen, then stays: no allocation per packet.
      size_t n = std::max<size_t>(64, 2 * msgs_.size());
      msgs_.Resize(n);
      segs_.resize(n);
      seg_size_.resize(n);
      entry_of_.resize(n);
    }
    return msgs_used_++;
  }

  // TTL and TOS (hop limit and traffic class on IPv6), then the GSO segment size, into the
  // control room of `m` (kControlBytes).
  void SetControl(msghdr* m, int ttl, int tos, uint16_t gso_size) {
    std::memset(m->msg_control, 0, kControlBytes);
    m->msg_controllen = kControlBytes;
    cmsghdr* c = CMSG_FIRSTHDR(m);
    c->cmsg_level = family_ == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    c->cmsg_type = family_ == AF_INET ? IP_TTL : IPV6_HOPLIMIT;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &ttl, sizeof(int));
    c = CMSG_NXTHDR(m, c);
    c->cmsg_level = family_ == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    c->cmsg_type = family_ == AF_INET ? IP_TOS : IPV6_TCLASS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &tos, sizeof(int));
    size_t used = kTtlTosBytes;
    if (gso_size != 0) {
      c = CMSG_NXTHDR(m, c);
      c->cmsg_level = IPPROTO_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      std::memcpy(CMSG_DATA(c), &gso_size, sizeof(uint16_t));
      used += CMSG_SPACE(sizeof(uint16_t));
    }
    m->msg_controllen = used;
  }

  // Sends the listed messages on socket s with sendmmsg and empties the list; returns
  // the datagrams sent. A message the kernel refuses is skipped; a GSO train it refuses
  // goes out datagram by datagram, and GSO stays off if the refusal says it cannot work.
  size_t Flush(Napi::Env env, int s) {
    size_t sent = 0, from = 0, to = msgs_used_;
    msgs_used_ = 0;
    if (s < 0) return 0;
    int fd = fds_[s];
    while (from < to) {
      int n = sendmmsg(fd, msgs_.data() + from, to - from, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        for (int k = 0; k < n; k++) {
          sent += segs_[from + k];
          if (segs_[from + k] > 1) gso_sends_++;
        }
        from += n;
        continue;
      }
      int err = errno;
      // Still full after the send timeout: drop the rest rather than stall the loop.
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      // Too big for the path (a train says so with EINVAL): its entry says the path MTU.
      if (RefusedForPath(s, from, err)) {
        from++;
        continue;
      }
      if (segs_[from] > 1 && (err == EIO || err == EINVAL || err == EMSGSIZE)) {
        // EIO, EINVAL: this kernel or device takes no GSO. EMSGSIZE: only this train.
        if (gso_ && err != EMSGSIZE) GsoOff(env, err);
        sent += SendOneByOne(fd, msgs_[from].msg_hdr, seg_size_[from]);
      }
      from++;
    }
    return sent;
  }

  // The datagrams of the GSO train `train` (cut at `seg`), each a message of its own with
  // the train's address, TTL and TOS: its control without the UDP_SEGMENT that follows them.
  static size_t SendOneByOne(int fd, const msghdr& train, size_t seg) {
    msghdr m = train;
    m.msg_controllen = kTtlTosBytes;
    uint8_t* data = static_cast<uint8_t*>(train.msg_iov->iov_base);
    size_t len = train.msg_iov->iov_len, sent = 0;
    for (size_t at = 0; at < len; at += seg) {
      iovec iov = {data + at, std::min(seg, len - at)};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      ssize_t n;
      do {
        n = sendmsg(fd, &m, 0);
      } while (n < 0 && errno == EINTR);
      if (n >= 0) sent++;
    }
    return sent;
  }

  int family_ = AF_INET;
  bool gso_ = false;
  bool unique_ids_ = true;  // IPv4 with DF clear: one message per datagram, not per train
  uint64_t gso_sends_ = 0;
  Napi::FunctionReference on_gso_off_;
  std::vector<int> fds_;
  std::vector<uint16_t> ports_;
  std::vector<int> df_;               // per socket: DF set (IPv4), no local fragmenting (IPv6)
  std::vector<int16_t> socket_of_port_;  // source port -> index in fds_, -1 none
  // The messages of the current run, reused from batch to batch, and per message the
  // datagrams it carries and their size.
  size_t msgs_used_ = 0;
  MessageVector msgs_{kControlBytes};
  std::vector<uint32_t> segs_;
  std::vector<uint16_t> seg_size_;
  std::vector<uint32_t> entry_of_;  // per message: its entry in the batch
  int32_t* batch_ = nullptr;         // the batch being sent, for the entries' pathMtu
  UnderlayOptions options_;          // how the probe socket is bound
  int probe_ = -1;                   // connected to a remote to read its path MTU
  sockaddr_storage probed_;          // the last remote probed in this batch, and its MTU
  socklen_t probed_len_ = 0;
  uint32_t probed_mtu_ = 0;
};

}  // namespace

namespace udp_sender {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpSender", UdpSender::Define(env));
}
}  // namespace udp_sender
