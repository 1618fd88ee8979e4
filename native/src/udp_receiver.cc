#include "udp_receiver.h"
#include "batch_slots.h"
#include "errors.h"
#include "fd_poll.h"
#include "sockaddr.h"
#include "underlay_options.h"

#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

namespace {

constexpr int kSocketBufferBytes = 4 * 1024 * 1024;
constexpr size_t kControlBytes = 64;

void SetBuffer(int fd, int force_opt, int opt) {
  int size = kSocketBufferBytes;
  // The FORCE variant (root) passes net.core.rmem_max; fall back to the capped one.
  if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0) {
    setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
  }
}

class UdpReceiver : public Napi::ObjectWrap<UdpReceiver> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "UdpReceiver",
                       {InstanceMethod("start", &UdpReceiver::Start),
                        InstanceMethod("close", &UdpReceiver::Close),
                        InstanceMethod("fd", &UdpReceiver::Fd)});
  }

  // new UdpReceiver(underlay options (see underlay_options.h), region: ArrayBuffer,
  //   offsets: Int32Array, lengths: Int32Array, sources: Uint8Array (16 per entry),
  //   tos: Uint8Array, capacity, onBatch(count))
  explicit UdpReceiver(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpReceiver>(info) {
    Napi::Env env = info.Env();
    UnderlayOptions options;
    if (int err = options.Read(info[0].As<Napi::Object>())) {
      ThrowSysError(env, "underlay device " + options.device, err);
      return;
    }
    family_ = options.family;
    slots_.Read(info, 1, 6, 7, "vxlan-tap:UdpReceiver");
    sources_ = Napi::Persistent(info[4].As<Napi::Uint8Array>());
    tos_ = Napi::Persistent(info[5].As<Napi::Uint8Array>());

    size_t batch = std::min({slots_.batch(), sources_.Value().ByteLength() / 16, tos_.Value().ByteLength()});
    msgs_.resize(batch);
    iovs_.resize(batch);
    names_.resize(batch);
    controls_.resize(batch * kControlBytes);

    sockaddr_storage addr;
    socklen_t len = 0;
    // With groups to join, bind the any-address as the kernel's vxlan does: a socket bound
    // to a unicast address is not handed multicast datagrams.
    const std::string& bind_address = options.groups.empty() ? options.local : std::string();
    if (!ParseSockaddr(family_, bind_address, options.port, &addr, &len)) {
      ThrowSysError(env, "bind UDP " + options.local, EINVAL);
      return;
    }
    fd_ = socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      ThrowSysError(env, "UDP socket", errno);
      return;
    }
    int on = 1;
    if (family_ == AF_INET) {
      setsockopt(fd_, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
    } else {
      setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
      setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on));
    }
    SetBuffer(fd_, SO_RCVBUFFORCE, SO_RCVBUF);
    int err = options.BindToDevice(fd_);
    const char* what = "bind UDP to device";
    if (!err && bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
      err = errno;
      what = "bind UDP";
    }
    for (const std::string& group : options.groups) {
      if (err) break;
      err = JoinGroup(group, options.ifindex);
      what = "join multicast group";
    }
    if (err) {
      close(fd_);
      fd_ = -1;
      ThrowSysError(env, what, err);
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

  ~UdpReceiver() override {
    if (fd_ >= 0) close(fd_);
  }

 private:
  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return env.Undefined();
    int rc = poll_.Start(env, fd_, this);
    if (rc != 0) return ThrowSysError(env, "watch UDP socket", -rc);
    Ref();
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (poll_.Stop()) Unref();
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    return info.Env().Undefined();
  }

  void Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    uint8_t* base = slots_.base();
    size_t size = slots_.size();
    Napi::Int32Array offsets = slots_.offsets();
    Napi::Int32Array lengths = slots_.lengths();
    uint8_t* sources = sources_.Value().Data();
    uint8_t* tos = tos_.Value().Data();
    size_t batch = msgs_.size();
    for (size_t i = 0; i < batch; i++) {
      int32_t off = offsets[i];
      if (!InRegion(off, slots_.capacity(), size)) {
        batch = i;
        break;
      }
      iovs_[i] = {base + off, slots_.capacity()};
      msgs_[i].msg_hdr = {};
      msgs_[i].msg_hdr.msg_name = &names_[i];
      msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
      msgs_[i].msg_hdr.msg_control = &controls_[i * kControlBytes];
      msgs_[i].msg_hdr.msg_controllen = kControlBytes;
    }
    int n;
    do {
      n = recvmmsg(fd_, msgs_.data(), batch, MSG_DONTWAIT, nullptr);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return;
    for (int i = 0; i < n; i++) {
      // A datagram larger than a slot was cut short: hand on length 0, counted as too short.
      bool truncated = (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      lengths[i] = truncated ? 0 : static_cast<int32_t>(msgs_[i].msg_len);
      FromSockaddr(&names_[i], sources + 16 * i);
      tos[i] = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msgs_[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs_[i].msg_hdr, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) tos[i] = *CMSG_DATA(c);
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
          int tclass;
          std::memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
          tos[i] = static_cast<uint8_t>(tclass);
        }
      }
    }
    slots_.Deliver(env, Value(), n);
  }

  int family_ = AF_INET;
  int fd_ = -1;
  BatchSlots slots_;
  FdPoll<UdpReceiver, &UdpReceiver::Drain> poll_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> names_;
  std::vector<uint8_t> controls_;
  Napi::Reference<Napi::Uint8Array> sources_;
  Napi::Reference<Napi::Uint8Array> tos_;
};

}  // namespace

namespace udp_receiver {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpReceiver", UdpReceiver::Define(env));
}
}  // namespace udp_receiver
