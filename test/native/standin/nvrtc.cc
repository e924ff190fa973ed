// NVRTC on the CPU: "compiling" checks the options and that the source is the very text the stand-in's
// kernels were built from, and yields an image that lists the kernel names (the driver's module loader
// reads it back).
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include "kernels.h"
#include "standin.h"

namespace {
struct Program {
  std::string source, log, image, arch;
  bool cubin = false, compiled = false;
};
std::vector<int> archs() {
  std::vector<int> out;
  const char* v = std::getenv("SHARDSCOPE_STANDIN_ARCHS");
  std::stringstream ss(v ? v : "50,60,70,75,80,86,89,90");
  std::string item;
  while (std::getline(ss, item, ',')) if (!item.empty()) out.push_back(std::atoi(item.c_str()));
  return out;
}
}  // namespace

using namespace standin;

STANDIN_API nvrtcResult nvrtcVersion(int* major, int* minor) { *major = 13; *minor = 0; return 0; }
STANDIN_API nvrtcResult nvrtcGetNumSupportedArchs(int* n) { *n = int(archs().size()); return 0; }
STANDIN_API nvrtcResult nvrtcGetSupportedArchs(int* out) {
  const auto a = archs();
  for (size_t i = 0; i < a.size(); i++) out[i] = a[i];
  return 0;
}
STANDIN_API nvrtcResult nvrtcCreateProgram(nvrtcProgram* p, const char* src, const char*, int, const char* const*, const char* const*) {
  if (injected("nvrtcCreateProgram")) return 1;  // NVRTC_ERROR_OUT_OF_MEMORY
  auto* prog = new Program;
  prog->source = src;
  *p = reinterpret_cast<nvrtcProgram>(prog);
  return 0;
}
STANDIN_API nvrtcResult nvrtcCompileProgram(nvrtcProgram p, int n, const char* const* opts) {
  auto* prog = reinterpret_cast<Program*>(p);
  for (int i = 0; i < n; i++) {
    const std::string o = opts[i];
    const std::string key = "--gpu-architecture=";
    if (o.rfind(key, 0) == 0) {
      prog->arch = o.substr(key.size());
      prog->cubin = prog->arch.rfind("sm_", 0) == 0;
      const int num = std::atoi(prog->arch.c_str() + (prog->cubin ? 3 : 8));
      bool known = false;
      for (int a : archs()) known = known || a == num;
      if (!known) { prog->log = "nvrtc: error: invalid value for --gpu-architecture (-arch)"; return 7; }  // NVRTC_ERROR_INVALID_OPTION
    }
  }
  if (injected("nvrtcCompileProgram")) { prog->log = "shardscope_kernels.cu(1): error: injected failure"; return 6; }
  if (prog->arch.empty()) { prog->log = "no --gpu-architecture given"; return 7; }
  if (prog->source.find(argsSource()) == std::string::npos || prog->source.find(kernelSource()) == std::string::npos) {
    prog->log = "stand-in: the source differs from the kernels this stand-in was built from";
    return 6;  // NVRTC_ERROR_COMPILATION
  }
  prog->image = std::string(prog->cubin ? "STANDIN-CUBIN " : "STANDIN-PTX ") + prog->arch;
  const std::string& src = prog->source;
  const std::string marker = "extern \"C\" __global__ void ";
  for (size_t at = src.find(marker); at != std::string::npos; at = src.find(marker, at + 1)) {
    const size_t b = at + marker.size(), e = src.find('(', b);
    std::string name = src.substr(b, e - b);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    prog->image += "\n" + name;
  }
  prog->compiled = true;
  return 0;
}
STANDIN_API nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram p, size_t* n) { *n = reinterpret_cast<Program*>(p)->log.size() + 1; return 0; }
STANDIN_API nvrtcResult nvrtcGetProgramLog(nvrtcProgram p, char* out) {
  const auto& l = reinterpret_cast<Program*>(p)->log;
  std::memcpy(out, l.c_str(), l.size() + 1);
  return 0;
}
static nvrtcResult imageSize(nvrtcProgram p, size_t* n, bool cubin) {
  auto* prog = reinterpret_cast<Program*>(p);
  if (!prog->compiled || prog->cubin != cubin) return 3;  // NVRTC_ERROR_INVALID_INPUT
  *n = prog->image.size() + 1;
  return 0;
}
static nvrtcResult image(nvrtcProgram p, char* out, bool cubin) {
  auto* prog = reinterpret_cast<Program*>(p);
  if (!prog->compiled || prog->cubin != cubin) return 3;
  std::memcpy(out, prog->image.c_str(), prog->image.size() + 1);
  return 0;
}
STANDIN_API nvrtcResult nvrtcGetCUBINSize(nvrtcProgram p, size_t* n) { return imageSize(p, n, true); }
STANDIN_API nvrtcResult nvrtcGetCUBIN(nvrtcProgram p, char* out) { return image(p, out, true); }
STANDIN_API nvrtcResult nvrtcGetPTXSize(nvrtcProgram p, size_t* n) { return imageSize(p, n, false); }
STANDIN_API nvrtcResult nvrtcGetPTX(nvrtcProgram p, char* out) { return image(p, out, false); }
STANDIN_API nvrtcResult nvrtcDestroyProgram(nvrtcProgram* p) {
  delete reinterpret_cast<Program*>(*p);
  *p = nullptr;
  return 0;
}
STANDIN_API const char* nvrtcGetErrorString(nvrtcResult r) {
  switch (r) {
    case 0: return "NVRTC_SUCCESS";
    case 1: return "NVRTC_ERROR_OUT_OF_MEMORY";
    case 3: return "NVRTC_ERROR_INVALID_INPUT";
    case 6: return "NVRTC_ERROR_COMPILATION";
    case 7: return "NVRTC_ERROR_INVALID_OPTION";
    default: return "NVRTC_ERROR_INTERNAL_ERROR";
  }
}
