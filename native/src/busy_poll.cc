#include "busy_poll.h"

#include <napi.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <vector>

namespace busy_poll {
namespace {

constexpr int64_t kMaxSpinNs = 5'000'000;

std::vector<Pollable*> pollables;
int64_t budget_ns = 0;
bool spinning = false;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// setBusyPoll(µs): 0 turns busy polling off.
Napi::Value SetBusyPoll(const Napi::CallbackInfo& info) {
  SetBudgetUs(info[0].As<Napi::Number>().Uint32Value());
  return info.Env().Undefined();
}

}  // namespace

void Add(Pollable* p) {
  if (std::find(pollables.begin(), pollables.end(), p) == pollables.end()) pollables.push_back(p);
}

void Remove(Pollable* p) { pollables.erase(std::remove(pollables.begin(), pollables.end(), p), pollables.end()); }

void SetBudgetUs(uint32_t us) { budget_ns = int64_t(us) * 1000; }

void After() {
  if (budget_ns == 0 || spinning) return;
  spinning = true;
  const int64_t start = NowNs();
  int64_t last = start;
  for (int64_t now = start; now - last < budget_ns && now - start < kMaxSpinNs; now = NowNs()) {
    bool any = false;
    // By index: a batch handler may stop a reader, which removes it from the list.
    for (size_t i = 0; i < pollables.size(); i++) any = pollables[i]->PollOnce() || any;
    if (any) {
      last = NowNs();
    } else {
      // Whatever else wants this core (the application the packets are for, the other
      // end of the tunnel on a small machine) runs first: spin, do not starve it.
      sched_yield();
    }
  }
  spinning = false;
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("setBusyPoll", Napi::Function::New(env, SetBusyPoll)); }

}  // namespace busy_poll
