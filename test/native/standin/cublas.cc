// cuBLAS GemmEx on the CPU: column-major, fp32 or bf16 storage, fp32 accumulation, run on the handle's stream.
#include <cstring>
#include <vector>
#include "standin.h"

namespace {
struct Handle {
  CUstream stream = nullptr;
};
float load(const void* p, int type, size_t i) {
  if (type == SS_CUDA_R_32F) return static_cast<const float*>(p)[i];
  uint32_t u = uint32_t(static_cast<const uint16_t*>(p)[i]) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
void store(void* p, int type, size_t i, float v) {
  if (type == SS_CUDA_R_32F) { static_cast<float*>(p)[i] = v; return; }
  uint32_t u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7fffffff) > 0x7f800000) { static_cast<uint16_t*>(p)[i] = uint16_t((u >> 16) | 0x40); return; }
  u += 0x7fff + ((u >> 16) & 1);
  static_cast<uint16_t*>(p)[i] = uint16_t(u >> 16);
}
}  // namespace

using namespace standin;

STANDIN_API cublasStatus_t cublasGetProperty(int type, int* v) {
  *v = type == 0 ? 13 : type == 1 ? 1 : 0;
  return 0;
}
STANDIN_API cublasStatus_t cublasCreate_v2(cublasHandle_t* h) {
  if (currentDevice() < 0 || injected("cublasCreate_v2")) return 1;  // CUBLAS_STATUS_NOT_INITIALIZED
  *h = reinterpret_cast<cublasHandle_t>(new Handle);
  return 0;
}
STANDIN_API cublasStatus_t cublasDestroy_v2(cublasHandle_t h) {
  delete reinterpret_cast<Handle*>(h);
  return 0;
}
STANDIN_API cublasStatus_t cublasSetStream_v2(cublasHandle_t h, CUstream s) {
  reinterpret_cast<Handle*>(h)->stream = s;
  return 0;
}
STANDIN_API cublasStatus_t cublasGemmEx(cublasHandle_t h, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int At,
                                        int lda, const void* B, int Bt, int ldb, const void* beta, void* C, int Ct, int ldc, int compute, int) {
  if (injected("cublasGemmEx")) return 13;  // CUBLAS_STATUS_EXECUTION_FAILED
  const bool types = (At == SS_CUDA_R_32F || At == SS_CUDA_R_16BF) && At == Bt && (Ct == SS_CUDA_R_32F || Ct == SS_CUDA_R_16BF) &&
                     !(At == SS_CUDA_R_32F && Ct == SS_CUDA_R_16BF);
  if (!types || compute != SS_CUBLAS_COMPUTE_32F) return 15;  // CUBLAS_STATUS_NOT_SUPPORTED
  if (m < 0 || n < 0 || k < 0 || lda < (ta ? k : m) || ldb < (tb ? n : k) || ldc < m) return 7;  // CUBLAS_STATUS_INVALID_VALUE
  const float al = *static_cast<const float*>(alpha), be = *static_cast<const float*>(beta);
  enqueue(reinterpret_cast<Handle*>(h)->stream, [=] {
    // C[i, j] (column-major) = α Σ_p op(A)[i, p] op(B)[p, j] + β C[i, j]
    for (int j = 0; j < n; j++)
      for (int i = 0; i < m; i++) {
        float acc = 0;
        for (int p = 0; p < k; p++) {
          const float a = ta ? load(A, At, size_t(i) * lda + p) : load(A, At, size_t(p) * lda + i);
          const float b = tb ? load(B, Bt, size_t(p) * ldb + j) : load(B, Bt, size_t(j) * ldb + p);
          acc += a * b;
        }
        const size_t c = size_t(j) * ldc + i;
        store(C, Ct, c, be == 0 ? al * acc : al * acc + be * load(C, Ct, c));
      }
  });
  return 0;
}
