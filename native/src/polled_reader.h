// What the three readers (plain TAP, offload TAP, UDP socket) share: the fd they read,
// the region and batch they fill, being started and stopped on Node's event loop, and
// failing loudly: an fd error stops reading and reaches JS as the callback with -errno.
// `Self` derives from this and has `bool Drain()`, called each time the fd is readable.
#pragma once
#include <napi.h>
#include "batch_region.h"
#include "errors.h"
#include "fd_poll.h"

template <typename Self>
class PolledReader : public Napi::ObjectWrap<Self> {
 public:
  explicit PolledReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Self>(info) {}

 protected:
  friend class FdPoll<Self>;

  // start(): watches the fd; the reader stays alive while the loop may call it.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return env.Undefined();
    int rc = poll_.Start(env, fd_, static_cast<Self*>(this));
    if (rc != 0) return ThrowSysError(env, "uv_poll", "watch fd", -rc);
    running_ = true;
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
    if (poll_.Stop()) this->Unref();
  }

  bool running_ = false;
  FdPoll<Self> poll_;
};
