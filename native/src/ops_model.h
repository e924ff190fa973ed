// CPU kernels of ops_model.cc that the CPU backend calls directly (not registered ops: other backends
// run these ops their own way).
#pragma once
#include "program.h"

namespace ss {

// A gemm with transB and at most a few dozen rows, f32, without accumulate: runs it and returns true;
// returns false (nothing done) for any other op.
// threads > 1 splits the weight's rows over that many threads.
bool runFewRowsGemm(Op& op, int threads = 1);

}  // namespace ss
