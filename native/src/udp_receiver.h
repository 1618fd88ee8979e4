#pragma once
#include <napi.h>

// UdpReceiver: the VXLAN port's UDP socket, drained with recvmmsg into pool slots, with
// each datagram's source address and outer TOS/traffic class; one JS call per batch.
namespace udp_receiver {
void Init(Napi::Env env, Napi::Object exports);
}
