#pragma once
#include <napi.h>

// OffloadReader: FdReader's counterpart for a TAP opened with IFF_VNET_HDR. Each read
// brings a virtio_net_hdr and a frame of up to 64 KB; unfinished checksums are completed,
// and a TCP super-frame is cut into segments (software TSO) laid back to back as one
// train, each behind room for its VXLAN header; one JS call per batch.
namespace offload_reader {
void Init(Napi::Env env, Napi::Object exports);
}
