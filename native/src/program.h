// The executor's view of RankPrograms: buffers resolved to storage, ops resolved to buffer pointers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <map>
#include "generator.h"

namespace ss {

struct OpHandler;

enum class DType { F32, BF16, I32 };

inline size_t dtypeSize(DType t) { return t == DType::BF16 ? 2 : 4; }
inline const char* dtypeName(DType t) { return t == DType::F32 ? "f32" : t == DType::BF16 ? "bf16" : "i32"; }

struct Buffer {
  std::string id;
  std::vector<int64_t> shape;
  DType dtype = DType::F32;
  int64_t numel = 0;
  std::vector<uint8_t> data;
  // Counter-based contents (init.kind param/input), made on the rank's own thread before first use:
  // materialize() allocates and fills a buffer that is not ready yet (see materialize.h).
  bool ready = true;
  bool counter = false;
  uint32_t seed = 0;
  double scale = 1;
  std::vector<int64_t> globalShape;
  std::vector<Box> boxes;                       // the shard as boxes of the global tensor, in order
  std::vector<std::vector<int64_t>> dimIndex;   // or, when init.ranges was per-dim intervals, global indices per dim
  float* f32() { return reinterpret_cast<float*>(data.data()); }
  uint16_t* bf16() { return reinterpret_cast<uint16_t*>(data.data()); }
  int32_t* i32() { return reinterpret_cast<int32_t*>(data.data()); }
  size_t bytes() const { return size_t(numel) * dtypeSize(dtype); }  // also before materialize()
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t lastDim() const { return shape.empty() ? 1 : shape.back(); }
};

// Attribute value: numbers, strings, booleans (as numbers) and number lists.
struct Attr {
  double num = 0;
  std::string str;
  std::vector<double> list;
  bool isStr = false, isList = false;
};

enum class OpKind {
  Gemm, SiluMul, Add, RmsNorm, Softmax, TopK, GatherRows, ScatterAddRows, Copy, Slice, Concat, Scale,
  AllReduce, AllGather, ReduceScatter, AllToAll, AllToAllV, Broadcast, Send, Recv, Sleep,
  Extra,  // run by a registered OpHandler (op_registry.h)
  Unknown
};

inline bool isCollective(OpKind k) { return k >= OpKind::AllReduce && k <= OpKind::Recv; }

struct Op {
  OpKind kind = OpKind::Unknown;
  std::string name;
  std::vector<Buffer*> ins, outs;
  int group = -1;  // index into groups (for send/recv: an internal pair group)
  const OpHandler* handler = nullptr;  // set for OpKind::Extra
  std::map<std::string, Attr> attrs;
  double num(const std::string& k, double dflt) const {
    auto it = attrs.find(k);
    return it == attrs.end() || it->second.isStr || it->second.isList ? dflt : it->second.num;
  }
  std::string str(const std::string& k, const std::string& dflt) const {
    auto it = attrs.find(k);
    return it == attrs.end() || !it->second.isStr ? dflt : it->second.str;
  }
  std::vector<double> list(const std::string& k) const {
    auto it = attrs.find(k);
    return it == attrs.end() || !it->second.isList ? std::vector<double>{} : it->second.list;
  }
};

struct RankProgram {
  int rank = 0;
  std::map<std::string, Buffer> buffers;
  std::vector<Op> ops;
};

struct Event {
  int32_t op = 0;
  int64_t startNs = 0, endNs = 0;
  int64_t bytes = 0;
  int32_t group = -1;
  int64_t seq = -1;
  int64_t setupNs = 0;  // weights the op generated itself before its start (experts)
};

// bf16 <-> f32 with round-to-nearest-even.
inline float bf16ToF32(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}
inline uint16_t f32ToBf16(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7fffffff) > 0x7f800000) return uint16_t((u >> 16) | 0x40);  // NaN stays NaN
  u += 0x7fff + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}

}  // namespace ss
