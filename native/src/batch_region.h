// What every reader shares: the packet region it fills, the batch (an Int32Array in the
// layout of batch_layout.h) it describes what it put there with, and the JS function it
// calls once per batch. Read from the reader's constructor arguments.
#pragma once
#include <napi.h>
#include "args.h"
#include "batch_layout.h"
#include <algorithm>
#include <cstdint>
#include <memory>

// Whether [offset, offset+length) lies inside a buffer of `size` bytes. Offsets and
// lengths come from JS Int32Arrays, so they are checked for being negative too.
inline bool InRegion(int64_t offset, int64_t length, size_t size) {
  return offset >= 0 && length >= 0 && static_cast<uint64_t>(offset) + static_cast<uint64_t>(length) <= size;
}

// Entries are packed into the region one after another, each from an aligned boundary.
inline size_t Aligned(size_t n) {
  constexpr size_t kMask = layout::region::kAlignment - 1;
  static_assert((layout::region::kAlignment & kMask) == 0, "the alignment is a power of two");
  return (n + kMask) & ~kMask;
}

class BatchRegion {
 public:
  // region (ArrayBuffer), batch (Int32Array) and onBatch(count) are arguments
  // region_arg, region_arg + 1 and callback_arg; `stride` is the batch's entry size.
  // False (a TypeError pending) when one of them is of the wrong type.
  bool Read(Args& args, size_t region_arg, size_t callback_arg, uint32_t stride, const char* name) {
    Napi::ArrayBuffer region = args.ArrayBuffer(region_arg, "region");
    Napi::Int32Array batch = args.Int32Array(region_arg + 1, "batch");
    Napi::Function callback = args.Function(callback_arg, "onBatch");
    if (!args.ok()) return false;
    region_ = Napi::Persistent(region);
    batch_ = Napi::Persistent(batch);
    // The references keep both alive, and memory of an ArrayBuffer that is never
    // detached does not move: the pointers hold, and no packet pays for looking them up.
    base_ = static_cast<uint8_t*>(region.Data());
    size_ = region.ByteLength();
    entries_ = batch.Data();
    stride_ = stride;
    capacity_ = static_cast<uint32_t>(batch.ElementLength() / stride);
    callback_ = Napi::Persistent(callback);
    context_ = std::make_unique<Napi::AsyncContext>(callback.Env(), name);
    return true;
  }

  uint8_t* base() const { return base_; }
  size_t size() const { return size_; }
  // Entry i of the batch: `stride` int32 words.
  int32_t* entry(uint32_t i) const { return entries_ + size_t(i) * stride_; }
  // Entries a batch may hold.
  uint32_t capacity() const { return capacity_; }

  // Lists the `len`-byte frame a TAP reader laid at *cursor + headroom as entry `i`, a
  // single datagram whose VXLAN header room is still blank; moves *cursor past it.
  void ListFrame(uint32_t i, size_t* cursor, size_t len) {
    namespace d = layout::datagram;
    int32_t* e = entry(i);
    e[d::offset] = static_cast<int32_t>(*cursor);
    e[d::length] = e[d::segment] = static_cast<int32_t>(layout::region::kHeadroom + len);
    *cursor += Aligned(layout::region::kHeadroom + len);
  }

  // Hands a batch of `count` to JS as a callback from the packet loop (packet_loop.h),
  // each call a callback of its own: the ticks and microtasks it queued run as it returns
  // (node:dgram's sends wait on one). An exception it throws has no JS caller to go to:
  // report it as uncaught, never lose it.
  void Deliver(Napi::Env env, Napi::Value self, uint32_t count) { Call(env, self, count); }

  // Tells JS the fd failed: the same callback with -errno, after the batch read so far.
  void DeliverError(Napi::Env env, Napi::Value self, int err) { Call(env, self, -static_cast<double>(err)); }

 private:
  void Call(Napi::Env env, Napi::Value self, double count) {
    callback_.MakeCallback(self, {Napi::Number::New(env, count)}, *context_);
    if (env.IsExceptionPending()) {
      Napi::Error error = env.GetAndClearPendingException();
      napi_fatal_exception(env, error.Value());
    }
  }

  Napi::Reference<Napi::ArrayBuffer> region_;
  Napi::Reference<Napi::Int32Array> batch_;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  int32_t* entries_ = nullptr;
  uint32_t stride_ = 1;
  uint32_t capacity_ = 0;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> context_;
};
