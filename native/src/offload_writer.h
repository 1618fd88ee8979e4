#pragma once
#include <napi.h>

// writeFramesOffload: TAP writes for a device opened with IFF_VNET_HDR. Every frame needs
// a virtio_net_hdr in front (writev, no copy of the frame); consecutive segments of one
// TCP flow are merged into one super-frame (GRO in userspace) unless told not to.
namespace offload_writer {
void Init(Napi::Env env, Napi::Object exports);
}
