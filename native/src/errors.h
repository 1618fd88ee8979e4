// A failed system call as a JavaScript Error in one line: `code` is the errno's symbolic
// name (EPERM), `errno` its number and `step` names the call that failed (TUNSETIFF,
// SIOCSIFMTU, ...), so that TypeScript explains it by its fields, never by parsing the
// message.
#pragma once
#include <napi.h>
#include <uv.h>
#include <cerrno>
#include <cstring>
#include <string>

// `step`: the failing step as a code; `what`: what was being done, for the message.
inline Napi::Value ThrowSysError(Napi::Env env, const char* step, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("step", Napi::String::New(env, step));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}
