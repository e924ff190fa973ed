// NVRTC compilation of the kernels for a compute capability, once per process: a cubin for the
// device's own architecture when this NVRTC knows it, else PTX for the newest architecture it knows
// below the device's (the driver JIT-compiles PTX forward), so no PTX built here can outrun the driver.
#pragma once
#include <string>
#include <vector>
#include "libraries.h"

namespace ss {
namespace cuda {

struct Image {
  std::vector<char> bytes;  // NUL-terminated for PTX
  std::string arch;         // "sm_90" (cubin) or "compute_80" (PTX)
};

// Throws std::runtime_error naming the NVRTC call and, for a compile error, NVRTC's log.
const Image& compileKernels(const Api& api, int ccMajor, int ccMinor);

}  // namespace cuda
}  // namespace ss
