// The kernels' CUDA C text as a string for NVRTC, and the argument struct they take, from kernels.inc.
#pragma once

namespace ss {
namespace cuda {

#define SS_SHARED(name, ...) __VA_ARGS__ static const char* const name = #__VA_ARGS__;
#define SS_DEVICE(name, ...) static const char* const name = #__VA_ARGS__;
#include "kernels.inc"
#undef SS_SHARED
#undef SS_DEVICE

// The kernel names, in the order the executor indexes its CUfunction table.
enum Kernel { kSiluMul, kAdd, kScale, kConvert, kRmsNorm, kSoftmax, kBlockCopy, kGatherRows, kScatterAddRows, kTopK, kAttention, kRope, kGenerate, kSwigluRows, kRowsAxpy, kAttentionBwdQ, kAttentionBwdKv, kKernelCount };
static const char* const kKernelNames[kKernelCount] = {"ss_silu_mul", "ss_add", "ss_scale", "ss_convert", "ss_rmsnorm", "ss_softmax",
                                                       "ss_block_copy", "ss_gather_rows", "ss_scatter_add_rows", "ss_topk",
                                                       "ss_attention", "ss_rope", "ss_generate", "ss_swiglu_rows", "ss_rows_axpy",
                                                       "ss_attention_bwd_q", "ss_attention_bwd_kv"};

}  // namespace cuda
}  // namespace ss
