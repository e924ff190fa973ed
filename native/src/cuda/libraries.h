// The CUDA libraries, dlopen'd at run time in the search order the host passes (the setting,
// CUDA_HOME, LD_LIBRARY_PATH, the Python environment's nvidia/*/lib), then the system loader, trying the
// CUDA 13 sonames before CUDA 12. Every failure names the library and the dlopen or symbol that failed.
#pragma once
#include <string>
#include <vector>
#include "api.h"

namespace ss {
namespace cuda {

struct Library {
  std::string name;   // cuda, nvrtc, cublas, nccl, nvml
  std::string path;   // what dlopen loaded
  std::string error;  // why it did not
  void* handle = nullptr;
};

// Directories in order, each with every soname, then the loader's own search by soname.
Library openLibrary(const std::string& name, const std::vector<std::string>& sonames, const std::vector<std::string>& dirs);

const std::vector<std::string>& sonamesOf(const std::string& name);

#define SS_CUDA_DRIVER_SYMBOLS(X)                                                                               \
  X(cuInit) X(cuDriverGetVersion) X(cuDeviceGetCount) X(cuDeviceGet) X(cuDeviceGetName) X(cuDeviceGetAttribute)  \
  X(cuDeviceTotalMem_v2) X(cuDeviceGetPCIBusId) X(cuDevicePrimaryCtxRetain) X(cuDevicePrimaryCtxRelease_v2)      \
  X(cuCtxSetCurrent) X(cuCtxSynchronize) X(cuMemAlloc_v2) X(cuMemFree_v2) X(cuMemcpyHtoD_v2) X(cuMemcpyDtoH_v2)  \
  X(cuMemcpyHtoDAsync_v2) X(cuMemcpyDtoHAsync_v2) X(cuMemcpyDtoDAsync_v2) X(cuMemsetD8Async) X(cuStreamCreate)   \
  X(cuStreamDestroy_v2) X(cuStreamSynchronize) X(cuStreamQuery) X(cuEventCreate) X(cuEventDestroy_v2)            \
  X(cuEventRecord) X(cuEventQuery) X(cuEventSynchronize) X(cuEventElapsedTime) X(cuModuleLoadData)               \
  X(cuModuleUnload) X(cuModuleGetFunction) X(cuLaunchKernel) X(cuGetErrorString) X(cuGetErrorName)
#define SS_NVRTC_SYMBOLS(X)                                                                                      \
  X(nvrtcVersion) X(nvrtcGetNumSupportedArchs) X(nvrtcGetSupportedArchs) X(nvrtcCreateProgram)                   \
  X(nvrtcCompileProgram) X(nvrtcGetProgramLogSize) X(nvrtcGetProgramLog) X(nvrtcGetCUBINSize) X(nvrtcGetCUBIN)   \
  X(nvrtcGetPTXSize) X(nvrtcGetPTX) X(nvrtcDestroyProgram) X(nvrtcGetErrorString)
#define SS_CUBLAS_SYMBOLS(X) X(cublasGetProperty) X(cublasCreate_v2) X(cublasDestroy_v2) X(cublasSetStream_v2) X(cublasGemmEx)
#define SS_NCCL_SYMBOLS(X)                                                                                       \
  X(ncclGetVersion) X(ncclGetUniqueId) X(ncclCommInitRank) X(ncclCommDestroy) X(ncclCommAbort) X(ncclGroupStart) \
  X(ncclGroupEnd) X(ncclAllReduce) X(ncclAllGather) X(ncclReduceScatter) X(ncclBroadcast) X(ncclSend) X(ncclRecv) \
  X(ncclGetErrorString)
#define SS_NVML_SYMBOLS(X)                                                                                       \
  X(nvmlInit_v2) X(nvmlShutdown) X(nvmlDeviceGetCount_v2) X(nvmlDeviceGetHandleByIndex_v2)                       \
  X(nvmlDeviceGetHandleByPciBusId_v2) X(nvmlDeviceGetTopologyCommonAncestor) X(nvmlDeviceGetP2PStatus) X(nvmlErrorString)

#define SS_CUDA_MEMBER(n) n##_t n = nullptr;

// Everything the executor calls. Loaded once per set of directories and kept for the process (NCCL and
// the driver are never unloaded).
struct Api {
  Library cuda, nvrtc, cublas, nccl;
  SS_CUDA_DRIVER_SYMBOLS(SS_CUDA_MEMBER)
  SS_NVRTC_SYMBOLS(SS_CUDA_MEMBER)
  SS_CUBLAS_SYMBOLS(SS_CUDA_MEMBER)
  SS_NCCL_SYMBOLS(SS_CUDA_MEMBER)
  int driverVersion = 0, deviceCount = 0;

  // "cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory"
  std::string cuError(CUresult r, const char* call) const;
  std::string ncclError(ncclResult_t r, const char* call) const;
};

// NVML, optional: the topology is extra information, never a reason to refuse a run.
struct Nvml {
  Library lib;
  SS_NVML_SYMBOLS(SS_CUDA_MEMBER)
};

// Loads (or returns the already loaded) libraries for these directories and calls cuInit. On failure
// returns nullptr and `error` says which library, symbol or call failed ("nccl: symbol ncclSend not
// found in /x/libnccl.so.2").
const Api* loadApi(const std::vector<std::string>& dirs, std::string& error);
const Nvml* loadNvml(const std::vector<std::string>& dirs, std::string& error);

}  // namespace cuda
}  // namespace ss
