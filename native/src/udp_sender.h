#pragma once
#include <napi.h>

// UdpSender: sends VXLAN datagrams in batches (sendmmsg) through raw IPPROTO_UDP sockets,
// so that each datagram gets its own UDP source port (the flow hash), TTL, TOS and DF,
// as the kernel's vxlan does. The UDP header is built here and the payload is sent from
// the pool in place (two iovecs, no copy).
namespace udp_sender {
void Init(Napi::Env env, Napi::Object exports);
}
