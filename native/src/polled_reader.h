// What the three readers (plain TAP, offload TAP, UDP socket) share: the fd they read,
// the region and batch they fill, being started and stopped on the thread's packet loop
// (packet_loop.h), and failing loudly: an fd error stops reading and reaches JS as the
// callback with -errno. `Self` derives from this and has `bool Drain()`, called each
// time the fd is readable.
#pragma once
#include <napi.h>
#include "batch_region.h"
#include "errors.h"
#include "packet_loop.h"

template <typename Self>
class PolledReader : public Napi::ObjectWrap<Self>, public packet_loop::Source {
 public:
  explicit PolledReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Self>(info) {}
  // Finalized while watched (its environment going): the loop forgets it.
  ~PolledReader() override {
    if (watching_) packet_loop::Unwatch(fd_);
  }

  bool OnReadable() override { return static_cast<Self*>(this)->Drain(); }
  void OnError(int err) override { Fail(err); }

 protected:
  // start(): watches the fd; the reader stays alive while the loop may call it.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0 || watching_) return env.Undefined();
    int err = packet_loop::Watch(env, fd_, this);
    if (err != 0) return ThrowSysError(env, "epoll_ctl", "watch fd", err);
    running_ = watching_ = true;
    this->Ref();
    return env.Undefined();
  }

  // stop(): no more reads; a drain under way ends after the batch it is handing over.
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPolling();
    return info.Env().Undefined();
  }

  // Stops reading and tells JS (a TAP deleted from outside, EIO, a socket error): never a
  // reader that goes quiet without a word, nor one that spins on an error.
  void Fail(int err) {
    Napi::HandleScope scope(this->Env());
    StopPolling();
    batch_.DeliverError(this->Env(), this->Value(), err);
  }

  bool running() const { return running_; }

  int fd_ = -1;
  BatchRegion batch_;

 private:
  void StopPolling() {
    running_ = false;
    if (!watching_) return;
    watching_ = false;
    packet_loop::Unwatch(fd_);
    this->Unref();
  }

  bool running_ = false;
  bool watching_ = false;
};
