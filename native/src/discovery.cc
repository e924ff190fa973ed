#include "discovery.h"
#include <dlfcn.h>
#include <string>
#include <vector>
#include "cuda/libraries.h"
#include "cuda/topology.h"

namespace ss {
namespace {

// Pinned prototypes of the few entry points discovery calls (CUDA driver API, NCCL, NVML).
typedef int (*cuInit_t)(unsigned int);
typedef int (*cuDeviceGetCount_t)(int*);
typedef int (*cuDriverGetVersion_t)(int*);
typedef int (*cuGetErrorString_t)(int, const char**);
typedef int (*ncclGetVersion_t)(int*);
typedef int (*nvrtcVersion_t)(int*, int*);
typedef int (*cublasGetProperty_t)(int, int*);
typedef int (*nvmlInit_t)();

struct Found {
  std::string name, path, error;
  void* handle = nullptr;
};

// Tries each directory in order, then the loader's own search (LD_LIBRARY_PATH, ld.so.cache).
Found openLib(const std::string& name, const std::vector<std::string>& sonames, const std::vector<std::string>& dirs) {
  Found f;
  f.name = name;
  std::string errors;
  for (const auto& d : dirs)
    for (const auto& so : sonames) {
      std::string p = d + "/" + so;
      if (void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL)) { f.handle = h; f.path = p; return f; }
    }
  for (const auto& so : sonames) {
    if (void* h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL)) { f.handle = h; f.path = so; return f; }
    const char* e = dlerror();
    if (e) errors += (errors.empty() ? "" : "; ") + std::string(e);
  }
  f.error = "dlopen failed: " + errors;
  return f;
}

}  // namespace

Napi::Value Discover(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> dirs;
  if (info.Length() > 0 && info[0].IsObject()) {
    auto o = info[0].As<Napi::Object>();
    if (o.Has("dirs") && o.Get("dirs").IsArray()) {
      auto a = o.Get("dirs").As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) dirs.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    }
  }
  auto res = Napi::Object::New(env);
  auto libs = Napi::Array::New(env);
  std::string reason;
  int devices = 0;
  auto add = [&](const Found& f, const std::string& version, const std::string& callError) {
    auto o = Napi::Object::New(env);
    o.Set("name", f.name);
    if (!f.path.empty()) o.Set("path", f.path);
    if (!f.error.empty()) o.Set("error", f.error);
    if (!callError.empty()) o.Set("error", callError);
    if (!version.empty()) o.Set("version", version);
    libs.Set(libs.Length(), o);
    const std::string err = !f.error.empty() ? f.error : callError;
    if (!err.empty() && reason.empty() && f.name != "nvml") reason = f.name + ": " + err;
  };

  Found cuda = openLib("cuda", {"libcuda.so.1", "libcuda.so"}, dirs);
  {
    std::string ver, err;
    if (cuda.handle) {
      auto init = (cuInit_t)dlsym(cuda.handle, "cuInit");
      auto count = (cuDeviceGetCount_t)dlsym(cuda.handle, "cuDeviceGetCount");
      auto dver = (cuDriverGetVersion_t)dlsym(cuda.handle, "cuDriverGetVersion");
      auto estr = (cuGetErrorString_t)dlsym(cuda.handle, "cuGetErrorString");
      if (!init || !count) err = "symbol cuInit/cuDeviceGetCount not found";
      else if (int rc = init(0)) {
        const char* s = nullptr;
        if (estr) estr(rc, &s);
        err = "cuInit failed with " + std::to_string(rc) + (s ? std::string(" (") + s + ")" : "");
      } else {
        int v = 0;
        if (dver && dver(&v) == 0) ver = std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
        if (count(&devices) != 0 || devices == 0) err = "cuDeviceGetCount found no GPU";
      }
    }
    add(cuda, ver, err);
  }
  Found nvrtc = openLib("nvrtc", {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}, dirs);
  {
    std::string ver, err;
    if (nvrtc.handle) {
      auto f = (nvrtcVersion_t)dlsym(nvrtc.handle, "nvrtcVersion");
      int a = 0, b = 0;
      if (!f) err = "symbol nvrtcVersion not found";
      else if (f(&a, &b) == 0) ver = std::to_string(a) + "." + std::to_string(b);
    }
    add(nvrtc, ver, err);
  }
  Found cublas = openLib("cublas", {"libcublas.so.13", "libcublas.so.12", "libcublas.so"}, dirs);
  {
    std::string ver, err;
    if (cublas.handle) {
      auto f = (cublasGetProperty_t)dlsym(cublas.handle, "cublasGetProperty");
      int ma = 0, mi = 0;
      if (!f) err = "symbol cublasGetProperty not found";
      else if (f(0, &ma) == 0 && f(1, &mi) == 0) ver = std::to_string(ma) + "." + std::to_string(mi);
    }
    add(cublas, ver, err);
  }
  Found nccl = openLib("nccl", {"libnccl.so.2", "libnccl.so"}, dirs);
  {
    std::string ver, err;
    if (nccl.handle) {
      auto f = (ncclGetVersion_t)dlsym(nccl.handle, "ncclGetVersion");
      int v = 0;
      if (!f) err = "symbol ncclGetVersion not found";
      else if (f(&v) != 0) err = "ncclGetVersion failed";
      else ver = std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." + std::to_string(v % 100);
    }
    add(nccl, ver, err);
  }
  Found nvml = openLib("nvml", {"libnvidia-ml.so.1", "libnvidia-ml.so"}, dirs);
  {
    std::string err;
    if (nvml.handle) {
      auto f = (nvmlInit_t)dlsym(nvml.handle, "nvmlInit_v2");
      if (!f) err = "symbol nvmlInit_v2 not found";
      else if (int rc = f()) err = "nvmlInit_v2 failed with " + std::to_string(rc);
    }
    add(nvml, "", err);
  }
  // Everything the CUDA backend binds (every symbol, cuInit, a GPU), and the link between each pair of GPUs.
  if (reason.empty() && devices > 0) {
    std::string err;
    if (const cuda::Api* api = cuda::loadApi(dirs, err)) {
      std::string nvmlErr;
      const cuda::Nvml* nvmlApi = cuda::loadNvml(dirs, nvmlErr);
      res.Set("topology", cuda::topologyToJs(env, cuda::readTopology(*api, nvmlApi, nvmlErr)));
    } else {
      reason = err;
    }
  }
  res.Set("libraries", libs);
  res.Set("devices", devices);
  res.Set("cuda", reason.empty() && devices > 0);
  if (!reason.empty()) res.Set("reason", reason);
  return res;
}

}  // namespace ss
