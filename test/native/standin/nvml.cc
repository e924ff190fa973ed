// NVML with a made-up topology: GPUs 2k and 2k+1 are NVLink pairs behind one PCIe switch, pairs meet at
// the host bridge, and groups of four meet across the system (two NUMA nodes).
#include <cstdio>
#include <cstring>
#include "standin.h"

namespace {
struct Dev { int physical; };
Dev gDevs[64];
bool gNvmlInit = false;
int physicalOf(nvmlDevice_t d) { return reinterpret_cast<Dev*>(d)->physical; }
}  // namespace

using namespace standin;

STANDIN_API nvmlReturn_t nvmlInit_v2() {
  if (injected("nvmlInit_v2")) return 9;  // NVML_ERROR_DRIVER_NOT_LOADED
  gNvmlInit = true;
  return 0;
}
STANDIN_API nvmlReturn_t nvmlShutdown() { gNvmlInit = false; return 0; }
// NVML sees every GPU: CUDA_VISIBLE_DEVICES does not apply to it.
STANDIN_API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned* n) {
  if (!gNvmlInit) return 1;  // NVML_ERROR_UNINITIALIZED
  *n = unsigned(physicalGpus());
  return 0;
}
STANDIN_API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t* d) {
  if (!gNvmlInit) return 1;
  if (int(i) >= physicalGpus()) return 2;  // NVML_ERROR_INVALID_ARGUMENT
  gDevs[i].physical = int(i);
  *d = reinterpret_cast<nvmlDevice_t>(&gDevs[i]);
  return 0;
}
STANDIN_API nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char* bus, nvmlDevice_t* d) {
  if (!gNvmlInit) return 1;
  unsigned a = 0, b = 0, c = 0, f = 0;
  if (std::sscanf(bus, "%x:%x:%x.%x", &a, &b, &c, &f) != 4) return 2;
  const int physical = int(b) - 0x10;
  if (physical < 0 || physical >= physicalGpus()) return 6;  // NVML_ERROR_NOT_FOUND
  return nvmlDeviceGetHandleByIndex_v2(unsigned(physical), d);
}
STANDIN_API nvmlReturn_t nvmlDeviceGetTopologyCommonAncestor(nvmlDevice_t a, nvmlDevice_t b, int* level) {
  const int x = physicalOf(a), y = physicalOf(b);
  *level = x == y ? 0 : x / 2 == y / 2 ? 10 : x / 4 == y / 4 ? 30 : 50;
  return 0;
}
STANDIN_API nvmlReturn_t nvmlDeviceGetP2PStatus(nvmlDevice_t a, nvmlDevice_t b, int caps, int* status) {
  if (caps != SS_NVML_P2P_CAPS_INDEX_NVLINK) { *status = 0; return 0; }
  *status = physicalOf(a) / 2 == physicalOf(b) / 2 ? SS_NVML_P2P_STATUS_OK : 5;  // NVML_P2P_STATUS_NOT_SUPPORTED
  return 0;
}
STANDIN_API const char* nvmlErrorString(nvmlReturn_t r) {
  switch (r) {
    case 0: return "Success";
    case 1: return "Uninitialized";
    case 2: return "Invalid Argument";
    case 6: return "Not Found";
    case 9: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}
