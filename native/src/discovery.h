// Run-time discovery of the CUDA driver, NVRTC, cuBLAS, NCCL and NVML through dlopen with our own
// pinned prototypes: nothing from the CUDA SDK is needed to build or install the addon.
#pragma once
#include <napi.h>

namespace ss {
// discover({dirs: string[]}) → {libraries: [{name, path?, error?, version?}], devices, cuda: bool, reason?}
Napi::Value Discover(const Napi::CallbackInfo& info);
}
