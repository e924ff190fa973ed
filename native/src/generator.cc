#include "generator.h"
#include <thread>
#include "progress.h"

namespace ss {

uint32_t keySeed(const std::u16string& key) {
  uint32_t h = 0x811c9dc5u;
  for (char16_t c : key) {
    h ^= uint32_t(c);
    h *= 0x01000193u;
  }
  return h;
}

std::u16string utf16(const std::string& s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    uint32_t cp;
    size_t n;
    if (c < 0x80) { cp = c; n = 1; }
    else if ((c >> 5) == 6) { cp = c & 0x1f; n = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; n = 3; }
    else { cp = c & 0x07; n = 4; }
    for (size_t k = 1; k < n && i + k < s.size(); k++) cp = (cp << 6) | (uint32_t(s[i + k]) & 0x3f);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(char16_t(0xd800 + (cp >> 10)));
      out.push_back(char16_t(0xdc00 + (cp & 0x3ff)));
    } else out.push_back(char16_t(cp));
  }
  return out;
}

uint32_t keySeedAscii(const std::string& key) {
  uint32_t h = 0x811c9dc5u;
  for (unsigned char c : key) {
    h ^= uint32_t(c);
    h *= 0x01000193u;
  }
  return h;
}

int64_t boxesSize(const std::vector<Box>& boxes) {
  int64_t total = 0;
  for (const Box& b : boxes) {
    int64_t n = 1;
    for (const auto& r : b) n *= r.second > r.first ? r.second - r.first : 0;
    total += n;
  }
  return total;
}

bool generateBoxes(uint32_t seed, const std::vector<int64_t>& globalShape, const std::vector<Box>& boxes, double scale, float* out, int64_t n) {
  const size_t nd = globalShape.size();
  if (boxesSize(boxes) != n) return false;
  std::vector<int64_t> strides(nd, 1);
  for (int d = int(nd) - 2; d >= 0; d--) strides[d] = strides[d + 1] * globalShape[d + 1];
  int64_t o = 0;
  for (const Box& box : boxes) {
    if (box.size() != nd) return false;
    bool empty = false;
    for (size_t d = 0; d < nd; d++) {
      if (box[d].second <= box[d].first) empty = true;
      else if (box[d].first < 0 || box[d].second > globalShape[d]) return false;
    }
    if (empty || nd == 0) continue;
    std::vector<int64_t> idx(nd);
    for (size_t d = 0; d < nd; d++) idx[d] = box[d].first;
    const int64_t lastA = box[nd - 1].first, lastB = box[nd - 1].second;
    for (;;) {
      int64_t base = 0;
      for (size_t d = 0; d + 1 < nd; d++) base += idx[d] * strides[d];
      for (int64_t j = lastA; j < lastB; j++) out[o++] = float(scale * unitValue(seed, base + j));
      workDone();
      int d = int(nd) - 2;
      while (d >= 0) {
        if (++idx[d] < box[d].second) break;
        idx[d] = box[d].first;
        d--;
      }
      if (d < 0) break;
    }
  }
  return o == n;
}

namespace {
// Values [o0, o1) of one box (row-major offsets within the box) into out[0 .. o1 − o0).
void generateBoxRange(uint32_t seed, const std::vector<int64_t>& strides, const Box& box, double scale, int64_t o0, int64_t o1, float* out) {
  const size_t nd = box.size();
  std::vector<int64_t> ext(nd), idx(nd);
  for (size_t d = 0; d < nd; d++) ext[d] = box[d].second - box[d].first;
  int64_t rem = o0;
  for (int d = int(nd) - 1; d >= 0; d--) { idx[d] = box[d].first + rem % ext[d]; rem /= ext[d]; }
  int64_t o = o0;
  while (o < o1) {
    int64_t base = 0;
    for (size_t d = 0; d + 1 < nd; d++) base += idx[d] * strides[d];
    const int64_t j0 = idx[nd - 1], j1 = std::min<int64_t>(box[nd - 1].second, j0 + (o1 - o));
    for (int64_t j = j0; j < j1; j++) *out++ = float(scale * unitValue(seed, base + j));
    workDone();
    o += j1 - j0;
    idx[nd - 1] = box[nd - 1].first;
    int d = int(nd) - 2;
    while (d >= 0) {
      if (++idx[d] < box[d].second) break;
      idx[d] = box[d].first;
      d--;
    }
  }
}
}  // namespace

bool generateBoxesParallel(uint32_t seed, const std::vector<int64_t>& globalShape, const std::vector<Box>& boxes, double scale, float* out, int64_t n, int threads) {
  const int64_t kMinPerThread = int64_t(1) << 20;
  if (threads <= 1 || n < 2 * kMinPerThread) return generateBoxes(seed, globalShape, boxes, scale, out, n);
  const size_t nd = globalShape.size();
  if (boxesSize(boxes) != n || nd == 0) return false;
  std::vector<int64_t> strides(nd, 1);
  for (int d = int(nd) - 2; d >= 0; d--) strides[d] = strides[d + 1] * globalShape[d + 1];
  int64_t o = 0;
  for (const Box& box : boxes) {
    if (box.size() != nd) return false;
    int64_t size = 1;
    for (size_t d = 0; d < nd; d++) {
      if (box[d].second <= box[d].first) { size = 0; break; }
      if (box[d].first < 0 || box[d].second > globalShape[d]) return false;
      size *= box[d].second - box[d].first;
    }
    if (size == 0) continue;
    const int t = int(std::min<int64_t>(threads, std::max<int64_t>(1, size / kMinPerThread)));
    std::vector<std::thread> pool;
    for (int i = 0; i < t; i++) {
      const int64_t a = size * i / t, b = size * (i + 1) / t;
      pool.emplace_back([&, a, b, work = tWork] {
        WorkScope ws(work);
        generateBoxRange(seed, strides, box, scale, a, b, out + o + a);
      });
    }
    for (auto& th : pool) th.join();
    o += size;
  }
  return o == n;
}

}  // namespace ss
