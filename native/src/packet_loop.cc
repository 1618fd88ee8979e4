#include "packet_loop.h"
#include "addon_modules.h"
#include "args.h"

#include <sched.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <vector>

namespace packet_loop {
namespace {

constexpr int kEvents = 16;

// Per thread: each data-path worker serves its own readers.
struct Loop {
  uv_loop_t* libuv = nullptr;
  int epoll_fd = -1;
  int libuv_fd = -1;
  // Runs the loop in the event loop's check phase.
  uv_check_t* check = nullptr;
  // Active between two runs: the event loop polls its own fds without sleeping, and
  // comes back to the check phase at once.
  uv_idle_t* idle = nullptr;
  // By fd: looked up per event, so that a source unwatched while its event waits in the
  // same round is skipped, never called.
  std::vector<Source*> sources;
  int watched = 0;
  uint64_t busy_poll_ns = 0;
  uint64_t last_packets = 0;
};
thread_local Loop loop;

// Milliseconds until libuv has work (its next timer; 0: now; -1: none), as it would wait.
int LibuvTimeout() {
  uv_update_time(loop.libuv);
  return uv_backend_timeout(loop.libuv);
}

// Serves the readers until the event loop has work or no reader is left.
void Serve() {
  epoll_event events[kEvents];
  while (loop.watched > 0) {
    int timeout = LibuvTimeout();
    bool polling = loop.busy_poll_ns > 0 && uv_hrtime() - loop.last_packets < loop.busy_poll_ns;
    int n = epoll_wait(loop.epoll_fd, events, kEvents, polling ? 0 : timeout);
    if (n < 0 && errno != EINTR) return;  // EBADF, EINVAL: a bug; the event loop has its turn
    // A timer due (the wait timed out, or was not to wait at all) is the event loop's turn.
    bool turn = timeout == 0 || (n == 0 && !polling);
    bool packets = false;
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == loop.libuv_fd) {
        turn = true;
        continue;
      }
      Source* source = static_cast<size_t>(fd) < loop.sources.size() ? loop.sources[fd] : nullptr;
      if (source == nullptr) continue;
      // As uv_poll reported it: an fd in error is EBADF to its reader.
      if (events[i].events & EPOLLERR) source->OnError(EBADF);
      else packets = source->OnReadable() || packets;
    }
    // The clock is read only where busy polling needs it, not on every wake-up.
    if (packets && loop.busy_poll_ns > 0) loop.last_packets = uv_hrtime();
    if (turn) return;
    // Polling: whatever else wants this core runs first, every round (the application
    // the packets are for, the other end of a tunnel on a small machine, whose packets
    // a poller that only yields when it finds none would hold back).
    if (polling) sched_yield();
  }
}

void KeepAwake(uv_idle_t*) {}

void OnCheck(uv_check_t*) {
  uv_idle_stop(loop.idle);
  Serve();
  // Readers left: back here at the next turn, without the event loop sleeping before it.
  if (loop.watched > 0) uv_idle_start(loop.idle, KeepAwake);
}

// The thread's environment is going: the handles go before its loop is closed.
void CloseLoop(void*) {
  uv_close(reinterpret_cast<uv_handle_t*>(loop.check), [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(loop.idle), [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
  close(loop.epoll_fd);
  loop = Loop();
}

// The epoll set (libuv's own fd in it: readable when the event loop has work) and the
// handles.
int Open(napi_env env) {
  if (loop.epoll_fd >= 0) return 0;
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return errno;
  loop.epoll_fd = epoll_fd;
  napi_get_uv_event_loop(env, &loop.libuv);
  loop.libuv_fd = uv_backend_fd(loop.libuv);
  epoll_event event = {};
  event.events = EPOLLIN;
  event.data.fd = loop.libuv_fd;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, loop.libuv_fd, &event);
  loop.check = new uv_check_t;
  loop.idle = new uv_idle_t;
  uv_check_init(loop.libuv, loop.check);
  uv_idle_init(loop.libuv, loop.idle);
  napi_add_env_cleanup_hook(env, CloseLoop, nullptr);
  return 0;
}

// setBusyPoll(µs): 0 turns busy polling off.
Napi::Value SetBusyPoll(const Napi::CallbackInfo& info) {
  Args args(info, "setBusyPoll");
  uint32_t us = args.Uint32(0, "us");
  if (args.ok()) loop.busy_poll_ns = uint64_t(us) * 1000;
  return info.Env().Undefined();
}

}  // namespace

int Watch(napi_env env, int fd, Source* source) {
  if (int err = Open(env)) return err;
  epoll_event event = {};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (epoll_ctl(loop.epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) return errno;
  if (loop.sources.size() <= static_cast<size_t>(fd)) loop.sources.resize(fd + 1, nullptr);
  loop.sources[fd] = source;
  // The first reader starts the loop: at the next check phase, without the event loop
  // sleeping before it. The handles keep the thread alive while a reader is watched.
  if (loop.watched++ == 0) {
    uv_check_start(loop.check, OnCheck);
    uv_idle_start(loop.idle, KeepAwake);
  }
  return 0;
}

void Unwatch(int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= loop.sources.size() || loop.sources[fd] == nullptr) return;
  epoll_ctl(loop.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
  loop.sources[fd] = nullptr;
  // The last one: nothing keeps the thread alive for the loop any more.
  if (--loop.watched == 0) {
    uv_check_stop(loop.check);
    uv_idle_stop(loop.idle);
  }
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("setBusyPoll", Napi::Function::New(env, SetBusyPoll)); }

}  // namespace packet_loop
