#pragma once
#include <napi.h>

// OffloadReader: FdReader's counterpart for a TAP opened with IFF_VNET_HDR. Each read
// brings a virtio_net_hdr and a frame of up to 64 KB; TCP super-frames are cut into
// segments (software TSO) and unfinished checksums completed, so that JS sees the same
// thing as from FdReader: whole, MTU-sized frames in pool slots, one call per batch.
namespace offload_reader {
void Init(Napi::Env env, Napi::Object exports);
}
