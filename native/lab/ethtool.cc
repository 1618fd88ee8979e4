// The lab's addon (vxlan_lab), apart from the VTEP's: a device's checksum and
// segmentation offloads through the SIOCETHTOOL ioctl, in any named network namespace, so
// that neither the demo nor the tests need the ethtool program. The legacy ethtool
// commands (ETHTOOL_GTXCSUM/STXCSUM, ETHTOOL_GTSO/STSO, ETHTOOL_GGRO/SGRO) on a device in
// a network namespace given by its file (/run/netns/NAME, "" for this thread's own): the
// same as `ethtool -k` / `ethtool -K <dev> tx|tso|gro on|off`. Setting tx off makes the
// kernel complete checksums in software, which a veth otherwise leaves unfinished; gro on
// gives a veth the receive coalescing a NIC's driver does.
#include <napi.h>
#include "args.h"
#include "errors.h"
#include "ifname.h"

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
// was created in. Returns the socket, or -1 with `step` and `what` naming the failed step
// (errno set).
int SocketIn(const std::string& netns_path, const char** step, std::string* what) {
  if (netns_path.empty()) {
    *step = "socket";
    *what = "socket";
    return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0) {
    *step = "open";
    *what = "open /proc/thread-self/ns/net";
    return -1;
  }
  int target = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(own);
    *step = "open";
    *what = "open " + netns_path;
    errno = err;
    return -1;
  }
  int s = -1;
  int err = 0;
  if (setns(target, CLONE_NEWNET) < 0) {
    err = errno;
    *step = "setns";
    *what = "setns " + netns_path;
  } else {
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      err = errno;
      *step = "socket";
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

// Runs one ethtool command with a value on `ifname`. Returns nullptr, or the failed step
// with `what` saying what was done (errno set).
const char* EthtoolValue(const std::string& netns_path, const std::string& ifname, uint32_t cmd, uint32_t* value,
                         std::string* what) {
  struct ifreq ifr;
  if (!CopyIfName(ifname, &ifr)) {
    errno = EINVAL;
    *what = "interface name \"" + ifname + "\" (1 to 15 characters)";
    return "ifname";
  }
  const char* step = nullptr;
  int s = SocketIn(netns_path, &step, what);
  if (s < 0) return step;
  struct ethtool_value data = {cmd, *value};
  ifr.ifr_data = reinterpret_cast<char*>(&data);
  int rc = ioctl(s, SIOCETHTOOL, &ifr);
  int err = errno;
  close(s);
  if (rc < 0) {
    errno = err;
    *what = "SIOCETHTOOL " + ifname;
    return "SIOCETHTOOL";
  }
  *value = data.data;
  return nullptr;
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
  Args args(info, "offloadFeature");
  std::string netns_path = args.String(0, "netnsPath");
  std::string ifname = args.String(1, "ifname");
  std::string feature = args.String(2, "feature");
  bool set_it = info.Length() > 3 && !info[3].IsUndefined();
  bool on = set_it && args.Boolean(3, "on");
  if (!args.ok()) return env.Undefined();
  uint32_t get = 0;
  uint32_t set = 0;
  if (!Commands(feature, &get, &set)) {
    Napi::TypeError::New(env, "offloadFeature: feature must be 'tx', 'tso' or 'gro'").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (set_it) {
    uint32_t value = on ? 1 : 0;
    std::string what;
    if (const char* step = EthtoolValue(netns_path, ifname, set, &value, &what)) return ThrowSysError(env, step, what, errno);
  }
  uint32_t value = 0;
  std::string what;
  if (const char* step = EthtoolValue(netns_path, ifname, get, &value, &what)) return ThrowSysError(env, step, what, errno);
  return Napi::Boolean::New(env, value != 0);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("offloadFeature", Napi::Function::New(env, OffloadFeature));
  return exports;
}

}  // namespace

NODE_API_MODULE(vxlan_lab, Init)
