// The CUDA driver API on the CPU: contexts are the current device of a thread, memory is host memory,
// streams are worker threads, events are times taken when a stream reaches them.
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include "kernels.h"
#include "standin.h"

namespace standin {
namespace {

bool gInit = false;
thread_local int tCurrent = -1;
std::mutex gMemM;
std::set<uint64_t> gAllocs;
struct Ctx { int device; };
Ctx gCtx[64];

struct Event {
  std::atomic<bool> recorded{false}, done{false};
  std::atomic<int64_t> ns{0};
};
struct Module {
  std::vector<std::string> names;
};
struct Function {
  std::string name;
  KernelFn fn;
};

#define FAIL_IF_INJECTED(name) \
  if (injected(#name)) return SS_CUDA_ERROR_UNKNOWN;
#define NEED_INIT \
  if (!gInit) return SS_CUDA_ERROR_NOT_INITIALIZED;
#define NEED_CTX \
  if (tCurrent < 0) return 201; /* CUDA_ERROR_INVALID_CONTEXT */

}  // namespace

int currentDevice() { return tCurrent; }

}  // namespace standin

using namespace standin;

STANDIN_API CUresult cuInit(unsigned) {
  FAIL_IF_INJECTED(cuInit)
  gInit = true;
  return 0;
}
STANDIN_API CUresult cuDriverGetVersion(int* v) { *v = 13000; return 0; }
STANDIN_API CUresult cuDeviceGetCount(int* n) {
  NEED_INIT
  FAIL_IF_INJECTED(cuDeviceGetCount)
  *n = int(visibleGpus().size());
  return 0;
}
STANDIN_API CUresult cuDeviceGet(CUdevice* d, int ordinal) {
  NEED_INIT
  if (ordinal < 0 || ordinal >= int(visibleGpus().size())) return SS_CUDA_ERROR_INVALID_DEVICE;
  *d = ordinal;
  return 0;
}
STANDIN_API CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
  std::snprintf(name, size_t(len), "Stand-in GPU %d", visibleGpus().at(size_t(d)));
  return 0;
}
STANDIN_API CUresult cuDeviceGetAttribute(int* v, int attr, CUdevice) {
  if (attr == SS_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) *v = ccMajor();
  else if (attr == SS_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR) *v = ccMinor();
  else return SS_CUDA_ERROR_INVALID_VALUE;
  return 0;
}
STANDIN_API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice) { *bytes = size_t(80) << 30; return 0; }
STANDIN_API CUresult cuDeviceGetPCIBusId(char* bus, int len, CUdevice d) {
  if (d < 0 || d >= int(visibleGpus().size())) return SS_CUDA_ERROR_INVALID_DEVICE;
  // The driver writes the 4-digit domain form.
  std::snprintf(bus, size_t(len), "%s", busIdOf(visibleGpus()[size_t(d)]).substr(4).c_str());
  return 0;
}
STANDIN_API CUresult cuDevicePrimaryCtxRetain(CUcontext* c, CUdevice d) {
  NEED_INIT
  FAIL_IF_INJECTED(cuDevicePrimaryCtxRetain)
  if (d < 0 || d >= int(visibleGpus().size())) return SS_CUDA_ERROR_INVALID_DEVICE;
  gCtx[d].device = d;
  *c = reinterpret_cast<CUcontext>(&gCtx[d]);
  return 0;
}
STANDIN_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice) { return 0; }
STANDIN_API CUresult cuCtxSetCurrent(CUcontext c) {
  tCurrent = c ? reinterpret_cast<Ctx*>(c)->device : -1;
  return 0;
}
STANDIN_API CUresult cuCtxSynchronize() { NEED_CTX return 0; }

STANDIN_API CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
  NEED_CTX
  FAIL_IF_INJECTED(cuMemAlloc_v2)
  if (bytes == 0) return SS_CUDA_ERROR_INVALID_VALUE;
  void* m = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!m) return SS_CUDA_ERROR_OUT_OF_MEMORY;
  std::lock_guard<std::mutex> lk(gMemM);
  gAllocs.insert(reinterpret_cast<uint64_t>(m));
  *p = reinterpret_cast<uint64_t>(m);
  return 0;
}
STANDIN_API CUresult cuMemFree_v2(CUdeviceptr p) {
  std::lock_guard<std::mutex> lk(gMemM);
  if (!gAllocs.erase(p)) return SS_CUDA_ERROR_INVALID_VALUE;
  std::free(reinterpret_cast<void*>(p));
  return 0;
}
STANDIN_API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) {
  NEED_CTX
  FAIL_IF_INJECTED(cuMemcpyHtoD_v2)
  std::memcpy(reinterpret_cast<void*>(dst), src, n);
  return 0;
}
STANDIN_API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) {
  NEED_CTX
  std::memcpy(dst, reinterpret_cast<const void*>(src), n);
  return 0;
}
STANDIN_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, CUstream s) {
  NEED_CTX
  enqueue(s, [=] { std::memcpy(reinterpret_cast<void*>(dst), src, n); });
  return 0;
}
STANDIN_API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, CUstream s) {
  NEED_CTX
  enqueue(s, [=] { std::memcpy(dst, reinterpret_cast<const void*>(src), n); });
  return 0;
}
STANDIN_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
  NEED_CTX
  enqueue(s, [=] { std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), n); });
  return 0;
}
STANDIN_API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, CUstream s) {
  NEED_CTX
  enqueue(s, [=] { std::memset(reinterpret_cast<void*>(dst), v, n); });
  return 0;
}

STANDIN_API CUresult cuStreamCreate(CUstream* s, unsigned) {
  NEED_CTX
  FAIL_IF_INJECTED(cuStreamCreate)
  *s = reinterpret_cast<CUstream>(new Stream(tCurrent));
  return 0;
}
STANDIN_API CUresult cuStreamDestroy_v2(CUstream s) {
  delete reinterpret_cast<Stream*>(s);
  return 0;
}
STANDIN_API CUresult cuStreamSynchronize(CUstream s) {
  if (s) reinterpret_cast<Stream*>(s)->sync();
  return 0;
}
STANDIN_API CUresult cuStreamQuery(CUstream s) {
  return !s || reinterpret_cast<Stream*>(s)->idle() ? 0 : SS_CUDA_ERROR_NOT_READY;
}

STANDIN_API CUresult cuEventCreate(CUevent* e, unsigned) {
  NEED_CTX
  *e = reinterpret_cast<CUevent>(new Event);
  return 0;
}
STANDIN_API CUresult cuEventDestroy_v2(CUevent e) {
  delete reinterpret_cast<Event*>(e);
  return 0;
}
STANDIN_API CUresult cuEventRecord(CUevent e, CUstream s) {
  NEED_CTX
  FAIL_IF_INJECTED(cuEventRecord)
  auto* ev = reinterpret_cast<Event*>(e);
  ev->done = false;
  ev->recorded = true;
  enqueue(s, [ev] { ev->ns = nowNs(); ev->done = true; });
  return 0;
}
STANDIN_API CUresult cuEventQuery(CUevent e) {
  return reinterpret_cast<Event*>(e)->done ? 0 : SS_CUDA_ERROR_NOT_READY;
}
STANDIN_API CUresult cuEventSynchronize(CUevent e) {
  auto* ev = reinterpret_cast<Event*>(e);
  while (ev->recorded && !ev->done) std::this_thread::sleep_for(std::chrono::microseconds(100));
  return 0;
}
STANDIN_API CUresult cuEventElapsedTime(float* ms, CUevent a, CUevent b) {
  auto *ea = reinterpret_cast<Event*>(a), *eb = reinterpret_cast<Event*>(b);
  if (!ea->recorded || !eb->recorded) return SS_CUDA_ERROR_INVALID_HANDLE;
  if (!ea->done || !eb->done) return SS_CUDA_ERROR_NOT_READY;
  *ms = float(double(eb->ns - ea->ns) / 1e6);
  return 0;
}

// Images come from the stand-in's NVRTC: a header line, then the kernel names.
STANDIN_API CUresult cuModuleLoadData(CUmodule* m, const void* image) {
  NEED_CTX
  FAIL_IF_INJECTED(cuModuleLoadData)
  const std::string text(static_cast<const char*>(image));
  if (text.rfind("STANDIN-CUBIN ", 0) != 0 && text.rfind("STANDIN-PTX ", 0) != 0) return SS_CUDA_ERROR_INVALID_IMAGE;
  auto* mod = new Module;
  size_t at = text.find('\n');
  while (at != std::string::npos && at + 1 < text.size()) {
    const size_t next = text.find('\n', at + 1);
    mod->names.push_back(text.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1));
    at = next;
  }
  *m = reinterpret_cast<CUmodule>(mod);
  return 0;
}
STANDIN_API CUresult cuModuleUnload(CUmodule m) {
  delete reinterpret_cast<Module*>(m);
  return 0;
}
STANDIN_API CUresult cuModuleGetFunction(CUfunction* f, CUmodule m, const char* name) {
  auto* mod = reinterpret_cast<Module*>(m);
  bool listed = false;
  for (const auto& n : mod->names) listed = listed || n == name;
  KernelFn fn = kernelNamed(name);
  if (!listed || !fn) return SS_CUDA_ERROR_NOT_FOUND;
  *f = reinterpret_cast<CUfunction>(new Function{name, fn});
  return 0;
}
STANDIN_API CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                    unsigned, CUstream s, void** params, void** extra) {
  NEED_CTX
  FAIL_IF_INJECTED(cuLaunchKernel)
  if (!f || !params || extra || gx == 0 || bx == 0 || bx > 1024 || gy != 1 || gz != 1 || by != 1 || bz != 1) return SS_CUDA_ERROR_INVALID_VALUE;
  // The parameters are copied at launch, as the driver does.
  std::vector<char> args(kernelArgsSize());
  std::memcpy(args.data(), params[0], args.size());
  KernelFn fn = reinterpret_cast<Function*>(f)->fn;
  enqueue(s, [fn, args = std::move(args), gx, bx] { runKernel(fn, args.data(), gx, bx); });
  return 0;
}

STANDIN_API CUresult cuGetErrorName(CUresult e, const char** s) {
  static const std::map<int, const char*> k = {
      {0, "CUDA_SUCCESS"}, {1, "CUDA_ERROR_INVALID_VALUE"}, {2, "CUDA_ERROR_OUT_OF_MEMORY"}, {3, "CUDA_ERROR_NOT_INITIALIZED"},
      {100, "CUDA_ERROR_NO_DEVICE"}, {101, "CUDA_ERROR_INVALID_DEVICE"}, {200, "CUDA_ERROR_INVALID_IMAGE"},
      {201, "CUDA_ERROR_INVALID_CONTEXT"}, {400, "CUDA_ERROR_INVALID_HANDLE"}, {500, "CUDA_ERROR_NOT_FOUND"},
      {600, "CUDA_ERROR_NOT_READY"}, {999, "CUDA_ERROR_UNKNOWN"}};
  auto it = k.find(e);
  *s = it == k.end() ? nullptr : it->second;
  return it == k.end() ? SS_CUDA_ERROR_INVALID_VALUE : 0;
}
STANDIN_API CUresult cuGetErrorString(CUresult e, const char** s) {
  static const std::map<int, const char*> k = {
      {0, "no error"}, {1, "invalid argument"}, {2, "out of memory"}, {3, "initialization error"}, {100, "no CUDA-capable device is detected"},
      {101, "invalid device ordinal"}, {200, "device kernel image is invalid"}, {201, "invalid device context"},
      {400, "invalid resource handle"}, {500, "named symbol not found"}, {600, "device not ready"}, {999, "unknown error"}};
  auto it = k.find(e);
  *s = it == k.end() ? nullptr : it->second;
  return it == k.end() ? SS_CUDA_ERROR_INVALID_VALUE : 0;
}
