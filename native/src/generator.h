// Counter-based values, the C++ port of extension/core/lower/generator.ts: the value at a global flat
// index of a tensor depends only on (key, index), so each rank generates exactly its shard and the
// unsharded reference the very same numbers. 32-bit integer arithmetic throughout, as in the TypeScript,
// so the two agree to the bit (the final scale is applied in double and rounded once to float, as a
// Float32Array store does).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ss {

// [start, end) per dim of the global tensor: one box of a shard.
using Box = std::vector<std::pair<int64_t, int64_t>>;

// FNV-1a over the key's UTF-16 code units (JavaScript's charCodeAt).
uint32_t keySeed(const std::u16string& key);
// The UTF-16 code units of a UTF-8 string (keys arrive from JavaScript as UTF-8).
std::u16string utf16(const std::string& utf8);
// The same for an ASCII/UTF-8 key (each byte read as one code unit: exact for ASCII keys).
uint32_t keySeedAscii(const std::string& key);

// Uniform in [-1, 1) from (seed, index): a murmur3-style finaliser of seed ^ index.
inline double unitValue(uint32_t seed, int64_t index) {
  const uint64_t u = uint64_t(index);
  uint32_t h = seed ^ (uint32_t(u) * 0x9e3779b1u) ^ (uint32_t(u >> 32) * 0x85ebca6bu);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return double(h) / 2147483648.0 - 1.0;
}

// Number of values the boxes hold (empty boxes hold none).
int64_t boxesSize(const std::vector<Box>& boxes);

// Fills out[0..n) with the values of the boxes (row-major within each box, boxes in order) of a tensor
// of globalShape, each times scale. Returns false when the boxes do not hold exactly n values or lie
// outside the tensor.
bool generateBoxes(uint32_t seed, const std::vector<int64_t>& globalShape, const std::vector<Box>& boxes, double scale, float* out, int64_t n);

// The same, split over `threads` threads (large boxes are cut into row ranges); identical values.
bool generateBoxesParallel(uint32_t seed, const std::vector<int64_t>& globalShape, const std::vector<Box>& boxes, double scale, float* out, int64_t n, int threads);

}  // namespace ss
