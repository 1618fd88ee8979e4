// The message vector of recvmmsg and sendmmsg, one type for the UDP receiver and sender:
// per message an mmsghdr with one iovec, a sockaddr_storage for the peer's address and a
// fixed room for control messages, kept in arrays that are reused from batch to batch.
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>
#include <cstddef>
#include <cstdint>
#include <vector>

class MessageVector {
 public:
  // `control_bytes`: the control message room of every message.
  explicit MessageVector(size_t control_bytes) : control_bytes_(control_bytes) {}

  size_t size() const { return msgs_.size(); }
  mmsghdr* data() { return msgs_.data(); }
  mmsghdr& operator[](size_t k) { return msgs_[k]; }
  sockaddr_storage* name(size_t k) { return &names_[k]; }
  uint8_t* control(size_t k) { return &controls_[k * control_bytes_]; }

  // Room for `n` messages. Every header points into the other arrays, which resizing
  // moves: each is pointed at its own iovec, name and control room again, so that
  // messages already set up stay valid.
  void Resize(size_t n) {
    msgs_.resize(n);
    iovs_.resize(n);
    names_.resize(n);
    controls_.resize(n * control_bytes_);
    for (size_t k = 0; k < n; k++) Link(&msgs_[k].msg_hdr, k);
  }

  // Sets message k up afresh for the `len` bytes at `data`, with `namelen` bytes of name
  // (filled in by the caller) and all of its control room; returns its header.
  msghdr& Set(size_t k, void* data, size_t len, socklen_t namelen) {
    iovs_[k] = {data, len};
    msghdr& m = msgs_[k].msg_hdr;
    m = {};
    Link(&m, k);
    m.msg_namelen = namelen;
    m.msg_iovlen = 1;
    m.msg_controllen = control_bytes_;
    return m;
  }

 private:
  void Link(msghdr* m, size_t k) {
    m->msg_name = &names_[k];
    m->msg_iov = &iovs_[k];
    m->msg_control = control(k);
  }

  size_t control_bytes_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> names_;
  std::vector<uint8_t> controls_;
};
