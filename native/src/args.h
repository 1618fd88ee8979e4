// Type-checked arguments of the addon's functions: a wrong argument from JavaScript (a bug
// in the caller) is a TypeError naming the function and the argument, never a crash or a
// value read as something else.
#pragma once
#include <napi.h>
#include <string>

// Reads the arguments of one call, each checked for its type. The first one of the wrong
// type throws a TypeError (pending until the call returns) and makes ok() false; the
// readers then return empty values, and the call must return without acting.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* function) : info_(info), function_(function) {}

  bool ok() const { return ok_; }

  std::string String(size_t i, const char* name) {
    return Check(info_[i].IsString(), i, name, "a string") ? info_[i].As<Napi::String>().Utf8Value() : std::string();
  }
  int32_t Int32(size_t i, const char* name) {
    return Check(info_[i].IsNumber(), i, name, "a number") ? info_[i].As<Napi::Number>().Int32Value() : 0;
  }
  uint32_t Uint32(size_t i, const char* name) {
    return Check(info_[i].IsNumber(), i, name, "a number") ? info_[i].As<Napi::Number>().Uint32Value() : 0;
  }
  bool Boolean(size_t i, const char* name) {
    return Check(info_[i].IsBoolean(), i, name, "a boolean") && info_[i].As<Napi::Boolean>().Value();
  }
  // An optional boolean: absent or undefined reads as `fallback`.
  bool OptionalBoolean(size_t i, const char* name, bool fallback) {
    if (i >= info_.Length() || info_[i].IsUndefined()) return fallback;
    return Boolean(i, name);
  }
  Napi::Object Object(size_t i, const char* name) {
    return Check(info_[i].IsObject(), i, name, "an object") ? info_[i].As<Napi::Object>() : Napi::Object();
  }
  Napi::Function Function(size_t i, const char* name) {
    return Check(info_[i].IsFunction(), i, name, "a function") ? info_[i].As<Napi::Function>() : Napi::Function();
  }
  Napi::ArrayBuffer ArrayBuffer(size_t i, const char* name) {
    return Check(info_[i].IsArrayBuffer(), i, name, "an ArrayBuffer") ? info_[i].As<Napi::ArrayBuffer>() : Napi::ArrayBuffer();
  }
  Napi::Uint8Array Uint8Array(size_t i, const char* name) {
    return Check(IsTyped(i, napi_uint8_array), i, name, "a Uint8Array") ? info_[i].As<Napi::Uint8Array>() : Napi::Uint8Array();
  }
  Napi::Int32Array Int32Array(size_t i, const char* name) {
    return Check(IsTyped(i, napi_int32_array), i, name, "an Int32Array") ? info_[i].As<Napi::Int32Array>() : Napi::Int32Array();
  }
  Napi::Buffer<uint8_t> Buffer(size_t i, const char* name, size_t min_length) {
    bool fits = info_[i].IsBuffer() && info_[i].As<Napi::Buffer<uint8_t>>().Length() >= min_length;
    return Check(fits, i, name, "a Buffer long enough") ? info_[i].As<Napi::Buffer<uint8_t>>() : Napi::Buffer<uint8_t>();
  }

 private:
  bool Check(bool fits, size_t i, const char* name, const char* kind) {
    if (!ok_) return false;
    if (fits) return true;
    ok_ = false;
    Napi::TypeError::New(info_.Env(), std::string(function_) + ": argument " + std::to_string(i + 1) + " (" + name +
                                          ") must be " + kind)
        .ThrowAsJavaScriptException();
    return false;
  }

  bool IsTyped(size_t i, napi_typedarray_type type) const {
    return info_[i].IsTypedArray() && info_[i].As<Napi::TypedArray>().TypedArrayType() == type;
  }

  const Napi::CallbackInfo& info_;
  const char* function_;
  bool ok_ = true;
};
