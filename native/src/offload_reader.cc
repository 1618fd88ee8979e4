#include "offload_reader.h"
#include "batch_slots.h"
#include "errors.h"
#include "fd_poll.h"
#include "tap_offload.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace {

using tap_offload::kVnetHdrLen;

// Batches handed to JS per readable event at most (plus what finishes a super-frame).
constexpr uint32_t kMaxBatches = 4;

class OffloadReader : public Napi::ObjectWrap<OffloadReader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OffloadReader",
                       {InstanceMethod("start", &OffloadReader::Start),
                        InstanceMethod("stop", &OffloadReader::Stop),
                        InstanceMethod("stats", &OffloadReader::Stats)});
  }

  // new OffloadReader(fd, region: ArrayBuffer, offsets: Int32Array, lengths: Int32Array,
  //                   capacity: number, onBatch: (count) => void), as FdReader.
  explicit OffloadReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OffloadReader>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    slots_.Read(info, 1, 4, 5, "vxlan-tap:OffloadReader");
    // A super-frame lands partly in the slot and the rest here, at scratch_[slots_.capacity()]:
    // copying the slot's part in front of it makes the super-frame contiguous.
    scratch_.resize(slots_.capacity() + tap_offload::kMaxSuperFrame);
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int rc = poll_.Start(env, fd_, this);
    if (rc != 0) return ThrowSysError(env, "watch fd", -rc);
    stopped_ = false;
    Ref();  // stay alive while the loop may call us
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    stopped_ = true;
    if (poll_.Stop()) Unref();
    return info.Env().Undefined();
  }

  // { superFrames, segments, dropped }: for tests and the curious.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("superFrames", Napi::Number::New(env, static_cast<double>(super_frames_)));
    o.Set("segments", Napi::Number::New(env, static_cast<double>(segments_)));
    o.Set("dropped", Napi::Number::New(env, static_cast<double>(dropped_)));
    return o;
  }

  // Reads until EAGAIN or a full batch, handing JS one batch at a time. A super-frame
  // with more segments than free slots is finished in the next batch of the same call,
  // so nothing is left waiting for a readable event that may not come. Those next
  // batches read on too, but only up to kMaxBatches in all: then the last super-frame is
  // finished without reading more, and the event loop gets its turn (the UDP side).
  void Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    uint8_t* base = slots_.base();
    size_t size = slots_.size();
    Napi::Int32Array offsets = slots_.offsets();
    Napi::Int32Array lengths = slots_.lengths();
    size_t batch = slots_.batch();
    for (uint32_t round = 1;; round++) {
      const bool may_read = round < kMaxBatches;
      uint32_t count = 0;
      bool drained = false;
      while (count < batch && !drained) {
        int32_t off = offsets[count];
        if (!InRegion(off, slots_.capacity(), size)) {
          pending_ = false;  // a misconfigured slot: never spin on it
          break;
        }
        if (pending_) {
          size_t n = tap_offload::WriteSegment(tso_, next_segment_, base + off, slots_.capacity());
          if (n == 0) {  // larger than a slot: the rest of this super-frame is lost
            dropped_++;
            pending_ = false;
            continue;
          }
          lengths[count++] = static_cast<int32_t>(n);
          segments_++;
          if (++next_segment_ == tso_.segments) pending_ = false;
          continue;
        }
        if (!may_read) break;
        drained = !ReadOne(base + off, &lengths[count], &count);
      }
      if (count > 0) slots_.Deliver(env, Value(), count);
      // Stopped from JS, or done: a full batch leaves the rest to the next readable event
      // (uv_poll is level-triggered).
      if (stopped_ || !pending_) return;
    }
  }

  // One read into the slot at `slot`. Returns false when nothing was read (EAGAIN, or an
  // error the poll reports again); otherwise the slot holds a frame (count advanced), or
  // a super-frame became pending, or a bad frame was dropped.
  bool ReadOne(uint8_t* slot, int32_t* length, uint32_t* count) {
    virtio_net_hdr h;
    iovec iov[3] = {{&h, kVnetHdrLen}, {slot, slots_.capacity()}, {scratch_.data() + slots_.capacity(), tap_offload::kMaxSuperFrame}};
    ssize_t n;
    do {
      n = readv(fd_, iov, 3);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    if (static_cast<size_t>(n) < kVnetHdrLen) {
      dropped_++;
      return true;
    }
    size_t len = static_cast<size_t>(n) - kVnetHdrLen;
    if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
      if (len > slots_.capacity() || ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !tap_offload::CompleteChecksum(h, slot, len))) {
        dropped_++;
        return true;
      }
      *length = static_cast<int32_t>(len);
      ++*count;
      return true;
    }
    // A super-frame: make it contiguous in scratch (the slot will hold its first segment).
    uint8_t* frame = scratch_.data();
    std::memcpy(frame, slot, std::min<size_t>(len, slots_.capacity()));  // the rest is in place already
    if (len >= slots_.capacity() + tap_offload::kMaxSuperFrame || !tap_offload::ParseTso(h, frame, len, &tso_)) {
      dropped_++;  // cut short by our buffer, or not a TCP super-frame we can segment
      return true;
    }
    super_frames_++;
    pending_ = true;
    next_segment_ = 0;
    return true;
  }

  int fd_ = -1;
  bool stopped_ = true;
  std::vector<uint8_t> scratch_;
  // The super-frame being cut, and the next segment to cut from it.
  tap_offload::Tso tso_;
  bool pending_ = false;
  uint32_t next_segment_ = 0;
  uint64_t super_frames_ = 0, segments_ = 0, dropped_ = 0;
  BatchSlots slots_;
  FdPoll<OffloadReader, &OffloadReader::Drain> poll_;
};

}  // namespace

namespace offload_reader {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("OffloadReader", OffloadReader::Define(env));
}
}  // namespace offload_reader
