// The same CUDA C text the addon hands to NVRTC, compiled here as C++: a prelude supplies what CUDA
// provides (thread and block indices, __global__, the bit casts), and each launch runs every thread in turn.
#include "kernels.h"
#include <cmath>
#include <cstring>
#include <map>

namespace standin {
namespace dev {

struct Dim3 { unsigned x = 0, y = 0, z = 0; };
thread_local Dim3 blockIdx, threadIdx, blockDim, gridDim;
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float expf(float x) { return std::exp(x); }
inline float fmaxf(float a, float b) { return std::fmax(a, b); }
inline float rintf(float x) { return std::rint(x); }
inline float floorf(float x) { return std::floor(x); }
using std::sqrt;

#define __global__
#define __device__ static inline
#define SS_SHARED(name, ...) __VA_ARGS__ static const char* const name = #__VA_ARGS__;
#define SS_DEVICE(name, ...) __VA_ARGS__ static const char* const name = #__VA_ARGS__;
#include "../../../native/src/cuda/kernels.inc"
#undef SS_SHARED
#undef SS_DEVICE
#undef __global__
#undef __device__

}  // namespace dev

namespace {
template <void (*F)(dev::SsArgs)>
void call(const void* a) {
  dev::SsArgs v;
  std::memcpy(&v, a, sizeof v);
  F(v);
}
}  // namespace

KernelFn kernelNamed(const std::string& name) {
  static const std::map<std::string, KernelFn> k = {
      {"ss_silu_mul", call<dev::ss_silu_mul>}, {"ss_add", call<dev::ss_add>}, {"ss_scale", call<dev::ss_scale>},
      {"ss_convert", call<dev::ss_convert>}, {"ss_rmsnorm", call<dev::ss_rmsnorm>}, {"ss_softmax", call<dev::ss_softmax>},
      {"ss_block_copy", call<dev::ss_block_copy>}, {"ss_gather_rows", call<dev::ss_gather_rows>},
      {"ss_scatter_add_rows", call<dev::ss_scatter_add_rows>}, {"ss_topk", call<dev::ss_topk>},
      {"ss_attention", call<dev::ss_attention>}, {"ss_rope", call<dev::ss_rope>}, {"ss_generate", call<dev::ss_generate>},
      {"ss_swiglu_rows", call<dev::ss_swiglu_rows>}, {"ss_rows_axpy", call<dev::ss_rows_axpy>},
      {"ss_attention_bwd_q", call<dev::ss_attention_bwd_q>}, {"ss_attention_bwd_kv", call<dev::ss_attention_bwd_kv>}};
  auto it = k.find(name);
  return it == k.end() ? nullptr : it->second;
}

void runKernel(KernelFn fn, const void* args, unsigned gx, unsigned bx) {
  dev::gridDim.x = gx;
  dev::blockDim.x = bx;
  for (unsigned b = 0; b < gx; b++)
    for (unsigned t = 0; t < bx; t++) {
      dev::blockIdx.x = b;
      dev::threadIdx.x = t;
      fn(args);
    }
}

size_t kernelArgsSize() { return sizeof(dev::SsArgs); }
const char* argsSource() { return dev::kArgsSource; }
const char* kernelSource() { return dev::kKernelSource; }

}  // namespace standin
