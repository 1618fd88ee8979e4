#include "udp_sender.h"
#include "batch_slots.h"
#include "checksum.h"
#include "errors.h"
#include "sockaddr.h"
#include "underlay_options.h"

#include <linux/filter.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace {

constexpr int kSocketBufferBytes = 4 * 1024 * 1024;
constexpr size_t kControlBytes = 64;
constexpr size_t kVxlanHeaderLen = 8;

// What goes in front of each frame: built per datagram, so copies of one frame to
// remotes with different VNIs share the frame's bytes.
struct Headers {
  udphdr udp;
  uint8_t vxlan[kVxlanHeaderLen];
};
static_assert(sizeof(Headers) == 16, "UDP and VXLAN headers are packed");

void WriteVxlanHeader(uint8_t* h, uint32_t vni) {
  h[0] = 0x08;  // I flag; every reserved bit zero
  h[1] = h[2] = h[3] = 0;
  h[4] = (vni >> 16) & 0xff;
  h[5] = (vni >> 8) & 0xff;
  h[6] = vni & 0xff;
  h[7] = 0;
}
constexpr int64_t kSourceCacheNs = 10'000'000'000;  // re-ask the routing table every 10 s

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// A raw socket that only sends: a drop-all filter keeps the kernel from queueing a copy
// of every UDP packet the host receives.
int OpenRawSender(int family, bool df, std::string* what) {
  int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    *what = "raw UDP socket";
    return -errno;
  }
  sock_filter drop_all = {BPF_RET | BPF_K, 0, 0, 0};
  sock_fprog prog = {1, &drop_all};
  setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
  int size = kSocketBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  }
  // A full send buffer blocks briefly (back-pressure to the TAP) rather than dropping.
  timeval timeout = {0, 10'000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  if (family == AF_INET) {
    int pmtu = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
  } else {
    int offset = 6;  // the kernel fills the UDP checksum at this offset, pseudo-header included
    setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &offset, sizeof(offset));
  }
  return fd;
}

class UdpSender : public Napi::ObjectWrap<UdpSender> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "UdpSender",
                       {InstanceMethod("send", &UdpSender::Send), InstanceMethod("close", &UdpSender::Close)});
  }

  // new UdpSender(underlay options (see underlay_options.h); local '' = the route's source)
  explicit UdpSender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSender>(info) {
    Napi::Env env = info.Env();
    UnderlayOptions options;
    if (int err = options.Read(info[0].As<Napi::Object>())) {
      ThrowSysError(env, "underlay device " + options.device, err);
      return;
    }
    family_ = options.family;
    underlay_ = options;
    const std::string& local = options.local;
    if (!local.empty() && family_ == AF_INET && inet_pton(AF_INET, local.c_str(), &local4_) != 1) {
      ThrowSysError(env, "local address " + local, EINVAL);
      return;
    }
    for (int df = 0; df < 2; df++) {
      std::string what;
      int fd = OpenRawSender(family_, df == 1, &what);
      if (fd < 0) {
        ThrowSysError(env, what, -fd);
        return;
      }
      fds_[df] = fd;
      if (int err = options.BindToDevice(fd)) {
        ThrowSysError(env, "bind raw UDP socket to device " + options.device, err);
        return;
      }
      SetMulticastInterface(fd, options.ifindex);
      if (!local.empty()) {
        sockaddr_storage addr;
        socklen_t len = 0;
        ParseSockaddr(family_, local, 0, &addr, &len);
        if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
          ThrowSysError(env, "bind raw UDP socket to " + local, errno);
          return;
        }
      }
    }
  }

  ~UdpSender() override { CloseAll(); }

  // Group traffic leaves through the underlay device and is not looped back to this host.
  void SetMulticastInterface(int fd, unsigned ifindex) {
    int off = 0;
    if (family_ == AF_INET) {
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off));
      if (ifindex == 0) return;
      ip_mreqn req = {};
      req.imr_ifindex = static_cast<int>(ifindex);
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &req, sizeof(req));
    } else {
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off));
      if (ifindex == 0) return;
      int index = static_cast<int>(ifindex);
      setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof(index));
    }
  }

 private:
  void CloseAll() {
    for (int& fd : fds_) {
      if (fd >= 0) close(fd);
      fd = -1;
    }
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseAll();
    return info.Env().Undefined();
  }

  // The IPv4 source address the kernel will pick for dst: --local, or the route's
  // preferred source, learned by connecting a throwaway UDP socket set up like the
  // senders (same device, same multicast interface). Needed for the UDP checksum's
  // pseudo-header; 0 when there is no route.
  uint32_t SourceFor(uint32_t dst) {
    if (local4_) return local4_;
    int64_t now = NowNs();
    auto it = sources_.find(dst);
    if (it != sources_.end() && now - it->second.when < kSourceCacheNs) return it->second.src;
    uint32_t src = 0;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
      underlay_.BindToDevice(s);
      SetMulticastInterface(s, underlay_.ifindex);
      sockaddr_in sin = {};
      sin.sin_family = AF_INET;
      sin.sin_port = htons(underlay_.port);
      sin.sin_addr.s_addr = dst;
      socklen_t len = sizeof(sin);
      if (connect(s, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0 &&
          getsockname(s, reinterpret_cast<sockaddr*>(&sin), &len) == 0) {
        src = sin.sin_addr.s_addr;
      }
      close(s);
    }
    sources_[dst] = {src, now};
    return src;
  }

  // send(bytes: Uint8Array, offsets, lengths, dsts (16 bytes each), ports (src << 16 | dst),
  //      vnis, outer (ttl | tos << 8 | df << 16), count) -> datagrams the kernel accepted.
  // Each datagram at bytes[offset] starts with 8 bytes of VXLAN header room; the header
  // actually sent is built here with the copy's own VNI, next to its UDP header.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    uint8_t* base = bytes.Data();
    size_t size = bytes.ByteLength();
    Napi::Int32Array offsets = info[1].As<Napi::Int32Array>();
    Napi::Int32Array lengths = info[2].As<Napi::Int32Array>();
    const uint8_t* dsts = info[3].As<Napi::Uint8Array>().Data();
    Napi::Int32Array ports = info[4].As<Napi::Int32Array>();
    Napi::Int32Array vnis = info[5].As<Napi::Int32Array>();
    Napi::Int32Array outer = info[6].As<Napi::Int32Array>();
    size_t count = info[7].As<Napi::Number>().Uint32Value();
    if (fds_[0] < 0) return Napi::Number::New(env, 0);
    // Never index past what JS handed over.
    count = std::min({count, offsets.ElementLength(), lengths.ElementLength(), ports.ElementLength(), vnis.ElementLength(),
                      outer.ElementLength(), info[3].As<Napi::Uint8Array>().ByteLength() / 16});
    Reserve(count);

    // Valid datagrams are laid out at k = 0.. and go out in runs that share the DF
    // choice (one socket per choice); one that does not lie in the region is skipped.
    size_t sent = 0;
    size_t run_start = 0;
    size_t k = 0;
    bool run_df = false;
    for (size_t i = 0; i < count; i++) {
      int32_t off = offsets[i], len = lengths[i];
      if (!InRegion(off, len, size) || len < static_cast<int32_t>(kVxlanHeaderLen)) continue;
      bool df = family_ == AF_INET && ((outer[i] >> 16) & 1);
      if (k > run_start && df != run_df) {
        sent += SendRun(fds_[run_df ? 1 : 0], run_start, k);
        run_start = k;
      }
      run_df = df;
      const uint8_t* dst = dsts + 16 * i;
      uint16_t dport = ports[i] & 0xffff, sport = static_cast<uint32_t>(ports[i]) >> 16;
      Headers* hs = &headers_[k];
      udphdr* h = &hs->udp;
      h->source = htons(sport);
      h->dest = htons(dport);
      h->len = htons(static_cast<uint16_t>(sizeof(udphdr) + len));
      h->check = 0;
      WriteVxlanHeader(hs->vxlan, static_cast<uint32_t>(vnis[i]));
      const uint8_t* frame = base + off + kVxlanHeaderLen;
      size_t frame_len = len - kVxlanHeaderLen;
      if (family_ == AF_INET) {
        uint32_t dst4;
        std::memcpy(&dst4, dst + 12, 4);
        // Without a known source the checksum would be wrong; IPv4 allows none at all.
        uint32_t src4 = SourceFor(dst4);
        if (src4 != 0) {
          // Sums in memory order (see checksum.h): the result is stored as it comes out.
          uint64_t sum = csum::Add(reinterpret_cast<uint8_t*>(&src4), 4, 0);
          sum = csum::Add(reinterpret_cast<uint8_t*>(&dst4), 4, sum);
          sum += htons(IPPROTO_UDP) + htons(static_cast<uint16_t>(sizeof(udphdr) + len));
          sum = csum::Add(reinterpret_cast<uint8_t*>(hs), sizeof(Headers), sum);
          sum = csum::Add(frame, frame_len, sum);
          uint16_t check = static_cast<uint16_t>(~csum::Fold(sum));
          h->check = check == 0 ? 0xffff : check;  // 0 would mean "no checksum"
        }
      }
      iovs_[2 * k] = {hs, sizeof(Headers)};
      iovs_[2 * k + 1] = {const_cast<uint8_t*>(frame), frame_len};
      ToSockaddr(family_, dst, 0, &names_[k]);  // raw sockets take no port here
      mmsghdr& m = msgs_[k];
      m.msg_hdr = {};
      m.msg_hdr.msg_name = &names_[k];
      m.msg_hdr.msg_namelen = family_ == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
      m.msg_hdr.msg_iov = &iovs_[2 * k];
      m.msg_hdr.msg_iovlen = 2;
      SetOuterFields(&m.msg_hdr, &controls_[k * kControlBytes], outer[i] & 0xff, (outer[i] >> 8) & 0xff);
      k++;
    }
    if (k > run_start) sent += SendRun(fds_[run_df ? 1 : 0], run_start, k);
    return Napi::Number::New(env, static_cast<double>(sent));
  }

  // TTL and TOS (traffic class on IPv6) as per-datagram control messages.
  void SetOuterFields(msghdr* m, uint8_t* control, int ttl, int tos) {
    m->msg_control = control;
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
    m->msg_controllen = 2 * CMSG_SPACE(sizeof(int));
  }

  // sendmmsg for messages [from, to); a datagram the kernel refuses is skipped.
  size_t SendRun(int fd, size_t from, size_t to) {
    size_t sent = 0;
    while (from < to) {
      int n = sendmmsg(fd, &msgs_[from], to - from, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        // Still full after the send timeout: drop the rest rather than stall the loop.
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        from++;  // this one failed (unreachable, too big): go on
        continue;
      }
      sent += n;
      from += n;
    }
    return sent;
  }

  void Reserve(size_t count) {
    if (msgs_.size() >= count) return;
    msgs_.resize(count);
    headers_.resize(count);
    iovs_.resize(2 * count);
    names_.resize(count);
    controls_.resize(count * kControlBytes);
  }

  struct CachedSource {
    uint32_t src;
    int64_t when;
  };

  int family_ = AF_INET;
  UnderlayOptions underlay_;
  int fds_[2] = {-1, -1};  // [DF clear, DF set]
  uint32_t local4_ = 0;
  std::unordered_map<uint32_t, CachedSource> sources_;
  std::vector<mmsghdr> msgs_;
  std::vector<Headers> headers_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> names_;
  std::vector<uint8_t> controls_;
};

}  // namespace

namespace udp_sender {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpSender", UdpSender::Define(env));
}
}  // namespace udp_sender
