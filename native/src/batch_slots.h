// What every reader shares: the pool region it fills, the offsets of the slots to fill,
// the lengths it reports back, the capacity of a slot, and the JS function it calls
// once per batch. Read from the reader's constructor arguments.
#pragma once
#include <napi.h>
#include <algorithm>
#include <cstdint>
#include <memory>

// Whether [offset, offset+length) lies inside a buffer of `size` bytes. Offsets and
// lengths come from JS Int32Arrays, so they are checked for being negative too.
inline bool InRegion(int64_t offset, int64_t length, size_t size) {
  return offset >= 0 && length >= 0 && static_cast<uint64_t>(offset) + static_cast<uint64_t>(length) <= size;
}

class BatchSlots {
 public:
  // region, offsets and lengths are arguments first..first+2.
  void Read(const Napi::CallbackInfo& info, size_t first, size_t capacity_arg, size_t callback_arg, const char* name) {
    region_ = Napi::Persistent(info[first].As<Napi::ArrayBuffer>());
    offsets_ = Napi::Persistent(info[first + 1].As<Napi::Int32Array>());
    lengths_ = Napi::Persistent(info[first + 2].As<Napi::Int32Array>());
    capacity_ = info[capacity_arg].As<Napi::Number>().Uint32Value();
    callback_ = Napi::Persistent(info[callback_arg].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(info.Env(), name);
  }

  uint8_t* base() const { return static_cast<uint8_t*>(region_.Value().Data()); }
  size_t size() const { return region_.Value().ByteLength(); }
  Napi::Int32Array offsets() const { return offsets_.Value(); }
  Napi::Int32Array lengths() const { return lengths_.Value(); }
  uint32_t capacity() const { return capacity_; }
  // Slots a batch may fill: as many as both the offsets and the lengths have room for.
  size_t batch() const { return std::min(offsets_.Value().ElementLength(), lengths_.Value().ElementLength()); }

  // Hands a batch of `count` to JS as a callback from the event loop. An exception it
  // throws has no JS caller to go to: report it as uncaught, never lose it.
  void Deliver(Napi::Env env, Napi::Value self, uint32_t count) {
    callback_.MakeCallback(self, {Napi::Number::New(env, count)}, *context_);
    if (env.IsExceptionPending()) {
      Napi::Error error = env.GetAndClearPendingException();
      napi_fatal_exception(env, error.Value());
    }
  }

 private:
  Napi::Reference<Napi::ArrayBuffer> region_;
  Napi::Reference<Napi::Int32Array> offsets_;
  Napi::Reference<Napi::Int32Array> lengths_;
  uint32_t capacity_ = 0;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> context_;
};
