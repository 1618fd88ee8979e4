// What the UDP receiver shares with the sender: the underlay options it was made with.
#pragma once
#include <napi.h>
#include "underlay_options.h"

namespace udp_receiver {

// The underlay options the UdpReceiver `value` was made with, read once and shared by the
// sender; nullptr (a TypeError pending) when `value` is not a UdpReceiver.
const UnderlayOptions* OptionsOf(Napi::Env env, Napi::Value value);

}  // namespace udp_receiver
