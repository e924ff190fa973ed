// CPU kernels: GEMM and the element-wise ops of a decoder layer, plus the shared-memory collectives.
#pragma once
#include "program.h"
#include "comm.h"

namespace ss {

// Runs one compute op on the CPU. Shapes were checked by validate(); throws std::runtime_error otherwise.
void runComputeOp(Op& op);

// C[M×N] (+)= A[M×K] · B[K×N] (or B[N×K]ᵀ when transB), fp32 accumulation.
void gemmF32(const float* A, const float* B, float* C, int64_t M, int64_t N, int64_t K, bool transB, bool accumulate);

// Runs one collective for member `me` of `comm`. Returns the wait outcome (Timeout/Stopped abort the run).
WaitResult runCollective(Op& op, Comm& comm, int me, RunControl& ctl);

}  // namespace ss
