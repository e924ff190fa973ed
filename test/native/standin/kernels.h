// The kernels of native/src/cuda/kernels.inc built for the CPU, by name.
#pragma once
#include <string>

namespace standin {

typedef void (*KernelFn)(const void* args);
// The kernel of that name, or null.
KernelFn kernelNamed(const std::string& name);
// Runs a launch: every thread of every block, in order.
void runKernel(KernelFn fn, const void* args, unsigned gx, unsigned bx);
// Size of the kernels' one argument (SsArgs).
size_t kernelArgsSize();
// The CUDA C text the stand-in was built from; NVRTC refuses any other source.
const char* argsSource();
const char* kernelSource();

}  // namespace standin
