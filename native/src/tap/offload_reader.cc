// OffloadReader: FdReader's counterpart for a TAP opened with IFF_VNET_HDR. Each read
// brings a virtio_net_hdr and a frame of up to 64 KB; unfinished checksums are completed,
// and a TCP super-frame is cut into segments (software TSO) laid back to back as one
// train, each behind room for its VXLAN header; one JS call per batch.
#include "addon_modules.h"
#include "batch_layout.h"
#include "polled_reader.h"
#include "tap/tap_offload.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace {

using tap_offload::kVnetHdrLen;
namespace d = layout::datagram;
using layout::region::kHeadroom;

// Batches handed to JS per readable event at most (plus what finishes a super-frame).
constexpr uint32_t kMaxBatches = 4;

// Reads a TAP opened with IFF_VNET_HDR. A plain frame is listed as a single datagram, as
// FdReader does. A TCP super-frame (TSO) is cut into segments laid back to back, each
// behind 8 bytes of room for its VXLAN header, and listed as one train: every datagram
// but the last has the same size, so the engine decides once for all of them and the
// underlay can hand the whole train to the kernel in one sendmsg (UDP GSO).
class OffloadReader : public PolledReader<OffloadReader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OffloadReader",
                       {InstanceMethod("start", &OffloadReader::Start),
                        InstanceMethod("stop", &OffloadReader::Stop),
                        InstanceMethod("stats", &OffloadReader::Stats)});
  }

  // new OffloadReader(fd, region: ArrayBuffer, batch: Int32Array (datagram layout),
  //                   frameCapacity: number, onBatch: (count) => void), as FdReader.
  explicit OffloadReader(const Napi::CallbackInfo& info) : PolledReader<OffloadReader>(info) {
    Args args(info, "OffloadReader");
    fd_ = args.Int32(0, "fd");
    frame_capacity_ = args.Uint32(3, "frameCapacity");
    if (!batch_.Read(args, 1, 4, d::stride, "vxlan-tap:OffloadReader")) return;
    // What a read brings past the first frameCapacity bytes lands here; a super-frame is
    // gathered here whole and cut from here into the region.
    scratch_.resize(tap_offload::kMaxSuperFrame);
  }

 private:
  friend class PolledReader<OffloadReader>;

  // { superFrames, segments, dropped }: for tests and the curious.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("superFrames", Napi::Number::New(env, static_cast<double>(super_frames_)));
    o.Set("segments", Napi::Number::New(env, static_cast<double>(segments_)));
    o.Set("dropped", Napi::Number::New(env, static_cast<double>(dropped_)));
    return o;
  }

  // Reads until EAGAIN or a full region, handing JS one batch at a time. A super-frame
  // whose train does not fit what is left of the region is finished in the next batch
  // of the same call, so nothing waits for a readable event that may not come. At most
  // kMaxBatches batches read; then the last super-frame is finished without reading
  // more, and the event loop gets its turn (the UDP side).
  // Returns whether anything was read.
  bool Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    uint8_t* base = batch_.base();
    size_t size = batch_.size();
    uint32_t max = batch_.capacity();
    bool any = false;
    for (uint32_t round = 1;; round++) {
      const bool may_read = round < kMaxBatches;
      uint32_t count = 0;
      size_t cursor = 0;
      bool drained = false;
      while (count < max && !drained) {
        if (pending_) {
          size_t train = LayOutTrain(base + cursor, size - cursor);
          if (train == 0) {
            // No room left: the next batch starts with it. In an empty region it never fits.
            if (cursor == 0) {
              dropped_++;
              pending_ = false;
            }
            break;
          }
          int32_t* e = batch_.entry(count++);
          e[d::offset] = static_cast<int32_t>(cursor);
          e[d::length] = static_cast<int32_t>(train);
          e[d::segment] = static_cast<int32_t>(kHeadroom + tso_.hdr_len + tso_.gso_size);
          cursor += Aligned(train);
          continue;
        }
        if (!may_read || cursor + kHeadroom + frame_capacity_ > size) break;
        drained = !ReadOne(base, &cursor, &count);
      }
      if (count > 0) {
        batch_.Deliver(env, Value(), count);
        any = true;
      }
      if (read_error_ != 0) {
        int err = read_error_;
        read_error_ = 0;
        Fail(err);
        return any;
      }
      if (!running()) return any;
      if (pending_) continue;  // finish it, whatever the round
      if (drained || !may_read) return any;
    }
  }

  // Lays out the pending super-frame's next segments at `at` (room for `room` bytes),
  // each behind 8 bytes of VXLAN header room, back to back; returns the train's size, 0
  // when not even one fits.
  size_t LayOutTrain(uint8_t* at, size_t room) {
    size_t train = 0;
    while (pending_) {
      if (train + kHeadroom >= room) break;
      size_t n = tap_offload::WriteSegment(tso_, next_segment_, at + train + kHeadroom, room - train - kHeadroom);
      if (n == 0) break;
      train += kHeadroom + n;
      segments_++;
      if (++next_segment_ == tso_.segments) pending_ = false;
    }
    return train;
  }

  // One read: the virtio_net_hdr, then the frame straight into the region at
  // base+*cursor behind its VXLAN header room (Drain checked that frameCapacity bytes fit
  // there), what goes past that into scratch. Returns false when nothing was read
  // (EAGAIN, or an error the poll reports again); otherwise a plain frame was listed where
  // it was read (count and cursor advanced), or a super-frame became pending, or a bad
  // frame was dropped.
  bool ReadOne(uint8_t* base, size_t* cursor, uint32_t* count) {
    virtio_net_hdr h;
    uint8_t* slot = base + *cursor + kHeadroom;
    const size_t head = std::min<size_t>(frame_capacity_, tap_offload::kMaxSuperFrame);
    iovec iov[3] = {{&h, kVnetHdrLen}, {slot, head}, {scratch_.data() + head, tap_offload::kMaxSuperFrame - head}};
    ssize_t n;
    do {
      n = readv(fd_, iov, 3);
    } while (n < 0 && errno == EINTR);
    // EIO, EBADFD: the poll would call again at once; Drain stops and says so instead.
    if (n < 0 && errno != EAGAIN) read_error_ = errno;
    if (n <= 0) return false;
    if (static_cast<size_t>(n) < kVnetHdrLen) {
      dropped_++;
      return true;
    }
    size_t len = static_cast<size_t>(n) - kVnetHdrLen;
    if (len >= tap_offload::kMaxSuperFrame) {
      dropped_++;  // cut short by our buffer
      return true;
    }
    if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
      if (len > frame_capacity_ || ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !tap_offload::CompleteChecksum(h, slot, len))) {
        dropped_++;
        return true;
      }
      batch_.ListFrame((*count)++, cursor, len);
      return true;
    }
    // A super-frame: gathered whole in scratch (its start was read into the slot, which
    // its segments will overwrite), then cut from there into the region.
    uint8_t* frame = scratch_.data();
    std::memcpy(frame, slot, std::min(len, head));
    if (!tap_offload::ParseTso(h, frame, len, &tso_)) {
      dropped_++;  // not a TCP super-frame we can segment
      return true;
    }
    super_frames_++;
    pending_ = true;
    next_segment_ = 0;
    return true;
  }

  uint32_t frame_capacity_ = 0;  // the largest plain frame
  int read_error_ = 0;
  std::vector<uint8_t> scratch_;
  // The super-frame being cut, and the next segment to cut from it.
  tap_offload::Tso tso_;
  bool pending_ = false;
  uint32_t next_segment_ = 0;
  uint64_t super_frames_ = 0, segments_ = 0, dropped_ = 0;
};

}  // namespace

namespace offload_reader {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("OffloadReader", OffloadReader::Define(env));
}
}  // namespace offload_reader
