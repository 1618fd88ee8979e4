#pragma once
#include <napi.h>

// FdReader: watches a non-blocking fd with uv_poll and, each time it is readable, reads
// whole frames (one read(2) each) into caller-chosen offsets of a shared region until
// EAGAIN or the batch is full, then calls back into JS once with the count.
namespace fd_reader {
void Init(Napi::Env env, Napi::Object exports);
}
