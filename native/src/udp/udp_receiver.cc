// UdpReceiver: the VXLAN port's UDP socket, drained with recvmmsg into the slots of a
// packet region, with each datagram's (or UDP GRO train's) source address, port, outer
// TOS/traffic class and segment size; one JS call per batch.
#include "udp/udp_receiver.h"
#include "addon_modules.h"
#include "batch_layout.h"
#include "errors.h"
#include "polled_reader.h"
#include "sockaddr.h"
#include "udp/message_vector.h"
#include "underlay_options.h"

#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace {

namespace d = layout::datagram;
constexpr size_t kControlBytes = 160;  // TOS or traffic class, GRO segment size, packet info, drop count
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

class UdpReceiver : public PolledReader<UdpReceiver> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "UdpReceiver",
                       {InstanceMethod("start", &UdpReceiver::Start),
                        InstanceMethod("close", &UdpReceiver::Close),
                        InstanceMethod("stats", &UdpReceiver::Stats),
                        InstanceMethod("fd", &UdpReceiver::Fd)});
  }

  // new UdpReceiver(underlay options (see underlay_options.h), region: ArrayBuffer,
  //   batch: Int32Array (datagram layout), slotSize, gro: boolean, onBatch(count)).
  // The region is cut into slots of slotSize bytes, one datagram (or, with gro, one
  // coalesced train of up to 64 KB) each.
  explicit UdpReceiver(const Napi::CallbackInfo& info) : PolledReader<UdpReceiver>(info) {
    Napi::Env env = info.Env();
    Args args(info, "UdpReceiver");
    UnderlayOptions& options = options_;
    int err = 0;
    if (!options.Read(args, 0, &err) || !batch_.Read(args, 1, 5, d::stride, "vxlan-tap:UdpReceiver")) return;
    slot_size_ = args.Uint32(3, "slotSize");
    bool gro = args.Boolean(4, "gro");
    if (!args.ok()) return;
    if (err) {
      ThrowSysError(env, "device", "underlay device " + options.device, err);
      return;
    }
    family_ = options.family;

    size_t batch = slot_size_ == 0 ? 0 : std::min<size_t>(batch_.capacity(), batch_.size() / slot_size_);
    msgs_.Resize(batch);

    if (options.adopt_fd >= 0) {
      // A predecessor's socket: bound, groups joined, options set. Ours from now on.
      fd_ = options.adopt_fd;
      fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
      fcntl(fd_, F_SETFD, FD_CLOEXEC);
      CountOverflows();
      TakeZeroChecksums(options);
      return;
    }
    sockaddr_storage addr;
    socklen_t len = 0;
    // With groups to join, bind the any-address as the kernel's vxlan does: a socket bound
    // to a unicast address is not handed multicast datagrams.
    const std::string& bind_address = options.groups.empty() ? options.local : std::string();
    if (!ParseSockaddr(family_, bind_address, options.port, &addr, &len)) {
      ThrowSysError(env, "local", "bind UDP " + options.local, EINVAL);
      return;
    }
    fd_ = socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      ThrowSysError(env, "socket", "UDP socket", errno);
      return;
    }
    int on = 1;
    // The destination address of each datagram tells a group's traffic from unicast.
    if (family_ == AF_INET) {
      setsockopt(fd_, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
      setsockopt(fd_, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
    } else {
      setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
      setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on));
      setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
    }
    // Several workers' sockets on one port: the kernel spreads datagrams by 4-tuple, so a
    // sender's flow (its source port) stays on one socket. The first worker's socket
    // claims the port: bound without SO_REUSEPORT first, it fails where anyone holds the
    // port (another VTEP's shared sockets included), then rebinds sharing it.
    if (options.reuse_port && options.claim_port) {
      int probe = socket(family_, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (family_ == AF_INET6) setsockopt(probe, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
      int probe_err = options.BindToDevice(probe);
      if (!probe_err && bind(probe, reinterpret_cast<sockaddr*>(&addr), len) < 0) probe_err = errno;
      close(probe);
      if (probe_err) {
        close(fd_);
        fd_ = -1;
        ThrowSysError(env, "bind", "bind UDP", probe_err);
        return;
      }
    }
    if (options.reuse_port) setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
    // Only the socket that joined a group takes its datagrams (the others would be handed
    // a copy each).
    if (!options.multicast_all) {
      int off = 0;
      if (family_ == AF_INET) setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off));
      else setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof(off));
    }
    // 16 MB: at 5 Gbit/s about 25 ms of datagrams wait here while no worker reads (a
    // handover's gap between predecessor and successor) instead of being dropped.
    SetSocketBuffer(fd_, SO_RCVBUFFORCE, SO_RCVBUF, 16 * 1024 * 1024);
    CountOverflows();
    TakeZeroChecksums(options);
    // UDP GRO: consecutive datagrams of one sender arrive as one train with their size.
    // Where the kernel lacks it they simply arrive one by one.
    if (gro) setsockopt(fd_, IPPROTO_UDP, UDP_GRO, &on, sizeof(on));
    // With --busy-poll, each receive also polls the device's queue where it has one (NAPI).
    if (options.busy_poll_us > 0) {
      int us = static_cast<int>(options.busy_poll_us);
      setsockopt(fd_, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us));
    }
    err = options.BindToDevice(fd_);
    const char* step = "SO_BINDTODEVICE";
    const char* what = "bind UDP to device";
    if (!err && bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
      err = errno;
      step = "bind";
      what = "bind UDP";
    }
    for (const std::string& group : options.groups) {
      if (err) break;
      err = JoinGroup(group, options.ifindex);
      step = "join";
      what = "join multicast group";
    }
    if (err) {
      close(fd_);
      fd_ = -1;
      ThrowSysError(env, step, what, err);
    }
  }

  // IGMP/MLD membership of the group, on the underlay device (or the route's, without one).
  int JoinGroup(const std::string& group, unsigned ifindex) {
    uint8_t addr[16];
    if (family_ == AF_INET) {
      ip_mreqn req = {};
      if (inet_pton(AF_INET, group.c_str(), &req.imr_multiaddr) != 1) return EINVAL;
      req.imr_ifindex = static_cast<int>(ifindex);
      return setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &req, sizeof(req)) < 0 ? errno : 0;
    }
    if (inet_pton(AF_INET6, group.c_str(), addr) != 1) return EINVAL;
    ipv6_mreq req = {};
    std::memcpy(&req.ipv6mr_multiaddr, addr, 16);
    req.ipv6mr_interface = ifindex;
    return setsockopt(fd_, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &req, sizeof(req)) < 0 ? errno : 0;
  }

  const UnderlayOptions& Options() const { return options_; }

  ~UdpReceiver() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  // IPv6 with udp6zerocsumrx: datagrams without a UDP checksum are taken (UDP_NO_CHECK6_RX);
  // without it the kernel drops them as checksum errors, as it does for its own vxlan.
  void TakeZeroChecksums(const UnderlayOptions& options) {
    int on = options.udp6_zero_checksum_rx ? 1 : 0;
    if (family_ == AF_INET6) setsockopt(fd_, IPPROTO_UDP, UDP_NO_CHECK6_RX, &on, sizeof(on));
  }

  // SO_RXQ_OVFL: every datagram carries how many the kernel dropped on this socket so
  // far because its receive buffer was full.
  void CountOverflows() {
    int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
  }

  // { groTrains, overflows }: receives that returned several datagrams coalesced by UDP
  // GRO; datagrams the kernel dropped with the receive buffer full (as of the last one read).
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("groTrains", Napi::Number::New(info.Env(), static_cast<double>(gro_trains_)));
    o.Set("overflows", Napi::Number::New(info.Env(), static_cast<double>(overflows_)));
    return o;
  }


  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop(info);
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    return info.Env().Undefined();
  }

  friend class PolledReader<UdpReceiver>;

  // Returns whether anything was read.
  bool Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    uint8_t* base = batch_.base();
    size_t batch = msgs_.size();
    for (size_t i = 0; i < batch; i++) msgs_.Set(i, base + i * slot_size_, slot_size_, sizeof(sockaddr_storage));
    int n;
    do {
      n = recvmmsg(fd_, msgs_.data(), batch, MSG_DONTWAIT, nullptr);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN) {
      Fail(errno);  // never spin on a persistent error
      return false;
    }
    if (n <= 0) return false;
    for (int i = 0; i < n; i++) {
      int32_t* e = batch_.entry(i);
      // A datagram larger than a slot was cut short: its length goes negative (what did
      // fit is still there to read the VNI from), a drop of its own kind.
      bool truncated = (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      int32_t len = static_cast<int32_t>(msgs_[i].msg_len);
      e[d::offset] = static_cast<int32_t>(i * slot_size_);
      e[d::length] = e[d::segment] = truncated ? -len : len;
      e[d::port] = SockaddrPort(msgs_.name(i));
      FromSockaddr(msgs_.name(i), reinterpret_cast<uint8_t*>(e + d::address));
      e[d::tos] = 0;
      e[d::toGroup] = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msgs_[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs_[i].msg_hdr, c)) {
        int value = 0;
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo info;
          std::memcpy(&info, CMSG_DATA(c), sizeof(info));
          e[d::toGroup] = IN_MULTICAST(ntohl(info.ipi_addr.s_addr)) ? 1 : 0;
          continue;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo info;
          std::memcpy(&info, CMSG_DATA(c), sizeof(info));
          e[d::toGroup] = IN6_IS_ADDR_MULTICAST(&info.ipi6_addr) ? 1 : 0;
          continue;
        }
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
          e[d::tos] = *CMSG_DATA(c);
          continue;
        }
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t dropped;
          std::memcpy(&dropped, CMSG_DATA(c), sizeof(dropped));
          overflows_ = dropped;
          continue;
        }
        std::memcpy(&value, CMSG_DATA(c), std::min<size_t>(sizeof(value), c->cmsg_len - CMSG_LEN(0)));
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) e[d::tos] = value & 0xff;
        if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO && value > 0 && len > 0 && !truncated) e[d::segment] = value;
      }
      if (!truncated && e[d::segment] < len) gro_trains_++;
    }
    batch_.Deliver(env, Value(), n);
    return true;
  }

  int family_ = AF_INET;
  size_t slot_size_ = 0;
  uint64_t gro_trains_ = 0;
  uint32_t overflows_ = 0;
  UnderlayOptions options_;
  MessageVector msgs_{kControlBytes};
};

}  // namespace

namespace udp_receiver {
namespace {
// The class, to tell a UdpReceiver from other objects: one per thread (each data-path
// worker loads the addon into its own environment), living as long as the thread.
thread_local Napi::FunctionReference* constructor = nullptr;
}  // namespace

void Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = UdpReceiver::Define(env);
  constructor = new Napi::FunctionReference(Napi::Persistent(cls));
  constructor->SuppressDestruct();
  exports.Set("UdpReceiver", cls);
}

const UnderlayOptions* OptionsOf(Napi::Env env, Napi::Value value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(constructor->Value())) {
    Napi::TypeError::New(env, "UdpSender: argument 1 (receiver) must be a UdpReceiver").ThrowAsJavaScriptException();
    return nullptr;
  }
  return &UdpReceiver::Unwrap(value.As<Napi::Object>())->Options();
}
}  // namespace udp_receiver
