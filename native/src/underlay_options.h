// The underlay settings both UDP endpoints share, read from one JS object:
// { family: 4|6, local: '' | address, port, device: '' | ifname, groups: [address...],
//   busyPollUs }.
#pragma once
#include <napi.h>
#include "args.h"
#include <net/if.h>
#include <sys/socket.h>
#include <cerrno>
#include <string>
#include <vector>

// Sizes a UDP socket's receive or send buffer for bursts of batches: the FORCE variant
// (`force_opt`, root) passes net.core.[rw]mem_max; without it the capped one (`opt`).
inline void SetSocketBuffer(int fd, int force_opt, int opt) {
  int size = 4 * 1024 * 1024;
  if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0) setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

struct UnderlayOptions {
  int family = AF_INET;
  std::string local;
  uint16_t port = 0;
  std::string device;
  unsigned ifindex = 0;  // of device, 0 when none
  std::vector<std::string> groups;
  uint32_t busy_poll_us = 0;
  int adopt_fd = -1;  // a bound UDP socket handed over by a predecessor (fd), used as it is

  // Reads the object at argument `i`. Returns false with a TypeError pending when it or a
  // field is of the wrong type; `*err` is then 0, else 0 or an errno (ENODEV when the
  // device does not exist).
  bool Read(Args& args, size_t i, int* err) {
    *err = 0;
    Napi::Object o = args.Object(i, "underlay");
    if (!args.ok()) return false;
    Napi::Value groups_value = o.Get("groups");
    bool typed = o.Get("family").IsNumber() && o.Get("local").IsString() && o.Get("port").IsNumber() &&
                 o.Get("device").IsString() && groups_value.IsArray() && o.Get("busyPollUs").IsNumber();
    Napi::Array list = typed ? groups_value.As<Napi::Array>() : Napi::Array();
    for (uint32_t g = 0; typed && g < list.Length(); g++) typed = list.Get(g).IsString();
    if (!typed) {
      Napi::TypeError::New(o.Env(), "underlay options: family, port and busyPollUs must be numbers, local and device strings, groups an array of strings")
          .ThrowAsJavaScriptException();
      return false;
    }
    family = o.Get("family").As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
    local = o.Get("local").As<Napi::String>().Utf8Value();
    port = static_cast<uint16_t>(o.Get("port").As<Napi::Number>().Uint32Value());
    device = o.Get("device").As<Napi::String>().Utf8Value();
    for (uint32_t g = 0; g < list.Length(); g++) groups.push_back(list.Get(g).As<Napi::String>().Utf8Value());
    busy_poll_us = o.Get("busyPollUs").As<Napi::Number>().Uint32Value();
    if (o.Get("fd").IsNumber()) adopt_fd = o.Get("fd").As<Napi::Number>().Int32Value();
    if (!device.empty()) {
      ifindex = if_nametoindex(device.c_str());
      if (ifindex == 0) *err = ENODEV;
    }
    return true;
  }

  // Restricts the socket to the underlay device, as the kernel's vxlan `dev` does.
  int BindToDevice(int fd) const {
    if (device.empty()) return 0;
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), device.size()) < 0 ? errno : 0;
  }
};
