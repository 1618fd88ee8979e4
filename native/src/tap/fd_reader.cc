// FdReader: watches a non-blocking TAP fd with uv_poll and, each time it is readable,
// reads whole frames (one read(2) each) into a shared region, each behind room for its
// VXLAN header, until EAGAIN or the batch is full, then calls back into JS once.
#include "addon_modules.h"
#include "batch_layout.h"
#include "polled_reader.h"

#include <unistd.h>

namespace {

namespace d = layout::datagram;
using layout::region::kHeadroom;

// Reads a plain TAP (no virtio_net_hdr): one frame per read, each laid in the region
// behind 8 bytes of room for its VXLAN header, listed as a single datagram.
class FdReader : public PolledReader<FdReader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FdReader",
                       {InstanceMethod("start", &FdReader::Start),
                        InstanceMethod("stop", &FdReader::Stop)});
  }

  // new FdReader(fd, region: ArrayBuffer, batch: Int32Array (datagram layout),
  //              frameCapacity: number, onBatch: (count) => void)
  explicit FdReader(const Napi::CallbackInfo& info) : PolledReader<FdReader>(info) {
    Args args(info, "FdReader");
    fd_ = args.Int32(0, "fd");
    frame_capacity_ = args.Uint32(3, "frameCapacity");
    batch_.Read(args, 1, 4, d::stride, "vxlan-tap:FdReader");
  }

 private:
  friend class PolledReader<FdReader>;

  // Returns whether anything was read.
  bool Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    uint8_t* base = batch_.base();
    size_t size = batch_.size();
    uint32_t count = 0, max = batch_.capacity();
    size_t cursor = 0;
    while (count < max && cursor + kHeadroom + frame_capacity_ <= size) {
      ssize_t n = read(fd_, base + cursor + kHeadroom, frame_capacity_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) {
        // EIO, EBADFD: the poll would call again at once; stop and say so instead.
        int err = errno;
        if (count > 0) batch_.Deliver(env, Value(), count);
        Fail(err);
        return count > 0;
      }
      if (n <= 0) break;  // EAGAIN: drained
      // The TAP reports a frame's full length even when it only fit in part: drop it.
      if (n > static_cast<ssize_t>(frame_capacity_)) continue;
      batch_.ListFrame(count++, &cursor, static_cast<size_t>(n));
    }
    if (count == 0) return false;
    batch_.Deliver(env, Value(), count);
    return true;
  }

  uint32_t frame_capacity_ = 0;
};

}  // namespace

namespace fd_reader {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("FdReader", FdReader::Define(env));
}
}  // namespace fd_reader
