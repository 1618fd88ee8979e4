// Watches an fd for readability on Node's event loop (uv_poll, level-triggered) and calls
// the owner's Drain() each time; one that brought packets keeps busy polling going.
// Shared by the TAP and UDP readers (see polled_reader.h). When the fd reports an error
// (POLLERR: a TAP deleted from outside) libuv stops watching it and the owner's
// Fail(errno) is called: never a reader that goes quiet without a word. A thread that
// ends while still watching (a data-path worker ended from outside, process.exit) closes
// the handle in its environment's cleanup, before its loop is closed.
#pragma once
#include <napi.h>
#include <uv.h>
#include "busy_poll.h"

template <typename Owner>
class FdPoll {
 public:
  // Returns 0 or a negative libuv error code.
  int Start(napi_env env, int fd, Owner* owner) {
    if (handle_) return 0;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    handle_ = new uv_poll_t;
    int rc = uv_poll_init(loop, handle_, fd);
    if (rc == 0) {
      handle_->data = owner;
      rc = uv_poll_start(handle_, UV_READABLE, [](uv_poll_t* h, int status, int) {
        Owner* owner = static_cast<Owner*>(h->data);
        if (status < 0) return owner->Fail(-status);
        if (owner->Drain()) busy_poll::Activity();
      });
    }
    if (rc != 0) {
      delete handle_;
      handle_ = nullptr;
      return rc;
    }
    env_ = env;
    napi_add_env_cleanup_hook(env, OnCleanup, this);
    return rc;
  }

  // Stops watching; the handle is freed once libuv has closed it.
  bool Stop() {
    if (!handle_) return false;
    napi_remove_env_cleanup_hook(env_, OnCleanup, this);
    uv_poll_stop(handle_);
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
    return true;
  }

 private:
  static void OnCleanup(void* self) { static_cast<FdPoll*>(self)->Stop(); }

  uv_poll_t* handle_ = nullptr;
  napi_env env_ = nullptr;
};
