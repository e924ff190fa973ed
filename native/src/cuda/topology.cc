#include "topology.h"

namespace ss {
namespace cuda {

namespace {
std::string levelName(int level) {
  switch (level) {
    case 0: return "internal";
    case 10: return "single";
    case 20: return "multiple";
    case 30: return "hostbridge";
    case 40: return "node";
    case 50: return "system";
    default: return "";
  }
}
}  // namespace

Topology readTopology(const Api& api, const Nvml* nvml, const std::string& nvmlError) {
  Topology t;
  for (int i = 0; i < api.deviceCount; i++) {
    DeviceInfo d;
    d.index = i;
    CUdevice dev = 0;
    if (CUresult r = api.cuDeviceGet(&dev, i)) { t.error = api.cuError(r, "cuDeviceGet"); break; }
    char buf[128] = {0};
    if (api.cuDeviceGetName(buf, sizeof buf, dev) == 0) d.name = buf;
    char bus[64] = {0};
    if (api.cuDeviceGetPCIBusId(bus, sizeof bus, dev) == 0) d.busId = bus;
    api.cuDeviceGetAttribute(&d.ccMajor, SS_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
    api.cuDeviceGetAttribute(&d.ccMinor, SS_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
    api.cuDeviceTotalMem_v2(&d.memoryBytes, dev);
    t.devices.push_back(d);
  }
  if (!nvml) { if (t.error.empty()) t.error = nvmlError; return t; }
  std::vector<nvmlDevice_t> handles(t.devices.size(), nullptr);
  for (size_t i = 0; i < t.devices.size(); i++)
    if (nvmlReturn_t r = nvml->nvmlDeviceGetHandleByPciBusId_v2(t.devices[i].busId.c_str(), &handles[i])) {
      t.error = "nvmlDeviceGetHandleByPciBusId_v2(" + t.devices[i].busId + ") failed with " + std::to_string(r);
      return t;
    }
  for (size_t a = 0; a < handles.size(); a++)
    for (size_t b = a + 1; b < handles.size(); b++) {
      Link l;
      l.a = int(a);
      l.b = int(b);
      int status = -1, level = -1;
      const bool nv = nvml->nvmlDeviceGetP2PStatus(handles[a], handles[b], SS_NVML_P2P_CAPS_INDEX_NVLINK, &status) == 0 && status == SS_NVML_P2P_STATUS_OK;
      if (nvml->nvmlDeviceGetTopologyCommonAncestor(handles[a], handles[b], &level) == 0) l.ancestor = levelName(level);
      l.kind = nv ? "nvlink" : "pcie";
      t.links.push_back(l);
    }
  return t;
}

Napi::Object topologyToJs(Napi::Env env, const Topology& t) {
  auto o = Napi::Object::New(env);
  auto devs = Napi::Array::New(env);
  for (const auto& d : t.devices) {
    auto x = Napi::Object::New(env);
    x.Set("index", d.index);
    x.Set("name", d.name);
    x.Set("busId", d.busId);
    x.Set("computeCapability", std::to_string(d.ccMajor) + "." + std::to_string(d.ccMinor));
    x.Set("memoryBytes", double(d.memoryBytes));
    devs.Set(devs.Length(), x);
  }
  auto links = Napi::Array::New(env);
  for (const auto& l : t.links) {
    auto x = Napi::Object::New(env);
    x.Set("a", l.a);
    x.Set("b", l.b);
    x.Set("kind", l.kind);
    if (!l.ancestor.empty()) x.Set("ancestor", l.ancestor);
    links.Set(links.Length(), x);
  }
  o.Set("devices", devs);
  o.Set("links", links);
  if (!t.error.empty()) o.Set("error", t.error);
  return o;
}

}  // namespace cuda
}  // namespace ss
