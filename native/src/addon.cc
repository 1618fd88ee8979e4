// Entry point of the vxlan-tap native addon: the batch layout, then every module of
// addon_modules.h.
#include <napi.h>
#include "addon_modules.h"
#include "batch_layout.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("layout", layout::Export(env));
  tap_device::Init(env, exports);
  fd_reader::Init(env, exports);
  offload_reader::Init(env, exports);
  offload_writer::Init(env, exports);
  udp_receiver::Init(env, exports);
  udp_sender::Init(env, exports);
  packet_loop::Init(env, exports);
  return exports;
}

NODE_API_MODULE(vxlan_native, Init)
