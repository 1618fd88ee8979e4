// The table of contents of the VTEP's addon: its modules, one line each. Every module's
// Init adds its exports to the addon's object; addon.cc calls them in this order. Private
// to the addon; what modules share with each other has headers of its own (packet_loop.h,
// udp/udp_receiver.h), and the lab's addon (native/lab) is apart.
//
//   native/src      what both devices share: arguments, the batch layout and region,
//                   errors, the packet loop (with busy polling), checksums, wire constants
//   native/src/tap  the TAP device: ioctls, readers, writers, the offload packet code
//   native/src/udp  the underlay's UDP sockets: receiver and sender
#pragma once
#include <napi.h>

// openTap, setMtu, setMac, getMac, setUp, addAddress, addToBridge, setPersist, linkInfo, closeFd, writeFrames: the TAP device.
namespace tap_device { void Init(Napi::Env env, Napi::Object exports); }

// FdReader: a plain TAP read frame by frame into a region, each behind VXLAN header room.
namespace fd_reader { void Init(Napi::Env env, Napi::Object exports); }

// OffloadReader: an IFF_VNET_HDR TAP read; checksums completed, super-frames cut (TSO).
namespace offload_reader { void Init(Napi::Env env, Napi::Object exports); }

// writeFramesOffload: TAP writes behind a virtio_net_hdr, same-flow TCP segments merged.
namespace offload_writer { void Init(Napi::Env env, Napi::Object exports); }

// UdpReceiver: the VXLAN port's socket drained with recvmmsg, GRO trains included.
namespace udp_receiver { void Init(Napi::Env env, Napi::Object exports); }

// UdpSender: batches sent with sendmmsg from sockets per source port, trains with GSO.
namespace udp_sender { void Init(Napi::Env env, Napi::Object exports); }

// setBusyPoll: how long the thread's packet loop polls after packets (packet_loop.h).
namespace packet_loop { void Init(Napi::Env env, Napi::Object exports); }
