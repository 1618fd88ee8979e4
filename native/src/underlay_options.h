// The underlay settings both UDP endpoints share, read from one JS object:
// { family: 4|6, local: '' | address, port, device: '' | ifname, groups: [address...],
//   busyPollUs }.
#pragma once
#include <napi.h>
#include <net/if.h>
#include <sys/socket.h>
#include <cerrno>
#include <string>
#include <vector>

struct UnderlayOptions {
  int family = AF_INET;
  std::string local;
  uint16_t port = 0;
  std::string device;
  unsigned ifindex = 0;  // of device, 0 when none
  std::vector<std::string> groups;
  uint32_t busy_poll_us = 0;
  int adopt_fd = -1;  // a bound UDP socket handed over by a predecessor (fd), used as it is

  // Returns 0, or an errno (ENODEV when the device does not exist).
  int Read(const Napi::Object& o) {
    family = o.Get("family").As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
    local = o.Get("local").As<Napi::String>().Utf8Value();
    port = static_cast<uint16_t>(o.Get("port").As<Napi::Number>().Uint32Value());
    device = o.Get("device").As<Napi::String>().Utf8Value();
    Napi::Array list = o.Get("groups").As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) groups.push_back(list.Get(i).As<Napi::String>().Utf8Value());
    busy_poll_us = o.Get("busyPollUs").As<Napi::Number>().Uint32Value();
    if (o.Get("fd").IsNumber()) adopt_fd = o.Get("fd").As<Napi::Number>().Int32Value();
    if (device.empty()) return 0;
    ifindex = if_nametoindex(device.c_str());
    return ifindex == 0 ? ENODEV : 0;
  }

  // Restricts the socket to the underlay device, as the kernel's vxlan `dev` does.
  int BindToDevice(int fd) const {
    if (device.empty()) return 0;
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), device.size()) < 0 ? errno : 0;
  }
};
