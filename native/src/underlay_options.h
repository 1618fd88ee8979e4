// The underlay settings both UDP endpoints share, read from one JS object:
// { family: 4|6, local: '' | address, port, device: '' | ifname, groups: [address...],
//   busyPollUs, udpChecksum, udp6ZeroChecksumTx, udp6ZeroChecksumRx, reusePort,
//   claimPort, multicastAll, fd? },
// UnderlayOptions in src/io/native.ts. Its keys are checked both
// ways: a required key the object lacks, or one this parser does not know, is a TypeError
// naming it, so that the two definitions cannot drift apart unnoticed.
#pragma once
#include <napi.h>
#include "args.h"
#include <net/if.h>
#include <sys/socket.h>
#include <algorithm>
#include <cerrno>
#include <iterator>
#include <string>
#include <vector>

// Sizes a UDP socket's receive or send buffer (`size` bytes) for bursts of batches: the
// FORCE variant (`force_opt`, root) passes net.core.[rw]mem_max; without it the capped one
// (`opt`).
inline void SetSocketBuffer(int fd, int force_opt, int opt, int size) {
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
  bool udp_checksum = true;            // IPv4: outer UDP checksums sent (udpcsum)
  bool udp6_zero_checksum_tx = false;  // IPv6: sent without UDP checksum (udp6zerocsumtx)
  bool udp6_zero_checksum_rx = false;  // IPv6: zero-checksum datagrams taken (udp6zerocsumrx)
  bool reuse_port = false;    // SO_REUSEPORT: one socket per data-path worker on the port
  bool claim_port = false;    // with reuse_port: fail where anyone holds the port already
  bool multicast_all = true;  // false: no group's datagrams unless this socket joined it
  int adopt_fd = -1;  // a bound UDP socket handed over by a predecessor (fd), used as it is

  // Reads the object at argument `i`. Returns false with a TypeError pending when it is
  // not an object, lacks a key or has an unknown one, or a field is of the wrong type;
  // `*err` is then 0, else 0 or an errno (ENODEV when the device does not exist).
  bool Read(Args& args, size_t i, int* err) {
    *err = 0;
    Napi::Object o = args.Object(i, "underlay");
    if (!args.ok() || !HasExactKeys(o)) return false;
    Napi::Value groups_value = o.Get("groups");
    bool typed = o.Get("family").IsNumber() && o.Get("local").IsString() && o.Get("port").IsNumber() &&
                 o.Get("device").IsString() && groups_value.IsArray() && o.Get("busyPollUs").IsNumber() &&
                 o.Get("udpChecksum").IsBoolean() && o.Get("udp6ZeroChecksumTx").IsBoolean() && o.Get("udp6ZeroChecksumRx").IsBoolean() &&
                 o.Get("reusePort").IsBoolean() && o.Get("claimPort").IsBoolean() && o.Get("multicastAll").IsBoolean();
    Napi::Array list = typed ? groups_value.As<Napi::Array>() : Napi::Array();
    for (uint32_t g = 0; typed && g < list.Length(); g++) typed = list.Get(g).IsString();
    if (!typed) {
      Napi::TypeError::New(o.Env(), "underlay options: family, port and busyPollUs must be numbers, local and device strings, groups an array of strings, the checksum settings booleans")
          .ThrowAsJavaScriptException();
      return false;
    }
    family = o.Get("family").As<Napi::Number>().Int32Value() == 6 ? AF_INET6 : AF_INET;
    local = o.Get("local").As<Napi::String>().Utf8Value();
    port = static_cast<uint16_t>(o.Get("port").As<Napi::Number>().Uint32Value());
    device = o.Get("device").As<Napi::String>().Utf8Value();
    for (uint32_t g = 0; g < list.Length(); g++) groups.push_back(list.Get(g).As<Napi::String>().Utf8Value());
    busy_poll_us = o.Get("busyPollUs").As<Napi::Number>().Uint32Value();
    udp_checksum = o.Get("udpChecksum").As<Napi::Boolean>().Value();
    udp6_zero_checksum_tx = o.Get("udp6ZeroChecksumTx").As<Napi::Boolean>().Value();
    udp6_zero_checksum_rx = o.Get("udp6ZeroChecksumRx").As<Napi::Boolean>().Value();
    reuse_port = o.Get("reusePort").As<Napi::Boolean>().Value();
    claim_port = o.Get("claimPort").As<Napi::Boolean>().Value();
    multicast_all = o.Get("multicastAll").As<Napi::Boolean>().Value();
    if (o.Get("fd").IsNumber()) adopt_fd = o.Get("fd").As<Napi::Number>().Int32Value();
    if (!device.empty()) {
      ifindex = if_nametoindex(device.c_str());
      if (ifindex == 0) *err = ENODEV;
    }
    return true;
  }

  // False, with a TypeError pending that names it, when `o` has a key that is not one of
  // these or lacks one that is required (a key whose value is undefined counts as absent).
  static bool HasExactKeys(Napi::Object o) {
    struct Key {
      const char* name;
      bool required;
    };
    static const Key kKeys[] = {{"family", true},      {"local", true},      {"port", true},
                                {"device", true},      {"groups", true},     {"busyPollUs", true},
                                {"udpChecksum", true}, {"udp6ZeroChecksumTx", true}, {"udp6ZeroChecksumRx", true},
                                {"reusePort", true},   {"claimPort", true},      {"multicastAll", true},   {"fd", false}};
    std::string problem, known;
    for (const Key& key : kKeys) {
      known += std::string(known.empty() ? "" : ", ") + key.name + (key.required ? "" : "?");
      if (problem.empty() && key.required && o.Get(key.name).IsUndefined()) problem = std::string("missing ") + key.name;
    }
    Napi::Array names = o.GetPropertyNames();
    for (uint32_t k = 0; k < names.Length() && problem.empty(); k++) {
      std::string name = names.Get(k).ToString().Utf8Value();
      auto same = [&name](const Key& key) { return name == key.name; };
      if (std::none_of(std::begin(kKeys), std::end(kKeys), same)) problem = "unknown key " + name;
    }
    if (problem.empty()) return true;
    Napi::TypeError::New(o.Env(), "underlay options: " + problem + " (the keys are " + known + ")").ThrowAsJavaScriptException();
    return false;
  }

  // Whether sent datagrams go without a UDP checksum (which UDP GSO cannot do).
  bool SendsNoChecksum() const { return family == AF_INET ? !udp_checksum : udp6_zero_checksum_tx; }

  // Restricts the socket to the underlay device, as the kernel's vxlan `dev` does.
  int BindToDevice(int fd) const {
    if (device.empty()) return 0;
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), device.size()) < 0 ? errno : 0;
  }
};
