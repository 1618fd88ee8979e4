#pragma once
#include <napi.h>

// UdpSender: sends VXLAN datagrams in batches through kernel UDP sockets bound to ports
// of the source port range (the port the engine chose per flow picks the socket), with
// TTL and TOS per send, DF per socket, and a train of datagrams in one sendmsg with
// UDP_SEGMENT (GSO). The datagrams go out from the packet region as they lie.
namespace udp_sender {
void Init(Napi::Env env, Napi::Object exports);
}
