// Pinned prototypes of the CUDA driver API, NVRTC, cuBLAS, NCCL and NVML entry points the CUDA backend
// calls. They are our own typedefs, so the addon builds with no CUDA SDK: the libraries are dlopen'd at
// run time from the user's driver, CUDA toolkit or Python environment. Only ABI-stable entry points
// (the versioned `_v2` names where the header maps to them) and plain enum values are used.
// The stand-in library of the tests (test/native/standin/) includes this header too, so both sides
// agree on every signature.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {

// ---- CUDA driver API (libcuda.so.1) ----
typedef int CUresult;  // CUDA_SUCCESS = 0
typedef int CUdevice;
typedef struct CUctx_st* CUcontext;
typedef struct CUstream_st* CUstream;
typedef struct CUevent_st* CUevent;
typedef struct CUmod_st* CUmodule;
typedef struct CUfunc_st* CUfunction;
typedef unsigned long long CUdeviceptr;

enum : int {
  SS_CUDA_SUCCESS = 0,
  SS_CUDA_ERROR_INVALID_VALUE = 1,
  SS_CUDA_ERROR_OUT_OF_MEMORY = 2,
  SS_CUDA_ERROR_NOT_INITIALIZED = 3,
  SS_CUDA_ERROR_NO_DEVICE = 100,
  SS_CUDA_ERROR_INVALID_DEVICE = 101,
  SS_CUDA_ERROR_INVALID_IMAGE = 200,
  SS_CUDA_ERROR_INVALID_HANDLE = 400,
  SS_CUDA_ERROR_NOT_FOUND = 500,
  SS_CUDA_ERROR_NOT_READY = 600,
  SS_CUDA_ERROR_LAUNCH_FAILED = 719,
  SS_CUDA_ERROR_UNKNOWN = 999,
};
enum : int { SS_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, SS_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76 };
enum : unsigned { SS_CU_STREAM_NON_BLOCKING = 1, SS_CU_EVENT_DEFAULT = 0 };

typedef CUresult (*cuInit_t)(unsigned int flags);
typedef CUresult (*cuDriverGetVersion_t)(int* version);
typedef CUresult (*cuDeviceGetCount_t)(int* count);
typedef CUresult (*cuDeviceGet_t)(CUdevice* dev, int ordinal);
typedef CUresult (*cuDeviceGetName_t)(char* name, int len, CUdevice dev);
typedef CUresult (*cuDeviceGetAttribute_t)(int* value, int attrib, CUdevice dev);
typedef CUresult (*cuDeviceTotalMem_v2_t)(size_t* bytes, CUdevice dev);
typedef CUresult (*cuDeviceGetPCIBusId_t)(char* busId, int len, CUdevice dev);
typedef CUresult (*cuDevicePrimaryCtxRetain_t)(CUcontext* ctx, CUdevice dev);
typedef CUresult (*cuDevicePrimaryCtxRelease_v2_t)(CUdevice dev);
typedef CUresult (*cuCtxSetCurrent_t)(CUcontext ctx);
typedef CUresult (*cuCtxSynchronize_t)();
typedef CUresult (*cuMemAlloc_v2_t)(CUdeviceptr* p, size_t bytes);
typedef CUresult (*cuMemFree_v2_t)(CUdeviceptr p);
typedef CUresult (*cuMemcpyHtoD_v2_t)(CUdeviceptr dst, const void* src, size_t bytes);
typedef CUresult (*cuMemcpyDtoH_v2_t)(void* dst, CUdeviceptr src, size_t bytes);
typedef CUresult (*cuMemcpyHtoDAsync_v2_t)(CUdeviceptr dst, const void* src, size_t bytes, CUstream s);
typedef CUresult (*cuMemcpyDtoHAsync_v2_t)(void* dst, CUdeviceptr src, size_t bytes, CUstream s);
typedef CUresult (*cuMemcpyDtoDAsync_v2_t)(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream s);
typedef CUresult (*cuMemsetD8Async_t)(CUdeviceptr dst, unsigned char v, size_t n, CUstream s);
typedef CUresult (*cuStreamCreate_t)(CUstream* s, unsigned int flags);
typedef CUresult (*cuStreamDestroy_v2_t)(CUstream s);
typedef CUresult (*cuStreamSynchronize_t)(CUstream s);
typedef CUresult (*cuStreamQuery_t)(CUstream s);
typedef CUresult (*cuEventCreate_t)(CUevent* e, unsigned int flags);
typedef CUresult (*cuEventDestroy_v2_t)(CUevent e);
typedef CUresult (*cuEventRecord_t)(CUevent e, CUstream s);
typedef CUresult (*cuEventQuery_t)(CUevent e);
typedef CUresult (*cuEventSynchronize_t)(CUevent e);
typedef CUresult (*cuEventElapsedTime_t)(float* ms, CUevent start, CUevent end);
typedef CUresult (*cuModuleLoadData_t)(CUmodule* m, const void* image);
typedef CUresult (*cuModuleUnload_t)(CUmodule m);
typedef CUresult (*cuModuleGetFunction_t)(CUfunction* f, CUmodule m, const char* name);
typedef CUresult (*cuLaunchKernel_t)(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                     unsigned sharedBytes, CUstream s, void** params, void** extra);
typedef CUresult (*cuGetErrorString_t)(CUresult e, const char** s);
typedef CUresult (*cuGetErrorName_t)(CUresult e, const char** s);

// ---- NVRTC (libnvrtc.so.13 / .12) ----
typedef int nvrtcResult;  // NVRTC_SUCCESS = 0
typedef struct _nvrtcProgram* nvrtcProgram;
typedef nvrtcResult (*nvrtcVersion_t)(int* major, int* minor);
typedef nvrtcResult (*nvrtcGetNumSupportedArchs_t)(int* n);
typedef nvrtcResult (*nvrtcGetSupportedArchs_t)(int* archs);
typedef nvrtcResult (*nvrtcCreateProgram_t)(nvrtcProgram* p, const char* src, const char* name, int numHeaders,
                                            const char* const* headers, const char* const* includeNames);
typedef nvrtcResult (*nvrtcCompileProgram_t)(nvrtcProgram p, int numOptions, const char* const* options);
typedef nvrtcResult (*nvrtcGetProgramLogSize_t)(nvrtcProgram p, size_t* n);
typedef nvrtcResult (*nvrtcGetProgramLog_t)(nvrtcProgram p, char* log);
typedef nvrtcResult (*nvrtcGetCUBINSize_t)(nvrtcProgram p, size_t* n);
typedef nvrtcResult (*nvrtcGetCUBIN_t)(nvrtcProgram p, char* cubin);
typedef nvrtcResult (*nvrtcGetPTXSize_t)(nvrtcProgram p, size_t* n);
typedef nvrtcResult (*nvrtcGetPTX_t)(nvrtcProgram p, char* ptx);
typedef nvrtcResult (*nvrtcDestroyProgram_t)(nvrtcProgram* p);
typedef const char* (*nvrtcGetErrorString_t)(nvrtcResult r);

// ---- cuBLAS (libcublas.so.13 / .12) ----
typedef int cublasStatus_t;  // CUBLAS_STATUS_SUCCESS = 0
typedef struct cublasContext* cublasHandle_t;
enum : int { SS_CUBLAS_OP_N = 0, SS_CUBLAS_OP_T = 1 };
enum : int { SS_CUDA_R_32F = 0, SS_CUDA_R_16BF = 14 };          // cudaDataType_t
enum : int { SS_CUBLAS_COMPUTE_32F = 68 };                        // cublasComputeType_t
enum : int { SS_CUBLAS_GEMM_DEFAULT = -1 };                       // cublasGemmAlgo_t
typedef cublasStatus_t (*cublasGetProperty_t)(int type, int* value);
typedef cublasStatus_t (*cublasCreate_v2_t)(cublasHandle_t* h);
typedef cublasStatus_t (*cublasDestroy_v2_t)(cublasHandle_t h);
typedef cublasStatus_t (*cublasSetStream_v2_t)(cublasHandle_t h, CUstream s);
typedef cublasStatus_t (*cublasGemmEx_t)(cublasHandle_t h, int transa, int transb, int m, int n, int k, const void* alpha,
                                         const void* A, int Atype, int lda, const void* B, int Btype, int ldb,
                                         const void* beta, void* C, int Ctype, int ldc, int computeType, int algo);

// ---- NCCL (libnccl.so.2) ----
typedef int ncclResult_t;  // ncclSuccess = 0, ncclInProgress = 7
typedef struct ncclComm* ncclComm_t;
typedef struct { char internal[128]; } ncclUniqueId;
enum : int { SS_ncclInt32 = 2, SS_ncclFloat32 = 7, SS_ncclBfloat16 = 9 };  // ncclDataType_t
enum : int { SS_ncclSum = 0, SS_ncclMax = 2 };                             // ncclRedOp_t
typedef ncclResult_t (*ncclGetVersion_t)(int* v);
typedef ncclResult_t (*ncclGetUniqueId_t)(ncclUniqueId* id);
typedef ncclResult_t (*ncclCommInitRank_t)(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank);
typedef ncclResult_t (*ncclCommDestroy_t)(ncclComm_t comm);
typedef ncclResult_t (*ncclCommAbort_t)(ncclComm_t comm);
typedef ncclResult_t (*ncclGroupStart_t)();
typedef ncclResult_t (*ncclGroupEnd_t)();
typedef ncclResult_t (*ncclAllReduce_t)(const void* send, void* recv, size_t count, int type, int op, ncclComm_t c, CUstream s);
typedef ncclResult_t (*ncclAllGather_t)(const void* send, void* recv, size_t sendCount, int type, ncclComm_t c, CUstream s);
typedef ncclResult_t (*ncclReduceScatter_t)(const void* send, void* recv, size_t recvCount, int type, int op, ncclComm_t c, CUstream s);
typedef ncclResult_t (*ncclBroadcast_t)(const void* send, void* recv, size_t count, int type, int root, ncclComm_t c, CUstream s);
typedef ncclResult_t (*ncclSend_t)(const void* send, size_t count, int type, int peer, ncclComm_t c, CUstream s);
typedef ncclResult_t (*ncclRecv_t)(void* recv, size_t count, int type, int peer, ncclComm_t c, CUstream s);
typedef const char* (*ncclGetErrorString_t)(ncclResult_t r);

// ---- NVML (libnvidia-ml.so.1) ----
typedef int nvmlReturn_t;  // NVML_SUCCESS = 0
typedef struct nvmlDevice_st* nvmlDevice_t;
// nvmlGpuTopologyLevel_t: INTERNAL 0, SINGLE 10, MULTIPLE 20, HOSTBRIDGE 30, NODE 40, SYSTEM 50.
enum : int { SS_NVML_P2P_CAPS_INDEX_NVLINK = 2, SS_NVML_P2P_STATUS_OK = 0 };
typedef nvmlReturn_t (*nvmlInit_v2_t)();
typedef nvmlReturn_t (*nvmlShutdown_t)();
typedef nvmlReturn_t (*nvmlDeviceGetCount_v2_t)(unsigned* n);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByIndex_v2_t)(unsigned i, nvmlDevice_t* d);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByPciBusId_v2_t)(const char* busId, nvmlDevice_t* d);
typedef nvmlReturn_t (*nvmlDeviceGetTopologyCommonAncestor_t)(nvmlDevice_t a, nvmlDevice_t b, int* level);
typedef nvmlReturn_t (*nvmlDeviceGetP2PStatus_t)(nvmlDevice_t a, nvmlDevice_t b, int capsIndex, int* status);
typedef const char* (*nvmlErrorString_t)(nvmlReturn_t r);

}  // extern "C"
