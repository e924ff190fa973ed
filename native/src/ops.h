// CPU kernels: GEMM and the element-wise ops of a decoder layer (collectives: collectives.h).
#pragma once
#include "program.h"
#include "comm.h"
#include "collectives.h"

namespace ss {

// Runs one compute op on the CPU. Shapes were checked by validate(); throws std::runtime_error otherwise.
void runComputeOp(Op& op);

// C[M×N] (+)= A[M×K] · B[K×N] (or B[N×K]ᵀ when transB), fp32 accumulation.
void gemmF32(const float* A, const float* B, float* C, int64_t M, int64_t N, int64_t K, bool transB, bool accumulate);

}  // namespace ss
