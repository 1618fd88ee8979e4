// The legacy ethtool commands (ETHTOOL_GTXCSUM/STXCSUM, ETHTOOL_GTSO/STSO,
// ETHTOOL_GGRO/SGRO) on a device in a network namespace given by its file
// (/run/netns/NAME, "" for this thread's own): the same as `ethtool -k` / `ethtool -K
// <dev> tx|tso|gro on|off`. Setting tx off makes the kernel complete checksums in
// software, which a veth otherwise leaves unfinished; gro on gives a veth the receive
// coalescing a NIC's driver does.
#include "ethtool.h"
#include "errors.h"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace {

// Opens a datagram socket inside the namespace at `netns_path`. setns() moves only the
// calling thread, which moves back before returning; the socket stays in the namespace it
// was created in. Returns the socket, or -1 with `what` naming the failed step (errno set).
int SocketIn(const std::string& netns_path, std::string* what) {
  if (netns_path.empty()) {
    *what = "socket";
    return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) {
    *what = "open /proc/thread-self/ns/net";
    return -1;
  }
  int target = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(own);
    *what = "open " + netns_path;
    errno = err;
    return -1;
  }
  int s = -1;
  int err = 0;
  if (setns(target, CLONE_NEWNET) < 0) {
    err = errno;
    *what = "setns " + netns_path;
  } else {
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      err = errno;
      *what = "socket";
    }
    // Returning to the thread's own namespace cannot fail once leaving it worked.
    setns(own, CLONE_NEWNET);
  }
  close(target);
  close(own);
  errno = err;
  return s;
}

// Runs one ethtool command with a value on `ifname`. Returns "" or the failed step (errno set).
std::string EthtoolValue(const std::string& netns_path, const std::string& ifname, uint32_t cmd, uint32_t* value) {
  if (ifname.size() >= IFNAMSIZ) {
    errno = EINVAL;
    return "interface name " + ifname;
  }
  std::string what;
  int s = SocketIn(netns_path, &what);
  if (s < 0) return what;
  struct ethtool_value data = {cmd, *value};
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
  ifr.ifr_data = reinterpret_cast<char*>(&data);
  int rc = ioctl(s, SIOCETHTOOL, &ifr);
  int err = errno;
  close(s);
  if (rc < 0) {
    errno = err;
    return "SIOCETHTOOL " + ifname;
  }
  *value = data.data;
  return "";
}

// The ethtool commands for a feature name: 'tx' (checksums), 'tso' or 'gro'; false if unknown.
bool Commands(const std::string& feature, uint32_t* get, uint32_t* set) {
  if (feature == "tx") {
    *get = ETHTOOL_GTXCSUM;
    *set = ETHTOOL_STXCSUM;
  } else if (feature == "tso") {
    *get = ETHTOOL_GTSO;
    *set = ETHTOOL_STSO;
  } else if (feature == "gro") {
    *get = ETHTOOL_GGRO;
    *set = ETHTOOL_SGRO;
  } else {
    return false;
  }
  return true;
}

// offloadFeature(netnsPath, ifname, feature, on?): sets the feature when `on` is given,
// and returns its state (after setting it).
Napi::Value OffloadFeature(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns_path = info[0].As<Napi::String>().Utf8Value();
  std::string ifname = info[1].As<Napi::String>().Utf8Value();
  uint32_t get = 0;
  uint32_t set = 0;
  if (!Commands(info[2].As<Napi::String>().Utf8Value(), &get, &set)) {
    Napi::TypeError::New(env, "feature must be 'tx', 'tso' or 'gro'").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    uint32_t on = info[3].ToBoolean().Value() ? 1 : 0;
    std::string what = EthtoolValue(netns_path, ifname, set, &on);
    if (!what.empty()) return ThrowSysError(env, what, errno);
  }
  uint32_t value = 0;
  std::string what = EthtoolValue(netns_path, ifname, get, &value);
  if (!what.empty()) return ThrowSysError(env, what, errno);
  return Napi::Boolean::New(env, value != 0);
}

}  // namespace

namespace ethtool {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("offloadFeature", Napi::Function::New(env, OffloadFeature));
}
}  // namespace ethtool
