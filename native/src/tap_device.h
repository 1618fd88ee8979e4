#pragma once
#include <napi.h>

// TAP device creation and configuration through ioctls on /dev/net/tun and a control socket.
namespace tap_device {
void Init(Napi::Env env, Napi::Object exports);
}
