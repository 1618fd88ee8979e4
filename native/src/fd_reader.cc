#include "fd_reader.h"
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
    region_ = Napi::Persistent(info[1].As<Napi::ArrayBuffer>());
    offsets_ = Napi::Persistent(info[2].As<Napi::Int32Array>());
    lengths_ = Napi::Persistent(info[3].As<Napi::Int32Array>());
    capacity_ = info[4].As<Napi::Number>().Uint32Value();
    callback_ = Napi::Persistent(info[5].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(info.Env(), "vxlan-tap:FdReader");
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
    uint8_t* base = static_cast<uint8_t*>(region_.Value().Data());
    size_t size = region_.Value().ByteLength();
    Napi::Int32Array offsets = offsets_.Value();
    Napi::Int32Array lengths = lengths_.Value();
    uint32_t count = 0;
    size_t batch = offsets.ElementLength();
    while (count < batch) {
      size_t off = offsets[count];
      if (off + capacity_ > size) break;
      ssize_t n = read(fd_, base + off, capacity_);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: drained; other errors: the poll reports them again
      lengths[count++] = static_cast<int32_t>(n);
    }
    if (count == 0) return;
    callback_.MakeCallback(Value(), {Napi::Number::New(env, count)}, *context_);
  }

  int fd_ = -1;
  uint32_t capacity_ = 0;
  FdPoll<FdReader, &FdReader::Drain> poll_;
  Napi::Reference<Napi::ArrayBuffer> region_;
  Napi::Reference<Napi::Int32Array> offsets_;
  Napi::Reference<Napi::Int32Array> lengths_;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> context_;
};

}  // namespace

namespace fd_reader {
void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("FdReader", FdReader::Define(env));
}
}  // namespace fd_reader
