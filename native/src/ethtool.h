#pragma once
#include <napi.h>

// A device's checksum and segmentation offloads through the SIOCETHTOOL ioctl, in any
// named network namespace, so that neither the demo nor the tests need the ethtool program.
namespace ethtool {
void Init(Napi::Env env, Napi::Object exports);
}
