// Buffers are allocated, and counter-based ones generated, on the rank's own thread just before their
// first use: the first op starts without waiting for every weight of the run, each rank makes only its
// shard, and buffers no later op reads can be released (release()) to keep the peak low.
#pragma once
#include "program.h"

namespace ss {

// Allocates b (zeros, or its counter-based values) if it is not ready yet. Throws std::runtime_error when
// the init boxes do not match the buffer.
// threads > 1 generates large buffers on that many threads (a run with fewer ranks than cores).
void materialize(Buffer& b, int threads = 1);

// Frees b's storage; it is made again (zeros or counter values) if used later.
void release(Buffer& b);

}  // namespace ss
