// writeFramesOffload: TAP writes for a device opened with IFF_VNET_HDR. Every frame needs
// a virtio_net_hdr in front (writev, no copy of the frame); consecutive segments of one
// TCP flow are merged into one super-frame (GRO in userspace) unless told not to. Each
// frame's inner TCP/UDP checksum is checked once (tap/inner_checksum.h): a verified frame
// goes with DATA_VALID, an unfinished one with NEEDS_CSUM and its offsets (the field holds
// the pseudo-header sum already, as NEEDS_CSUM wants it), a bad one as it is.
#include "addon_modules.h"
#include "args.h"
#include "batch_layout.h"
#include "batch_region.h"
#include "tap/inner_checksum.h"
#include "tap/tap_offload.h"
#include "wire.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace {

using tap_offload::kVnetHdrLen;
using tap_offload::TcpSegment;
namespace f = layout::frame;

// Segments per merged super-frame: a receive batch holds no more.
constexpr uint32_t kMaxRun = 64;
using wire::kTcpPsh;

ssize_t WriteV(int fd, const iovec* iov, int n) {
  ssize_t r;
  do {
    r = writev(fd, iov, n);
  } while (r < 0 && errno == EINTR);
  return r;
}

// One frame, its virtio_net_hdr saying what its checksum check found.
bool WriteOne(int fd, const uint8_t* frame, size_t len, const inner_checksum::Result& r) {
  virtio_net_hdr h{};
  if (r.verdict == inner_checksum::kVerified) {
    h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
  } else if (r.verdict == inner_checksum::kCompleted) {
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = r.start;
    h.csum_offset = r.offset;
  }
  iovec iov[2] = {{&h, kVnetHdrLen}, {const_cast<uint8_t*>(frame), len}};
  return WriteV(fd, iov, 2) == static_cast<ssize_t>(kVnetHdrLen + len);
}

// The frames of one call, parsed for coalescing at most once each.
class Batch {
 public:
  Batch(uint8_t* base, size_t size, int32_t* frames, uint32_t count) : base_(base), size_(size), frames_(frames), count_(count) {}

  uint32_t count() const { return count_; }

  // The frame at i, or nullptr when it lies outside the buffer.
  const uint8_t* Frame(uint32_t i, size_t* len) const {
    int32_t off = frames_[i * f::stride + f::offset], l = frames_[i * f::stride + f::length];
    if (!InRegion(off, l, size_)) return nullptr;
    *len = static_cast<size_t>(l);
    return base_ + off;
  }

  // Marks frame i as refused by the TAP (its length negated), for the caller's counters.
  void Refused(uint32_t i) { frames_[i * f::stride + f::length] *= -1; }

  // Frame i's inner checksum, checked once and its verdict written beside the frame.
  const inner_checksum::Result& Checksum(uint32_t i) {
    Parse(i);
    return cached_sum_;
  }

  // Whether frame i is a segment coalescing may take (its checksum verified or
  // unfinished: the merged frame's is left to the kernel, and so trusted).
  bool Tcp(uint32_t i, TcpSegment* out) {
    Parse(i);
    *out = cached_;
    return cached_ok_;
  }

 private:
  // Parses frame i unless it was the last one parsed: a segment that ends one run is
  // asked about again when it starts the next.
  void Parse(uint32_t i) {
    if (i == cached_index_) return;
    cached_index_ = i;
    size_t len = 0;
    const uint8_t* frame = Frame(i, &len);
    cached_sum_ = frame == nullptr ? inner_checksum::Result{} : inner_checksum::Check(frame, len);
    frames_[i * f::stride + f::checksum] = cached_sum_.verdict;
    bool sound = cached_sum_.verdict == inner_checksum::kVerified || cached_sum_.verdict == inner_checksum::kCompleted;
    cached_ok_ = sound && tap_offload::ParseTcpSegment(frame, len, &cached_, false);
  }


  uint8_t* base_;
  size_t size_;
  int32_t* frames_;
  uint32_t count_;
  uint32_t cached_index_ = UINT32_MAX;
  bool cached_ok_ = false;
  TcpSegment cached_;
  inner_checksum::Result cached_sum_;
};

// writeFramesOffload(fd, bytes: Uint8Array, frames: Int32Array (frame layout), count,
// coalesce: boolean): writes the listed frames, each behind a virtio_net_hdr; returns how
// many of them the kernel took (a merged super-frame counts its segments) and negates the
// length of each one it refused.
Napi::Value WriteFramesOffload(const Napi::CallbackInfo& info) {
  Args args(info, "writeFramesOffload");
  int fd = args.Int32(0, "fd");
  Napi::Uint8Array bytes = args.Uint8Array(1, "bytes");
  Napi::Int32Array frames = args.Int32Array(2, "frames");
  uint32_t count = args.Uint32(3, "count");
  bool coalesce = args.Boolean(4, "coalesce");
  if (!args.ok()) return info.Env().Undefined();
  count = static_cast<uint32_t>(std::min<size_t>(count, frames.ElementLength() / f::stride));
  Batch batch(bytes.Data(), bytes.ByteLength(), frames.Data(), count);

  uint8_t headers[kVnetHdrLen + tap_offload::kMaxHeaders];
  iovec iov[1 + kMaxRun];
  uint32_t written = 0;
  for (uint32_t i = 0; i < count;) {
    size_t len = 0;
    const uint8_t* first = batch.Frame(i, &len);
    if (first == nullptr) {
      batch.Checksum(i);
      batch.Refused(i++);
      continue;
    }
    // Gather the run of segments that continue frame i's flow: every one but the last
    // carries exactly gso_size bytes, PSH or a shorter segment ends it.
    TcpSegment a;
    uint32_t run = 1, total = 0;
    bool psh = false;
    if (coalesce && batch.Tcp(i, &a) && !(a.flags & kTcpPsh)) {
      const uint32_t gso = a.payload, max = tap_offload::MaxCoalescedPayload(a);
      total = a.payload;
      iov[1] = {const_cast<uint8_t*>(first + a.hdr_len), a.payload};
      while (i + run < count && run < kMaxRun) {
        TcpSegment b;
        size_t blen = 0;
        const uint8_t* next = batch.Frame(i + run, &blen);
        if (next == nullptr || !batch.Tcp(i + run, &b) || b.payload > gso || total + b.payload > max ||
            !tap_offload::SameFlow(first, a, next, b, a.seq + total, run)) {
          break;
        }
        iov[1 + run] = {const_cast<uint8_t*>(next + b.hdr_len), b.payload};
        total += b.payload;
        run++;
        if (b.payload < gso || (b.flags & kTcpPsh)) {
          psh = (b.flags & kTcpPsh) != 0;
          break;
        }
      }
    }
    if (run == 1) {
      if (WriteOne(fd, first, len, batch.Checksum(i))) written++;
      else batch.Refused(i);
      i++;
      continue;
    }
    // vnet header and the first segment's rewritten headers, then every segment's data
    // straight from where it was received.
    size_t head = tap_offload::BuildCoalescedHeaders(first, a, total, static_cast<uint16_t>(a.payload), psh, headers);
    iov[0] = {headers, head};
    ssize_t n = WriteV(fd, iov, 1 + run);
    if (n == static_cast<ssize_t>(head + total)) {
      written += run;
    } else if (n < 0 && errno == EINVAL) {
      // The kernel refused the super-frame: deliver its segments one by one instead.
      for (uint32_t k = 0; k < run; k++) {
        size_t l = 0;
        const uint8_t* frame = batch.Frame(i + k, &l);
        if (WriteOne(fd, frame, l, batch.Checksum(i + k))) written++;
        else batch.Refused(i + k);
      }
    } else {
      for (uint32_t k = 0; k < run; k++) batch.Refused(i + k);
    }
    i += run;
  }
  return Napi::Number::New(info.Env(), written);
}

}  // namespace

namespace offload_writer {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("writeFramesOffload", Napi::Function::New(env, WriteFramesOffload));
}
}  // namespace offload_writer
