// Creating a TAP device (IFF_TAP | IFF_NO_PI, plus IFF_VNET_HDR and TSO for offloads) and
// setting its MTU, MAC, link state and addresses with the classic SIOC* ioctls. Closing
// the returned fd removes the device, unless setPersist (--persist) made it persistent.
// linkInfo reads a device as it is (rtnetlink, no privilege needed): what an unprivileged
// process checks before it attaches to a TAP an administrator made for it.
#include "addon_modules.h"
#include "args.h"
#include "batch_layout.h"
#include "batch_region.h"
#include "errors.h"
#include "ifname.h"
#include "tap/inner_checksum.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace {

// Linux's struct in6_ifreq (from linux/ipv6.h, which clashes with netinet/in.h).
struct In6Ifreq {
  struct in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

// Throws the error for a name that does not fit a struct ifreq.
Napi::Value ThrowBadName(Napi::Env env, const std::string& name) {
  return ThrowSysError(env, "ifname", "interface name \"" + name + "\" (1 to 15 characters)", EINVAL);
}

// Runs one ioctl on a throwaway socket of the given family. Returns 0 or errno.
int SocketIoctl(int family, unsigned long request, void* arg) {
  int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  int rc = ioctl(s, request, arg);
  int err = rc < 0 ? errno : 0;
  close(s);
  return err;
}

// With IFF_VNET_HDR: a 10-byte virtio_net_hdr before every frame, and the kernel may
// hand over TCP super-frames (TSO) and frames with the checksum left to finish. ECN is
// asked for where the kernel has it. Returns the failed step, or nullptr (errno is set).
const char* EnableOffloads(int fd) {
  int hdr_size = 10;
  if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0) return "TUNSETVNETHDRSZ";
  unsigned int base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  if (ioctl(fd, TUNSETOFFLOAD, base | TUN_F_TSO_ECN) == 0) return nullptr;
  if (ioctl(fd, TUNSETOFFLOAD, base) < 0) return "TUNSETOFFLOAD";
  return nullptr;
}

// openTap(name, offload?: boolean, multiQueue?: boolean); an empty name lets the kernel
// pick one. With multiQueue each call on the same name opens one more queue of the device
// (IFF_MULTI_QUEUE: the kernel spreads frames over the queues by flow).
Napi::Value OpenTap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "openTap");
  std::string name = args.String(0, "name");
  bool offload = args.OptionalBoolean(1, "offload", false);
  bool multi_queue = args.OptionalBoolean(2, "multiQueue", false);
  if (!args.ok()) return env.Undefined();
  struct ifreq ifr;
  if (!name.empty() && !CopyIfName(name, &ifr)) return ThrowBadName(env, name);
  if (name.empty()) std::memset(&ifr, 0, sizeof(ifr));
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ThrowSysError(env, "open", "open /dev/net/tun", errno);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0) | (multi_queue ? IFF_MULTI_QUEUE : 0);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return ThrowSysError(env, "TUNSETIFF", "TUNSETIFF " + name, err);
  }
  if (offload) {
    if (const char* step = EnableOffloads(fd)) {
      int err = errno;
      close(fd);
      return ThrowSysError(env, step, std::string(step) + " " + ifr.ifr_name, err);
    }
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, fd));
  result.Set("name", Napi::String::New(env, ifr.ifr_name));
  return result;
}

Napi::Value SetMtu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "setMtu");
  std::string name = args.String(0, "name");
  int32_t mtu = args.Int32(1, "mtu");
  if (!args.ok()) return env.Undefined();
  struct ifreq ifr;
  if (!CopyIfName(name, &ifr)) return ThrowBadName(env, name);
  ifr.ifr_mtu = mtu;
  int err = SocketIoctl(AF_INET, SIOCSIFMTU, &ifr);
  if (err) return ThrowSysError(env, "SIOCSIFMTU", "set MTU " + std::to_string(mtu) + " on " + name, err);
  return env.Undefined();
}

Napi::Value SetMac(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "setMac");
  std::string name = args.String(0, "name");
  Napi::Buffer<uint8_t> mac = args.Buffer(1, "mac", 6);
  if (!args.ok()) return env.Undefined();
  struct ifreq ifr;
  if (!CopyIfName(name, &ifr)) return ThrowBadName(env, name);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  std::memcpy(ifr.ifr_hwaddr.sa_data, mac.Data(), 6);
  int err = SocketIoctl(AF_INET, SIOCSIFHWADDR, &ifr);
  if (err) return ThrowSysError(env, "SIOCSIFHWADDR", "set MAC on " + name, err);
  return env.Undefined();
}

Napi::Value GetMac(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "getMac");
  std::string name = args.String(0, "name");
  if (!args.ok()) return env.Undefined();
  struct ifreq ifr;
  if (!CopyIfName(name, &ifr)) return ThrowBadName(env, name);
  int err = SocketIoctl(AF_INET, SIOCGIFHWADDR, &ifr);
  if (err) return ThrowSysError(env, "SIOCGIFHWADDR", "get MAC of " + name, err);
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data), 6);
}

Napi::Value SetUp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "setUp");
  std::string name = args.String(0, "name");
  bool up = args.Boolean(1, "up");
  if (!args.ok()) return env.Undefined();
  struct ifreq ifr;
  if (!CopyIfName(name, &ifr)) return ThrowBadName(env, name);
  const char* step = "SIOCGIFFLAGS";
  int err = SocketIoctl(AF_INET, SIOCGIFFLAGS, &ifr);
  if (!err) {
    if (up) ifr.ifr_flags |= IFF_UP;
    else ifr.ifr_flags &= ~IFF_UP;
    step = "SIOCSIFFLAGS";
    err = SocketIoctl(AF_INET, SIOCSIFFLAGS, &ifr);
  }
  if (err) return ThrowSysError(env, step, std::string("set ") + (up ? "up " : "down ") + name, err);
  return env.Undefined();
}

// addAddress(name, address text, prefix length): IPv4 or IPv6, told apart by inet_pton.
Napi::Value AddAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "addAddress");
  std::string name = args.String(0, "name");
  std::string text = args.String(1, "address");
  uint32_t prefix = args.Uint32(2, "prefixLength");
  if (!args.ok()) return env.Undefined();
  std::string what = "add address " + text + " to " + name;
  struct ifreq ifr;
  if (!CopyIfName(name, &ifr)) return ThrowBadName(env, name);
  uint8_t addr[16];
  if (inet_pton(AF_INET, text.c_str(), addr) == 1) {
    if (prefix > 32) return ThrowSysError(env, "prefix", what, EINVAL);
    auto* sin = reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_addr);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, addr, 4);
    int err = SocketIoctl(AF_INET, SIOCSIFADDR, &ifr);
    if (err) return ThrowSysError(env, "SIOCSIFADDR", what, err);
    sin->sin_addr.s_addr = prefix == 0 ? 0 : htonl(~uint32_t(0) << (32 - prefix));
    err = SocketIoctl(AF_INET, SIOCSIFNETMASK, &ifr);
    if (err) return ThrowSysError(env, "SIOCSIFNETMASK", what, err);
    return env.Undefined();
  }
  if (inet_pton(AF_INET6, text.c_str(), addr) != 1) return ThrowSysError(env, "address", what, EINVAL);
  if (prefix > 128) return ThrowSysError(env, "prefix", what, EINVAL);
  int err = SocketIoctl(AF_INET6, SIOCGIFINDEX, &ifr);
  if (err) return ThrowSysError(env, "SIOCGIFINDEX", what, err);
  In6Ifreq req;
  std::memcpy(&req.addr, addr, 16);
  req.prefixlen = prefix;
  req.ifindex = ifr.ifr_ifindex;
  err = SocketIoctl(AF_INET6, SIOCSIFADDR, &req);
  if (err) return ThrowSysError(env, "SIOCSIFADDR", what, err);
  return env.Undefined();
}

// addToBridge(bridge, name): makes the device a port of an existing Linux bridge.
Napi::Value AddToBridge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "addToBridge");
  std::string bridge = args.String(0, "bridge");
  std::string name = args.String(1, "name");
  if (!args.ok()) return env.Undefined();
  struct ifreq ifr;
  if (!CopyIfName(name, &ifr)) return ThrowBadName(env, name);
  std::string what = "add " + name + " to bridge " + bridge;
  int err = SocketIoctl(AF_INET, SIOCGIFINDEX, &ifr);
  if (err) return ThrowSysError(env, "SIOCGIFINDEX", what, err);
  int index = ifr.ifr_ifindex;
  if (!CopyIfName(bridge, &ifr)) return ThrowBadName(env, bridge);
  ifr.ifr_ifindex = index;
  err = SocketIoctl(AF_INET, SIOCBRADDIF, &ifr);
  if (err) return ThrowSysError(env, "SIOCBRADDIF", what, err);
  return env.Undefined();
}

// setPersist(fd, on): with on, the TAP outlives its last open fd (TUNSETPERSIST), so
// that a stop and start keep the device, its addresses and its place in a bridge.
Napi::Value SetPersist(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "setPersist");
  int fd = args.Int32(0, "fd");
  unsigned long on = args.Boolean(1, "on") ? 1 : 0;
  if (!args.ok()) return env.Undefined();
  if (ioctl(fd, TUNSETPERSIST, on) < 0) return ThrowSysError(env, "TUNSETPERSIST", "TUNSETPERSIST", errno);
  return env.Undefined();
}

// One rtnetlink request (RTM_GETLINK for one index, or an RTM_GETADDR dump) and every
// message of its answer to `each`. Returns 0 or errno.
template <typename Each>
int RtnetlinkQuery(void* request, size_t length, Each each) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) return errno;
  int err = 0;
  if (send(s, request, length, 0) < 0) err = errno;
  std::vector<char> buf(1 << 16);
  for (bool done = err != 0; !done;) {
    ssize_t n = recv(s, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    int left = static_cast<int>(n);
    for (auto* nh = reinterpret_cast<struct nlmsghdr*>(buf.data()); NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
      if (nh->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (nh->nlmsg_type == NLMSG_ERROR) {
        err = -reinterpret_cast<struct nlmsgerr*>(NLMSG_DATA(nh))->error;
        done = true;
        break;
      }
      each(nh);
      if (!(nh->nlmsg_flags & NLM_F_MULTI)) done = true;
    }
  }
  close(s);
  return err;
}

// The attributes of `length` bytes from `first` (a message's, or a nest's), by type.
std::vector<struct rtattr*> NestedAttributes(struct rtattr* first, int length, int max_type) {
  std::vector<struct rtattr*> found(max_type + 1, nullptr);
  for (struct rtattr* a = first; RTA_OK(a, length); a = RTA_NEXT(a, length)) {
    int type = a->rta_type & ~NLA_F_NESTED;
    if (type <= max_type) found[type] = a;
  }
  return found;
}

uint32_t U32(struct rtattr* a) {
  uint32_t v;
  std::memcpy(&v, RTA_DATA(a), sizeof(v));
  return v;
}

// linkInfo(name): null when there is no such device; else { index, mtu, up, master (0:
// none), kind ('' for none, 'tun' for a TUN/TAP), tun (for kind 'tun': { tap, persist,
// owner, group }, -1 for no owner or group), addresses: [{ address, prefixLength }] }.
Napi::Value LinkInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "linkInfo");
  std::string name = args.String(0, "name");
  if (!args.ok()) return env.Undefined();
  struct ifreq ifr;
  if (!CopyIfName(name, &ifr)) return ThrowBadName(env, name);
  int err = SocketIoctl(AF_INET, SIOCGIFINDEX, &ifr);
  if (err == ENODEV) return env.Null();
  if (err) return ThrowSysError(env, "SIOCGIFINDEX", "find " + name, err);
  int index = ifr.ifr_ifindex;

  struct {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
  } link_request{};
  link_request.nh.nlmsg_len = sizeof(link_request);
  link_request.nh.nlmsg_type = RTM_GETLINK;
  link_request.nh.nlmsg_flags = NLM_F_REQUEST;
  link_request.nh.nlmsg_seq = 1;
  link_request.ifi.ifi_family = AF_UNSPEC;
  link_request.ifi.ifi_index = index;
  Napi::Object result = Napi::Object::New(env);
  result.Set("index", Napi::Number::New(env, index));
  result.Set("kind", Napi::String::New(env, ""));
  result.Set("master", Napi::Number::New(env, 0));
  err = RtnetlinkQuery(&link_request, sizeof(link_request), [&](struct nlmsghdr* nh) {
    if (nh->nlmsg_type != RTM_NEWLINK) return;
    auto* ifi = reinterpret_cast<struct ifinfomsg*>(NLMSG_DATA(nh));
    result.Set("up", Napi::Boolean::New(env, (ifi->ifi_flags & IFF_UP) != 0));
    auto attrs = NestedAttributes(IFLA_RTA(ifi), static_cast<int>(IFLA_PAYLOAD(nh)), IFLA_MAX);
    if (attrs[IFLA_MTU]) result.Set("mtu", Napi::Number::New(env, U32(attrs[IFLA_MTU])));
    if (attrs[IFLA_MASTER]) result.Set("master", Napi::Number::New(env, U32(attrs[IFLA_MASTER])));
    if (!attrs[IFLA_LINKINFO]) return;
    auto link = NestedAttributes(static_cast<struct rtattr*>(RTA_DATA(attrs[IFLA_LINKINFO])), RTA_PAYLOAD(attrs[IFLA_LINKINFO]), IFLA_INFO_MAX);
    if (!link[IFLA_INFO_KIND]) return;
    std::string kind(static_cast<const char*>(RTA_DATA(link[IFLA_INFO_KIND])), strnlen(static_cast<const char*>(RTA_DATA(link[IFLA_INFO_KIND])), RTA_PAYLOAD(link[IFLA_INFO_KIND])));
    result.Set("kind", Napi::String::New(env, kind));
    if (kind != "tun" || !link[IFLA_INFO_DATA]) return;
    auto tun = NestedAttributes(static_cast<struct rtattr*>(RTA_DATA(link[IFLA_INFO_DATA])), RTA_PAYLOAD(link[IFLA_INFO_DATA]), IFLA_TUN_MAX);
    auto u8 = [&](int type) { return tun[type] ? *static_cast<uint8_t*>(RTA_DATA(tun[type])) : 0; };
    Napi::Object t = Napi::Object::New(env);
    t.Set("tap", Napi::Boolean::New(env, u8(IFLA_TUN_TYPE) == IFF_TAP));
    t.Set("persist", Napi::Boolean::New(env, u8(IFLA_TUN_PERSIST) != 0));
    // Absent when none was set.
    t.Set("owner", Napi::Number::New(env, tun[IFLA_TUN_OWNER] ? double(U32(tun[IFLA_TUN_OWNER])) : -1));
    t.Set("group", Napi::Number::New(env, tun[IFLA_TUN_GROUP] ? double(U32(tun[IFLA_TUN_GROUP])) : -1));
    result.Set("tun", t);
  });
  if (err == ENODEV) return env.Null();
  if (err) return ThrowSysError(env, "RTM_GETLINK", "read the settings of " + name, err);

  struct {
    struct nlmsghdr nh;
    struct ifaddrmsg ifa;
  } addr_request{};
  addr_request.nh.nlmsg_len = sizeof(addr_request);
  addr_request.nh.nlmsg_type = RTM_GETADDR;
  addr_request.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  addr_request.nh.nlmsg_seq = 2;
  addr_request.ifa.ifa_family = AF_UNSPEC;
  Napi::Array addresses = Napi::Array::New(env);
  err = RtnetlinkQuery(&addr_request, sizeof(addr_request), [&](struct nlmsghdr* nh) {
    if (nh->nlmsg_type != RTM_NEWADDR) return;
    auto* ifa = reinterpret_cast<struct ifaddrmsg*>(NLMSG_DATA(nh));
    if (static_cast<int>(ifa->ifa_index) != index || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)) return;
    auto attrs = NestedAttributes(IFA_RTA(ifa), static_cast<int>(IFA_PAYLOAD(nh)), IFA_MAX);
    // IFA_LOCAL is the address itself where a point to point link gives IFA_ADDRESS its peer.
    struct rtattr* a = attrs[IFA_LOCAL] ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS];
    if (!a) return;
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(ifa->ifa_family, RTA_DATA(a), text, sizeof(text))) return;
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("address", Napi::String::New(env, text));
    entry.Set("prefixLength", Napi::Number::New(env, ifa->ifa_prefixlen));
    addresses.Set(addresses.Length(), entry);
  });
  if (err) return ThrowSysError(env, "RTM_GETADDR", "read the addresses of " + name, err);
  result.Set("addresses", addresses);
  return result;
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Args args(info, "closeFd");
  int fd = args.Int32(0, "fd");
  if (args.ok()) close(fd);
  return info.Env().Undefined();
}

// writeFrames(fd, bytes: Uint8Array, frames: Int32Array (frame layout), count): a batch
// of whole frames from one buffer in one call; returns how many were written and negates
// the length of each one the TAP refused. Each frame's inner TCP/UDP checksum is checked
// first and its verdict written beside it; an unfinished one is completed in place.
Napi::Value WriteFrames(const Napi::CallbackInfo& info) {
  namespace f = layout::frame;
  Args args(info, "writeFrames");
  int fd = args.Int32(0, "fd");
  Napi::Uint8Array bytes = args.Uint8Array(1, "bytes");
  Napi::Int32Array frames = args.Int32Array(2, "frames");
  uint32_t count = args.Uint32(3, "count");
  if (!args.ok()) return info.Env().Undefined();
  uint8_t* base = bytes.Data();
  size_t size = bytes.ByteLength();
  uint32_t written = 0;
  count = static_cast<uint32_t>(std::min<size_t>(count, frames.ElementLength() / f::stride));
  for (uint32_t i = 0; i < count; i++) {
    int32_t* e = frames.Data() + size_t(i) * f::stride;
    int32_t off = e[f::offset], len = e[f::length];
    ssize_t n = -1;
    e[f::checksum] = inner_checksum::kNone;
    if (InRegion(off, len, size)) {
      inner_checksum::Result r = inner_checksum::Check(base + off, static_cast<size_t>(len));
      if (r.verdict == inner_checksum::kCompleted) inner_checksum::Complete(base + off, r);
      e[f::checksum] = r.verdict;
      do {
        n = write(fd, base + off, len);
      } while (n < 0 && errno == EINTR);
    }
    if (n == static_cast<ssize_t>(len)) written++;
    else e[f::length] = -len;
  }
  return Napi::Number::New(info.Env(), written);
}

}  // namespace

namespace tap_device {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openTap", Napi::Function::New(env, OpenTap));
  exports.Set("setMtu", Napi::Function::New(env, SetMtu));
  exports.Set("setMac", Napi::Function::New(env, SetMac));
  exports.Set("getMac", Napi::Function::New(env, GetMac));
  exports.Set("setUp", Napi::Function::New(env, SetUp));
  exports.Set("addAddress", Napi::Function::New(env, AddAddress));
  exports.Set("addToBridge", Napi::Function::New(env, AddToBridge));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("setPersist", Napi::Function::New(env, SetPersist));
  exports.Set("linkInfo", Napi::Function::New(env, LinkInfo));
  exports.Set("writeFrames", Napi::Function::New(env, WriteFrames));
}
}  // namespace tap_device
