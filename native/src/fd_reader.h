#pragma once
#include <napi.h>

// FdReader: watches a non-blocking TAP fd with uv_poll and, each time it is readable,
// reads whole frames (one read(2) each) into a shared region, each behind room for its
// VXLAN header, until EAGAIN or the batch is full, then calls back into JS once.
namespace fd_reader {
void Init(Napi::Env env, Napi::Object exports);
}
