// The GPUs the driver shows (after CUDA_VISIBLE_DEVICES) and, for each pair, how they are joined:
// NVLink, or PCIe through which common ancestor (NVML's topology levels). Devices are matched between
// the driver and NVML by PCI bus id, since the two number them differently.
#pragma once
#include <napi.h>
#include <string>
#include <vector>
#include "libraries.h"

namespace ss {
namespace cuda {

struct DeviceInfo {
  int index = 0;  // CUDA ordinal = rank
  std::string name, busId;
  int ccMajor = 0, ccMinor = 0;
  size_t memoryBytes = 0;
};

struct Link {
  int a = 0, b = 0;
  std::string kind;      // "nvlink" | "pcie"
  std::string ancestor;  // PCIe path: "single" | "multiple" | "hostbridge" | "node" | "system" | "internal" ("" unknown)
};

struct Topology {
  std::vector<DeviceInfo> devices;
  std::vector<Link> links;
  std::string error;  // why links are missing (no NVML), devices may still be listed
};

Topology readTopology(const Api& api, const Nvml* nvml, const std::string& nvmlError);
Napi::Object topologyToJs(Napi::Env env, const Topology& t);

}  // namespace cuda
}  // namespace ss
