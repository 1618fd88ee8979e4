#include "busy_poll.h"
#include "addon_modules.h"
#include "args.h"

#include <sched.h>
#include <uv.h>

namespace busy_poll {
namespace {

// Per thread: each data-path worker polls on its own event loop.
thread_local uv_idle_t* idle = nullptr;
thread_local uint64_t budget_ns = 0;
thread_local uint64_t last_activity = 0;

void OnIdle(uv_idle_t* handle) {
  if (uv_hrtime() - last_activity >= budget_ns) {
    uv_idle_stop(handle);  // the budget passed without a packet: sleep again
    return;
  }
  // Let whatever else wants this core run first (the application the packets are for,
  // the other end of a tunnel on a small machine): poll, do not starve it.
  sched_yield();
}

// The thread's environment is going: the handle goes before its loop is closed.
void CloseIdle(void*) {
  if (idle == nullptr) return;
  uv_idle_stop(idle);
  uv_close(reinterpret_cast<uv_handle_t*>(idle), [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
  idle = nullptr;
  budget_ns = 0;
}

// setBusyPoll(µs): 0 turns busy polling off.
Napi::Value SetBusyPoll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "setBusyPoll");
  uint32_t us = args.Uint32(0, "us");
  if (!args.ok()) return env.Undefined();
  budget_ns = uint64_t(us) * 1000;
  if (budget_ns > 0 && idle == nullptr) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    idle = new uv_idle_t;
    uv_idle_init(loop, idle);
    // The idle handle alone must not keep the process alive.
    uv_unref(reinterpret_cast<uv_handle_t*>(idle));
    napi_add_env_cleanup_hook(env, CloseIdle, nullptr);
  }
  if (budget_ns == 0 && idle != nullptr) uv_idle_stop(idle);
  return env.Undefined();
}

}  // namespace

void Activity() {
  if (budget_ns == 0 || idle == nullptr) return;
  last_activity = uv_hrtime();
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(idle))) uv_idle_start(idle, OnIdle);
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("setBusyPoll", Napi::Function::New(env, SetBusyPoll)); }

}  // namespace busy_poll
