#include "materialize.h"
#include <cmath>
#include <stdexcept>
#include "progress.h"

namespace ss {

void materialize(Buffer& b, int threads) {
  if (b.ready) return;
  b.data.assign(size_t(b.numel) * dtypeSize(b.dtype), 0);
  b.ready = true;
  if (!b.counter || b.numel == 0) return;
  std::vector<float> v;
  float* dst = b.dtype == DType::F32 ? b.f32() : (v.resize(size_t(b.numel)), v.data());
  if (!b.dimIndex.empty()) {
    // Per-dim global index lists: row-major over their product.
    const size_t nd = b.dimIndex.size();
    std::vector<int64_t> strides(nd, 1);
    for (int d = int(nd) - 2; d >= 0; d--) strides[d] = strides[d + 1] * b.globalShape[d + 1];
    std::vector<size_t> ix(nd, 0);
    for (int64_t e = 0; e < b.numel; e++) {
      int64_t flat = 0;
      for (size_t d = 0; d < nd; d++) flat += b.dimIndex[d][ix[d]] * strides[d];
      dst[e] = float(b.scale * unitValue(b.seed, flat));
      if ((e & 0xffff) == 0xffff) workDone();
      for (int d = int(nd) - 1; d >= 0; d--) { if (++ix[d] < b.dimIndex[d].size()) break; ix[d] = 0; }
    }
  } else if (!generateBoxesParallel(b.seed, b.globalShape, b.boxes, b.scale, dst, b.numel, threads)) {
    b.ready = false;
    b.data.clear();
    throw std::runtime_error("buffer '" + b.id + "': its init boxes do not hold its " + std::to_string(b.numel) + " values");
  }
  if (b.dtype == DType::BF16) for (int64_t e = 0; e < b.numel; e++) b.bf16()[e] = f32ToBf16(v[e]);
  else if (b.dtype == DType::I32) for (int64_t e = 0; e < b.numel; e++) b.i32()[e] = int32_t(std::floor(v[e]));
}

void release(Buffer& b) {
  std::vector<uint8_t>().swap(b.data);
  b.ready = false;
}

}  // namespace ss
