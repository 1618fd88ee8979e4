#include "fd_reader.h"
#include "batch_slots.h"
#include "errors.h"
#include "fd_poll.h"

#include <unistd.h>

namespace {

class FdReader : public Napi::ObjectWrap<FdReader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FdReader",
                       {InstanceMethod("start", &FdReader::Start),
                        InstanceMethod("stop", &FdReader::Stop)});
  }

  // new FdReader(fd, region: ArrayBuffer, offsets: Int32Array, lengths: Int32Array,
  //              capacity: number, onBatch: (count) => void)
  explicit FdReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdReader>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    slots_.Read(info, 1, 4, 5, "vxlan-tap:FdReader");
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int rc = poll_.Start(env, fd_, this);
    if (rc != 0) return ThrowSysError(env, "watch fd", -rc);
    Ref();  // stay alive while the loop may call us
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (poll_.Stop()) Unref();
    return info.Env().Undefined();
  }

  void Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    uint8_t* base = slots_.base();
    size_t size = slots_.size();
    Napi::Int32Array offsets = slots_.offsets();
    Napi::Int32Array lengths = slots_.lengths();
    uint32_t count = 0;
    size_t batch = slots_.batch();
    while (count < batch) {
      int32_t off = offsets[count];
      if (!InRegion(off, slots_.capacity(), size)) break;
      ssize_t n = read(fd_, base + off, slots_.capacity());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: drained; other errors: the poll reports them again
      // The TAP reports a frame's full length even when it only fit in part: drop it.
      if (n > static_cast<ssize_t>(slots_.capacity())) continue;
      lengths[count++] = static_cast<int32_t>(n);
    }
    if (count == 0) return;
    slots_.Deliver(env, Value(), count);
  }

  int fd_ = -1;
  BatchSlots slots_;
  FdPoll<FdReader, &FdReader::Drain> poll_;
};

}  // namespace

namespace fd_reader {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("FdReader", FdReader::Define(env));
}
}  // namespace fd_reader
