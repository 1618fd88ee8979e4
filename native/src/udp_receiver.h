#pragma once
#include <napi.h>
#include "underlay_options.h"

// UdpReceiver: the VXLAN port's UDP socket, drained with recvmmsg into the slots of a
// packet region, with each datagram's (or UDP GRO train's) source address, port, outer
// TOS/traffic class and segment size; one JS call per batch.
namespace udp_receiver {
void Init(Napi::Env env, Napi::Object exports);

// The underlay options the UdpReceiver `value` was made with, read once and shared by the
// sender; nullptr (a TypeError pending) when `value` is not a UdpReceiver.
const UnderlayOptions* OptionsOf(Napi::Env env, Napi::Value value);
}
