// A data-path thread's packet loop. Node's event loop allocates on the JS heap on every
// turn (its check phase makes an object each time, whatever ran), and with the readers'
// fds in libuv every packet from idle was a turn of its own: the young generation filled
// and was collected every minute or so at a hundred pings a second. Here the readers'
// fds are watched outside libuv instead. In the event loop's check phase the packet loop
// waits in epoll on them and on libuv's own epoll fd, drains each readable reader (one
// JS callback per batch) and gives the event loop its turn back
// only when that has something to do: a message or signal (libuv's fd readable), a timer
// due, or no reader left. With --busy-poll, every read that brought packets keeps it
// polling without sleeping for that long (VPP's adaptive polling, a C forwarder's
// epoll_wait(0)).
#pragma once
#include <napi.h>

namespace packet_loop {

// What a reader gives the loop: called on the reader's thread, inside the loop.
class Source {
 public:
  virtual ~Source() = default;
  // The fd is readable: read and hand JS what is there; returns whether anything was read.
  virtual bool OnReadable() = 0;
  // The fd reported an error: stop reading and tell JS.
  virtual void OnError(int err) = 0;
};

// Watches `fd` for `source` on this thread's loop; 0 or an errno.
int Watch(napi_env env, int fd, Source* source);
// Stops watching `fd` (also from inside the source's own callbacks).
void Unwatch(int fd);

}  // namespace packet_loop
