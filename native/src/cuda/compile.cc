#include "compile.h"
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include "kernelSource.h"

namespace ss {
namespace cuda {

namespace {

std::mutex gM;
std::map<std::pair<const Api*, int>, std::unique_ptr<Image>> gImages;

void check(const Api& api, nvrtcResult r, const char* call, nvrtcProgram prog = nullptr) {
  if (r == 0) return;
  std::string msg = std::string(call) + " failed: " + (api.nvrtcGetErrorString ? api.nvrtcGetErrorString(r) : "NVRTC error") + " (" + std::to_string(r) + ")";
  size_t n = 0;
  if (prog && api.nvrtcGetProgramLogSize(prog, &n) == 0 && n > 1) {
    std::string log(n, '\0');
    api.nvrtcGetProgramLog(prog, &log[0]);
    log.resize(n - 1);
    msg += ": " + log;
  }
  throw std::runtime_error(msg);
}

}  // namespace

const Image& compileKernels(const Api& api, int ccMajor, int ccMinor) {
  std::lock_guard<std::mutex> lk(gM);
  const int cc = ccMajor * 10 + ccMinor;
  auto& slot = gImages[{&api, cc}];
  if (slot) return *slot;
  // The newest architecture this NVRTC supports that the device can run.
  int n = 0;
  check(api, api.nvrtcGetNumSupportedArchs(&n), "nvrtcGetNumSupportedArchs");
  std::vector<int> archs(size_t(n > 0 ? n : 0));
  if (n > 0) check(api, api.nvrtcGetSupportedArchs(archs.data()), "nvrtcGetSupportedArchs");
  int best = 0;
  for (int a : archs) if (a <= cc && a > best) best = a;
  if (best == 0) throw std::runtime_error("NVRTC supports no architecture at or below the device's compute capability " + std::to_string(ccMajor) + "." + std::to_string(ccMinor));
  const bool cubin = best == cc;
  auto img = std::make_unique<Image>();
  img->arch = (cubin ? "sm_" : "compute_") + std::to_string(best);
  const std::string source = std::string(kArgsSource) + "\n" + kKernelSource + "\n";
  nvrtcProgram prog = nullptr;
  check(api, api.nvrtcCreateProgram(&prog, source.c_str(), "shardscope_kernels.cu", 0, nullptr, nullptr), "nvrtcCreateProgram");
  const std::string archOpt = "--gpu-architecture=" + img->arch;
  // No fused multiply-add, so that results stay close to the CPU backend's operation by operation.
  const char* opts[] = {archOpt.c_str(), "--fmad=false", "--std=c++14"};
  try {
    check(api, api.nvrtcCompileProgram(prog, 3, opts), "nvrtcCompileProgram", prog);
    size_t size = 0;
    if (cubin) {
      check(api, api.nvrtcGetCUBINSize(prog, &size), "nvrtcGetCUBINSize");
      img->bytes.resize(size);
      check(api, api.nvrtcGetCUBIN(prog, img->bytes.data()), "nvrtcGetCUBIN");
    } else {
      check(api, api.nvrtcGetPTXSize(prog, &size), "nvrtcGetPTXSize");
      img->bytes.resize(size + 1, '\0');
      check(api, api.nvrtcGetPTX(prog, img->bytes.data()), "nvrtcGetPTX");
    }
  } catch (...) {
    api.nvrtcDestroyProgram(&prog);
    throw;
  }
  api.nvrtcDestroyProgram(&prog);
  slot = std::move(img);
  return *slot;
}

}  // namespace cuda
}  // namespace ss
