// Entry point of the vxlan-tap native addon.
#include <napi.h>
#include "batch_layout.h"
#include "busy_poll.h"
#include "ethtool.h"
#include "fd_reader.h"
#include "offload_reader.h"
#include "offload_writer.h"
#include "tap_device.h"
#include "udp_receiver.h"
#include "udp_sender.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("layout", layout::Export(env));
  tap_device::Init(env, exports);
  ethtool::Init(env, exports);
  fd_reader::Init(env, exports);
  offload_reader::Init(env, exports);
  offload_writer::Init(env, exports);
  udp_receiver::Init(env, exports);
  udp_sender::Init(env, exports);
  busy_poll::Init(env, exports);
  return exports;
}

NODE_API_MODULE(vxlan_native, Init)
