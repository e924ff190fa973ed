#include "libraries.h"
#include <dirent.h>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>

namespace ss {
namespace cuda {

const std::vector<std::string>& sonamesOf(const std::string& name) {
  static const std::map<std::string, std::vector<std::string>> k = {
      {"cuda", {"libcuda.so.1", "libcuda.so"}},
      {"nvrtc", {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}},
      {"cublas", {"libcublas.so.13", "libcublas.so.12", "libcublas.so"}},
      {"nccl", {"libnccl.so.2", "libnccl.so"}},
      {"nvml", {"libnvidia-ml.so.1", "libnvidia-ml.so"}},
  };
  return k.at(name);
}

namespace {

// NVRTC loads libnvrtc-builtins.so.<major>.<minor> by soname at compile time; the wheels (nvidia/cu13/lib)
// carry it beside libnvrtc without a search path that finds it. Loading it first from the same folder
// makes that lookup succeed (the loader matches the soname of an object already loaded).
void preloadNvrtcBuiltins(const std::string& dir, const std::string& soname) {
  const std::string major = soname.substr(soname.rfind(".so.") + 4);
  const std::string prefix = "libnvrtc-builtins.so." + major;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string f = e->d_name;
      if (f.rfind(prefix, 0) == 0 && (f.size() == prefix.size() || f[prefix.size()] == '.')) dlopen((dir + "/" + f).c_str(), RTLD_NOW | RTLD_GLOBAL);
    }
    closedir(d);
  }
}

}  // namespace

Library openLibrary(const std::string& name, const std::vector<std::string>& sonames, const std::vector<std::string>& dirs) {
  Library f;
  f.name = name;
  std::string errors;
  for (const auto& d : dirs)
    for (const auto& so : sonames) {
      const std::string p = d + "/" + so;
      if (void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        if (name == "nvrtc" && so.find(".so.") != std::string::npos) preloadNvrtcBuiltins(d, so);
        f.handle = h; f.path = p; return f;
      }
    }
  for (const auto& so : sonames) {
    if (void* h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL)) { f.handle = h; f.path = so; return f; }
    if (const char* e = dlerror()) errors += (errors.empty() ? "" : "; ") + std::string(e);
  }
  f.error = "dlopen failed: " + errors;
  return f;
}

std::string Api::cuError(CUresult r, const char* call) const {
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName) cuGetErrorName(r, &name);
  if (cuGetErrorString) cuGetErrorString(r, &text);
  return std::string(call) + " failed: " + (name ? name : "CUDA error") + " (" + std::to_string(r) + ")" + (text ? std::string(": ") + text : "");
}

std::string Api::ncclError(ncclResult_t r, const char* call) const {
  const char* text = ncclGetErrorString ? ncclGetErrorString(r) : nullptr;
  return std::string(call) + " failed: NCCL error " + std::to_string(r) + (text ? std::string(" (") + text + ")" : "");
}

namespace {

std::string key(const std::vector<std::string>& dirs) {
  std::string k;
  for (const auto& d : dirs) k += d + '\n';
  return k;
}

template <typename F>
bool bind(const Library& lib, const char* symbol, F& fn, std::string& error) {
  fn = reinterpret_cast<F>(dlsym(lib.handle, symbol));
  if (!fn && error.empty()) error = lib.name + ": symbol " + symbol + " not found in " + lib.path;
  return fn != nullptr;
}

std::mutex gM;
std::map<std::string, std::unique_ptr<Api>> gApis;
std::map<std::string, std::unique_ptr<Nvml>> gNvmls;

}  // namespace

const Api* loadApi(const std::vector<std::string>& dirs, std::string& error) {
  std::lock_guard<std::mutex> lk(gM);
  auto& slot = gApis[key(dirs)];
  if (slot) return slot.get();
  auto api = std::make_unique<Api>();
  for (auto* lib : {&api->cuda, &api->nvrtc, &api->cublas, &api->nccl}) {
    const std::string name = lib == &api->cuda ? "cuda" : lib == &api->nvrtc ? "nvrtc" : lib == &api->cublas ? "cublas" : "nccl";
    *lib = openLibrary(name, sonamesOf(name), dirs);
    if (!lib->handle) { error = name + ": " + lib->error; return nullptr; }
  }
  error.clear();
#define SS_BIND_CUDA(n) bind(api->cuda, #n, api->n, error);
#define SS_BIND_NVRTC(n) bind(api->nvrtc, #n, api->n, error);
#define SS_BIND_CUBLAS(n) bind(api->cublas, #n, api->n, error);
#define SS_BIND_NCCL(n) bind(api->nccl, #n, api->n, error);
  SS_CUDA_DRIVER_SYMBOLS(SS_BIND_CUDA)
  SS_NVRTC_SYMBOLS(SS_BIND_NVRTC)
  SS_CUBLAS_SYMBOLS(SS_BIND_CUBLAS)
  SS_NCCL_SYMBOLS(SS_BIND_NCCL)
  if (!error.empty()) return nullptr;
  if (CUresult r = api->cuInit(0)) { error = "cuda: " + api->cuError(r, "cuInit"); return nullptr; }
  api->cuDriverGetVersion(&api->driverVersion);
  if (CUresult r = api->cuDeviceGetCount(&api->deviceCount)) { error = "cuda: " + api->cuError(r, "cuDeviceGetCount"); return nullptr; }
  if (api->deviceCount == 0) { error = "cuda: cuDeviceGetCount found no GPU (CUDA_VISIBLE_DEVICES may hide them)"; return nullptr; }
  slot = std::move(api);
  return slot.get();
}

const Nvml* loadNvml(const std::vector<std::string>& dirs, std::string& error) {
  std::lock_guard<std::mutex> lk(gM);
  auto& slot = gNvmls[key(dirs)];
  if (slot) return slot.get();
  auto n = std::make_unique<Nvml>();
  n->lib = openLibrary("nvml", sonamesOf("nvml"), dirs);
  if (!n->lib.handle) { error = "nvml: " + n->lib.error; return nullptr; }
  error.clear();
#define SS_BIND_NVML(s) bind(n->lib, #s, n->s, error);
  SS_NVML_SYMBOLS(SS_BIND_NVML)
  if (!error.empty()) return nullptr;
  if (nvmlReturn_t r = n->nvmlInit_v2()) {
    const char* t = n->nvmlErrorString(r);
    error = "nvml: nvmlInit_v2 failed with " + std::to_string(r) + (t ? std::string(" (") + t + ")" : "");
    return nullptr;
  }
  slot = std::move(n);
  return slot.get();
}

}  // namespace cuda
}  // namespace ss
