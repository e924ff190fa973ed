// The decoder-layer ops the lowering emits beyond the core set, with exactly the semantics of the JS
// interpreter (extension/core/lower/interpret.ts, the reference): attention (GQA, causal, per-sequence
// batches, value head dim apart from the query/key head dim), experts (Σ over the routed local experts,
// their weights generated here for routed experts only), the lowering's topk (routing reused by key),
// slice by index/parts, gemm transA (weight gradients), the grouped (per-head) rmsnorm, rope, sigmoid and attention's backward. All fp32.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <thread>
#include "progress.h"
#include "generator.h"
#include "op_registry.h"
#include "ops.h"
#include "ops_model.h"

namespace ss {
namespace {

int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string dims(const Buffer& b) {
  std::string s = "[";
  for (size_t i = 0; i < b.shape.size(); i++) s += (i ? ", " : "") + std::to_string(b.shape[i]);
  return s + "]";
}

std::string needF32(const Op& op, size_t nin, size_t nout) {
  if (op.ins.size() < nin || op.outs.size() < nout)
    return "expects " + std::to_string(nin) + " input(s) and " + std::to_string(nout) + " output(s)";
  for (const auto* side : {&op.ins, &op.outs})
    for (const Buffer* b : *side)
      if (b->dtype != DType::F32) return "'" + b->id + "' is " + dtypeName(b->dtype) + "; " + op.name + " runs on f32";
  return "";
}

bool hasAttr(const Op& op, const char* k) { return op.attrs.count(k) != 0; }

std::string needNum(const Op& op, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = op.attrs.find(n);
    if (it == op.attrs.end() || it->second.isStr || it->second.isList) return std::string("attribute ") + n + " missing";
  }
  return "";
}

// ---- gemm transA: ins [A [M', M], B [M', K]] → C [M, K] = Aᵀ·B (weight gradients).
bool claimsGemmTransA(const Op& op) { return op.num("transA", 0) != 0; }
std::string validateGemmTransA(const Op& op) {
  std::string e = needF32(op, 2, 1);
  if (!e.empty()) return e;
  const Buffer &a = *op.ins[0], &b = *op.ins[1], &c = *op.outs[0];
  if (a.shape.size() != 2 || b.shape.size() != 2) return "transA needs 2-D operands, got " + dims(a) + " and " + dims(b);
  if (a.shape[0] != b.shape[0]) return "transA pairs " + std::to_string(a.shape[0]) + " rows with " + std::to_string(b.shape[0]);
  if (c.numel != a.shape[1] * b.shape[1]) return "C '" + c.id + "' " + dims(c) + " is not " + std::to_string(a.shape[1]) + "×" + std::to_string(b.shape[1]);
  return "";
}
void runGemmTransA(Op& op, OpEnv& env) {
  Buffer &a = *op.ins[0], &b = *op.ins[1], &c = *op.outs[0];
  const int64_t Mp = a.shape[0], M = a.shape[1], K = b.shape[1];
  const float *A = a.f32(), *B = b.f32();
  // Row n of C is Σ over the M′ rows i of A[i, n] · B[i, :]: B (M′ small rows) stays in cache and each
  // row of C is written once.
  std::vector<float> tmp;
  const bool alias = &c == &a || &c == &b;
  float* C = alias ? (tmp.resize(size_t(M * K)), tmp.data()) : c.f32();
  std::atomic<int64_t>* work = tWork;
  auto rows = [&](int64_t n0, int64_t n1) {
    WorkScope ws(work);
    for (int64_t n = n0; n < n1; n++) {
      workDone();
      float* __restrict row = C + n * K;
      std::fill(row, row + K, 0.0f);
      for (int64_t i = 0; i < Mp; i++) {
        const float s = A[i * M + n];
        const float* __restrict bi = B + i * K;
        for (int64_t k = 0; k < K; k++) row[k] += s * bi[k];
      }
    }
  };
  const int t = int(std::min<int64_t>(env.threads, std::max<int64_t>(1, M * K / (int64_t(1) << 20))));
  if (t <= 1) rows(0, M);
  else {
    std::vector<std::thread> pool;
    for (int i = 0; i < t; i++) pool.emplace_back(rows, M * i / t, M * (i + 1) / t);
    for (auto& th : pool) th.join();
  }
  if (alias) std::memcpy(c.f32(), tmp.data(), tmp.size() * 4);
}

// ---- rmsnorm whose weight is shorter than the last dim: groups of the weight's length (per-head norms).
bool claimsGroupedRmsNorm(const Op& op) {
  return op.ins.size() >= 2 && op.ins[1]->numel != op.ins[0]->lastDim();
}
std::string validateGroupedRmsNorm(const Op& op) {
  std::string e = needF32(op, 2, 1);
  if (!e.empty()) return e;
  const int64_t H = op.ins[1]->numel, L = op.ins[0]->lastDim();
  if (H <= 0 || L % H != 0) return "weight '" + op.ins[1]->id + "' of " + std::to_string(H) + " does not divide the last dim " + std::to_string(L) + " of '" + op.ins[0]->id + "'";
  if (op.outs[0]->numel != op.ins[0]->numel) return "output '" + op.outs[0]->id + "' differs in size from the input";
  return "";
}
void runGroupedRmsNorm(Op& op, OpEnv&) {
  const float* x = op.ins[0]->f32();
  const float* w = op.ins[1]->f32();
  float* y = op.outs[0]->f32();
  const int64_t H = op.ins[1]->numel, N = op.ins[0]->numel;
  const double eps = op.num("eps", 1e-6);
  for (int64_t o = 0; o < N; o += H) {
    double ss = 0;
    for (int64_t j = 0; j < H; j++) ss += double(x[o + j]) * x[o + j];
    const double inv = 1 / std::sqrt(ss / double(H) + eps);
    for (int64_t j = 0; j < H; j++) y[o + j] = float(double(x[o + j]) * inv * w[j]);
  }
}

// ---- slice by index/parts: the index-th of `parts` equal chunks along dim.
bool claimsSliceParts(const Op& op) { return hasAttr(op, "parts"); }
int sliceDim(const Op& op) {
  int d = int(op.num("dim", 0));
  return d < 0 ? d + int(op.ins[0]->shape.size()) : d;
}
std::string validateSliceParts(const Op& op) {
  std::string e = needF32(op, 1, 1);
  if (!e.empty()) return e;
  if (!(e = needNum(op, {"dim", "index", "parts"})).empty()) return e;
  const Buffer& x = *op.ins[0];
  const int d = sliceDim(op);
  const int64_t parts = int64_t(op.num("parts", 1)), index = int64_t(op.num("index", 0));
  if (d < 0 || d >= int(x.shape.size())) return "dim out of range for " + dims(x);
  if (parts < 1 || x.shape[d] % parts != 0) return std::to_string(x.shape[d]) + " does not split into " + std::to_string(parts) + " equal parts";
  if (index < 0 || index >= parts) return "index " + std::to_string(index) + " is not one of " + std::to_string(parts) + " parts";
  if (op.outs[0]->numel * parts != x.numel) return "output '" + op.outs[0]->id + "' " + dims(*op.outs[0]) + " is not 1/" + std::to_string(parts) + " of " + dims(x);
  return "";
}
void runSliceParts(Op& op, OpEnv&) {
  Buffer& x = *op.ins[0];
  const int d = sliceDim(op);
  const int64_t parts = int64_t(op.num("parts", 1)), index = int64_t(op.num("index", 0));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; i++) outer *= x.shape[i];
  for (size_t i = size_t(d) + 1; i < x.shape.size(); i++) inner *= x.shape[i];
  const int64_t full = x.shape[d], chunk = full / parts;
  std::vector<float> y(size_t(outer * chunk * inner));
  for (int64_t o = 0; o < outer; o++)
    std::memcpy(&y[size_t(o * chunk * inner)], x.data.data() + size_t((o * full + index * chunk) * inner) * 4, size_t(chunk * inner) * 4);
  std::memcpy(op.outs[0]->f32(), y.data(), y.size() * 4);
}

// ---- the lowering's topk: ins [scores (T×E)] or [scores (T×E), bias (E)], outs [idx (T×k), weights
// (T×k)]; highest first, ties to the lower expert. With a bias (DeepSeek-V3): experts are chosen on
// score + bias, only within the attrs.topkGroup best of attrs.nGroup groups (a group's worth: its two
// best biased scores summed; experts of the other groups are never chosen), and the weights are the
// unbiased scores. Weights normalised over the k when attrs.normalize (+1e-20 with a
// bias, as DeepSeek's router does), then times attrs.scalingFactor. A routing given for
// attrs.routingKey (the reference's choices) is copied instead of computed.
bool claimsRoutedTopK(const Op& op) {
  auto it = op.attrs.find("routingKey");
  return it != op.attrs.end() && it->second.isStr;
}
std::string validateRoutedTopK(const Op& op) {
  const bool biased = op.ins.size() == 2;
  std::string e = needF32(op, biased ? 2 : 1, 2);
  if (!e.empty()) return e;
  if (!(e = needNum(op, {"k"})).empty()) return e;
  const int64_t E = op.ins[0]->lastDim(), T = E ? op.ins[0]->numel / E : 0, k = int64_t(op.num("k", 0));
  if (k < 1 || k > E) return "k must be in 1.." + std::to_string(E);
  if (op.outs[0]->numel != T * k || op.outs[1]->numel != T * k) return "outputs must hold " + std::to_string(T) + "×" + std::to_string(k);
  if (biased) {
    if (op.ins[1]->numel != E) return "the bias must hold " + std::to_string(E) + " values, one per expert";
    const int64_t g = int64_t(op.num("nGroup", 1)), tg = int64_t(op.num("topkGroup", double(g)));
    if (g < 1 || E % g != 0) return "nGroup must divide the " + std::to_string(E) + " experts";
    if (E / g < 2) return "each group needs at least two experts";
    if (tg < 1 || tg > g || k > tg * (E / g)) return "topkGroup must be in 1.." + std::to_string(g) + " and hold at least k experts";
  }
  return "";
}
void runRoutedTopK(Op& op, OpEnv& env) {
  const std::string key = op.str("routingKey", "");
  const int64_t E = op.ins[0]->lastDim(), T = op.ins[0]->numel / E, k = int64_t(op.num("k", 1));
  if (env.routing) {
    auto it = env.routing->find(key);
    if (it != env.routing->end()) {
      const Routing& r = it->second;
      if (int64_t(r.idx.size()) != T * k || int64_t(r.weights.size()) != T * k)
        throw std::runtime_error("the routing given for '" + key + "' holds " + std::to_string(r.idx.size()) + " choices, the op makes " + std::to_string(T) + "×" + std::to_string(k));
      std::memcpy(op.outs[0]->f32(), r.idx.data(), r.idx.size() * 4);
      std::memcpy(op.outs[1]->f32(), r.weights.data(), r.weights.size() * 4);
      return;
    }
  }
  const float* p = op.ins[0]->f32();
  const float* bias = op.ins.size() == 2 ? op.ins[1]->f32() : nullptr;
  const bool normalize = op.num("normalize", 0) != 0;
  const double scaling = op.num("scalingFactor", 1);
  const int64_t nGroup = bias ? int64_t(op.num("nGroup", 1)) : 1, per = E / nGroup;
  const int64_t topkGroup = bias ? int64_t(op.num("topkGroup", double(nGroup))) : nGroup;
  std::vector<float> idx(static_cast<size_t>(T * k)), w(static_cast<size_t>(T * k)), choice(static_cast<size_t>(E));
  std::vector<int32_t> order(static_cast<size_t>(E)), gorder(static_cast<size_t>(nGroup));
  std::vector<float> gscore(static_cast<size_t>(nGroup));
  std::vector<char> keep(static_cast<size_t>(nGroup));
  for (int64_t t = 0; t < T; t++) {
    const float* row = p + t * E;
    if (bias) {
      for (int64_t j = 0; j < E; j++) choice[size_t(j)] = row[j] + bias[j];
      for (int64_t g = 0; g < nGroup; g++) {  // a group's worth: its two best biased scores
        float a = -INFINITY, b = -INFINITY;
        for (int64_t j = g * per; j < (g + 1) * per; j++) {
          const float v = choice[size_t(j)];
          if (v > a) b = a, a = v; else if (v > b) b = v;
        }
        gscore[size_t(g)] = a + b;
      }
      std::iota(gorder.begin(), gorder.end(), 0);
      std::partial_sort(gorder.begin(), gorder.begin() + topkGroup, gorder.end(), [&](int32_t a, int32_t b) {
        return gscore[size_t(a)] > gscore[size_t(b)] || (gscore[size_t(a)] == gscore[size_t(b)] && a < b);
      });
      std::fill(keep.begin(), keep.end(), 0);
      for (int64_t g = 0; g < topkGroup; g++) keep[size_t(gorder[size_t(g)])] = 1;
      for (int64_t j = 0; j < E; j++) if (!keep[size_t(j / per)]) choice[size_t(j)] = -INFINITY;
    }
    const float* sel = bias ? choice.data() : row;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int32_t a, int32_t b) { return sel[a] > sel[b] || (sel[a] == sel[b] && a < b); });
    double s = 0;
    for (int64_t j = 0; j < k; j++) s += row[order[j]];
    if (bias) s += 1e-20;
    for (int64_t j = 0; j < k; j++) {
      idx[size_t(t * k + j)] = float(order[j]);
      const double v = normalize ? double(row[order[j]]) / s : double(row[order[j]]);
      w[size_t(t * k + j)] = float(v * scaling);
    }
  }
  std::memcpy(op.outs[0]->f32(), idx.data(), idx.size() * 4);
  std::memcpy(op.outs[1]->f32(), w.data(), w.size() * 4);
}

// ---- sigmoid: ins [x] → 1 / (1 + e^−x), element-wise (DeepSeek-V3's router scores).
std::string validateSigmoid(const Op& op) {
  std::string e = needF32(op, 1, 1);
  if (!e.empty()) return e;
  if (op.outs[0]->numel != op.ins[0]->numel) return "output must hold as many values as the input (" + std::to_string(op.ins[0]->numel) + ")";
  return "";
}
void runSigmoid(Op& op, OpEnv&) {
  const float* x = op.ins[0]->f32();
  float* y = op.outs[0]->f32();
  for (int64_t i = 0; i < op.ins[0]->numel; i++) y[i] = float(1.0 / (1.0 + std::exp(-double(x[i]))));
}

// ---- attention: ins [q [T, hq·d], k [T, hk·d], v [T, hk·dv]] → [T, hq·dv]; causal within each of
// attrs.batch sequences; query head h reads kv head ⌊h / (hq/hk)⌋; scores scaled by attrs.scale
// (default 1/√d).
struct AttnDims { int64_t T, qw, kw, vw, d, dv, batch, hq, hk; };
AttnDims attnDims(const Op& op) {
  AttnDims a{};
  a.T = op.ins[0]->rows();
  a.qw = op.ins[0]->lastDim(); a.kw = op.ins[1]->lastDim(); a.vw = op.ins[2]->lastDim();
  a.d = int64_t(op.num("headDim", 0)); a.dv = int64_t(op.num("vHeadDim", double(a.d))); a.batch = int64_t(op.num("batch", 1));
  a.hq = a.d ? a.qw / a.d : 0; a.hk = a.d ? a.kw / a.d : 0;
  return a;
}
// What is wrong with the first `n` inputs of an attention op (q, k, v [, dy]) and its heads, or "".
std::string attnShapeError(const Op& op, const AttnDims& a, int n) {
  for (int i = 0; i < n; i++)
    if (op.ins[size_t(i)]->shape.size() != 2 || op.ins[size_t(i)]->rows() != a.T) {
      std::string got;
      for (int j = 0; j < n; j++) got += (j ? ", " : "") + dims(*op.ins[size_t(j)]);
      return std::string(n == 3 ? "q, k and v" : "q, k, v and dy") + " must be [tokens, width] with the same tokens, got " + got;
    }
  if (a.d <= 0 || a.dv <= 0 || a.qw % a.d || a.kw % a.d || a.hk == 0 || a.hq % a.hk || a.vw != a.hk * a.dv)
    return "gets " + std::to_string(a.d ? a.qw / a.d : 0) + " query heads and " + std::to_string(a.hk) + " key/value heads, which do not group";
  if (a.batch < 1 || a.T % a.batch) return std::to_string(a.T) + " tokens do not split into " + std::to_string(a.batch) + " sequences";
  return "";
}
std::string validateAttention(const Op& op) {
  std::string e = needF32(op, 3, 1);
  if (!e.empty()) return e;
  if (!(e = needNum(op, {"headDim", "batch"})).empty()) return e;
  const AttnDims a = attnDims(op);
  if (!(e = attnShapeError(op, a, 3)).empty()) return e;
  if (op.outs[0]->numel != a.T * a.hq * a.dv) return "output '" + op.outs[0]->id + "' " + dims(*op.outs[0]) + " is not " + std::to_string(a.T) + "×" + std::to_string(a.hq * a.dv);
  return "";
}
void runAttention(Op& op, OpEnv&) {
  const AttnDims a = attnDims(op);
  const float *q = op.ins[0]->f32(), *k = op.ins[1]->f32(), *v = op.ins[2]->f32();
  const int64_t per = a.hq / a.hk, S = a.T / a.batch;
  std::vector<float> y(size_t(a.T * a.hq * a.dv), 0.0f);
  std::vector<double> sc(static_cast<size_t>(S)), acc(static_cast<size_t>(a.dv));
  const double scale = op.num("scale", 1 / std::sqrt(double(a.d)));
  for (int64_t b = 0; b < a.batch; b++)
    for (int64_t h = 0; h < a.hq; h++) {
      const int64_t kh = h / per;
      for (int64_t i = 0; i < S; i++) {
        workDone();
        const float* qi = q + (b * S + i) * a.qw + h * a.d;
        double m = -INFINITY;
        for (int64_t j = 0; j <= i; j++) {
          const float* kj = k + (b * S + j) * a.kw + kh * a.d;
          double s = 0;
          for (int64_t c = 0; c < a.d; c++) s += double(qi[c]) * kj[c];
          sc[size_t(j)] = s * scale;
          m = std::max(m, sc[size_t(j)]);
        }
        double z = 0;
        for (int64_t j = 0; j <= i; j++) z += sc[size_t(j)] = std::exp(sc[size_t(j)] - m);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t j = 0; j <= i; j++) {
          const float* vj = v + (b * S + j) * a.vw + kh * a.dv;
          const double w = sc[size_t(j)] / z;
          for (int64_t c = 0; c < a.dv; c++) acc[size_t(c)] += w * vj[c];
        }
        float* yo = y.data() + (b * S + i) * a.hq * a.dv + h * a.dv;
        for (int64_t c = 0; c < a.dv; c++) yo[c] = float(acc[size_t(c)]);
      }
    }
  std::memcpy(op.outs[0]->f32(), y.data(), y.size() * 4);
}

// ---- attention_backward: ins [q, k, v, dy [T, hq·dv]] (attrs as attention) → outs [dq, dk, dv] shaped as
// q, k, v: probabilities recomputed, then per query row i and key j ≤ i: dV_j += P_ij dY_i,
// dP_ij = dY_i·V_j, dS_ij = P_ij (dP_ij − Σ_j' P_ij' dP_ij'), dQ_i += scale dS_ij K_j,
// dK_j += scale dS_ij Q_i (query heads sharing a key/value head add up). Sums in double, as the JS
// interpreter's attentionBackward.
std::string validateAttentionBackward(const Op& op) {
  std::string e = needF32(op, 4, 3);
  if (!e.empty()) return e;
  if (!(e = needNum(op, {"headDim", "batch"})).empty()) return e;
  const AttnDims a = attnDims(op);
  if (!(e = attnShapeError(op, a, 4)).empty()) return e;
  if (op.ins[3]->numel != a.T * a.hq * a.dv) return "dy " + dims(*op.ins[3]) + " is not " + std::to_string(a.T) + "×" + std::to_string(a.hq * a.dv);
  for (int i = 0; i < 3; i++)
    if (op.outs[i]->numel != op.ins[i]->numel) return "gradient '" + op.outs[i]->id + "' " + dims(*op.outs[i]) + " must hold as many values as " + dims(*op.ins[i]);
  return "";
}
void runAttentionBackward(Op& op, OpEnv&) {
  const AttnDims a = attnDims(op);
  const float *q = op.ins[0]->f32(), *k = op.ins[1]->f32(), *v = op.ins[2]->f32(), *dy = op.ins[3]->f32();
  const int64_t per = a.hq / a.hk, S = a.T / a.batch;
  const double scale = op.num("scale", 1 / std::sqrt(double(a.d)));
  std::vector<double> dq(size_t(op.ins[0]->numel), 0.0), dk(size_t(op.ins[1]->numel), 0.0), dv(size_t(op.ins[2]->numel), 0.0);
  std::vector<double> p(static_cast<size_t>(S)), dp(static_cast<size_t>(S));
  for (int64_t b = 0; b < a.batch; b++)
    for (int64_t h = 0; h < a.hq; h++) {
      const int64_t kh = h / per;
      for (int64_t i = 0; i < S; i++) {
        workDone();
        const int64_t qi = (b * S + i) * a.qw + h * a.d, yi = (b * S + i) * a.hq * a.dv + h * a.dv;
        double m = -INFINITY;
        for (int64_t j = 0; j <= i; j++) {
          const int64_t kj = (b * S + j) * a.kw + kh * a.d;
          double s = 0;
          for (int64_t c = 0; c < a.d; c++) s += double(q[qi + c]) * k[kj + c];
          p[size_t(j)] = s * scale;
          m = std::max(m, p[size_t(j)]);
        }
        double z = 0;
        for (int64_t j = 0; j <= i; j++) z += p[size_t(j)] = std::exp(p[size_t(j)] - m);
        double D = 0;
        for (int64_t j = 0; j <= i; j++) {
          p[size_t(j)] /= z;
          const int64_t vj = (b * S + j) * a.vw + kh * a.dv;
          double s = 0;
          for (int64_t c = 0; c < a.dv; c++) {
            s += double(dy[yi + c]) * v[vj + c];
            dv[size_t(vj + c)] += p[size_t(j)] * dy[yi + c];
          }
          dp[size_t(j)] = s;
          D += p[size_t(j)] * s;
        }
        for (int64_t j = 0; j <= i; j++) {
          const double ds = p[size_t(j)] * (dp[size_t(j)] - D) * scale;
          const int64_t kj = (b * S + j) * a.kw + kh * a.d;
          for (int64_t c = 0; c < a.d; c++) {
            dq[size_t(qi + c)] += ds * k[kj + c];
            dk[size_t(kj + c)] += ds * q[qi + c];
          }
        }
      }
    }
  for (int i = 0; i < 3; i++) {
    const std::vector<double>& g = i == 0 ? dq : i == 1 ? dk : dv;
    float* out = op.outs[size_t(i)]->f32();
    for (size_t x = 0; x < g.size(); x++) out[x] = float(g[x]);
  }
}

// ---- experts: ins [x [T, H], idx [T, k], weights [T, k]] → [T, H] = Σ over routed local experts e of
// weight · down_e(silu(gate_e x) · up_e x). Weights come from the counter generator, only for experts
// some token is routed to: gate_up [E, 2I, H] rows attrs.gateUpRows, down [E, H, I] columns
// attrs.downCols (flat [start, end) pairs); the local gate_up rows split in halves: gate, then up.
std::vector<std::pair<int64_t, int64_t>> pairs(const Op& op, const char* name) {
  std::vector<double> v = op.list(name);
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i + 1 < v.size(); i += 2) out.emplace_back(int64_t(v[i]), int64_t(v[i + 1]));
  return out;
}
int64_t span(const std::vector<std::pair<int64_t, int64_t>>& rs) {
  int64_t n = 0;
  for (auto& r : rs) n += r.second - r.first;
  return n;
}
std::string validateExperts(const Op& op) {
  std::string e = needF32(op, 3, 1);
  if (!e.empty()) return e;
  if (!(e = needNum(op, {"numExperts", "inter", "expertStart", "expertEnd", "gateUpScale", "downScale"})).empty()) return e;
  if (op.str("gateUpKey", "").empty() || op.str("downKey", "").empty()) return "attributes gateUpKey and downKey missing";
  for (const char* n : {"gateUpRows", "downCols"}) {
    auto it = op.attrs.find(n);
    if (it == op.attrs.end() || !it->second.isList || it->second.list.size() % 2) return std::string("attribute ") + n + " missing";
  }
  const Buffer &x = *op.ins[0], &idx = *op.ins[1], &w = *op.ins[2];
  if (x.shape.size() != 2) return "x must be [tokens, hidden], is " + dims(x);
  const int64_t T = x.shape[0], H = x.shape[1];
  if (T == 0 || idx.numel % T || idx.numel != w.numel) return "routing " + dims(idx) + " and weights " + dims(w) + " do not match " + std::to_string(T) + " tokens";
  const int64_t E = int64_t(op.num("numExperts", 0)), I = int64_t(op.num("inter", 0));
  const int64_t e0 = int64_t(op.num("expertStart", 0)), e1 = int64_t(op.num("expertEnd", 0));
  if (e0 < 0 || e1 > E || e0 > e1) return "experts " + std::to_string(e0) + "–" + std::to_string(e1 - 1) + " are not among " + std::to_string(E);
  auto rows = pairs(op, "gateUpRows"), cols = pairs(op, "downCols");
  for (auto& r : rows) if (r.first < 0 || r.second > 2 * I || r.first > r.second) return "gate_up rows out of range";
  for (auto& c : cols) if (c.first < 0 || c.second > I || c.first > c.second) return "down columns out of range";
  if (span(rows) != 2 * span(cols)) return "holds " + std::to_string(span(rows)) + " gate/up rows but " + std::to_string(span(cols)) + " down columns";
  if (op.outs[0]->numel != T * H) return "output '" + op.outs[0]->id + "' " + dims(*op.outs[0]) + " is not " + dims(x);
  return "";
}
void runExperts(Op& op, OpEnv& env) {
  Buffer& xb = *op.ins[0];
  const float *x = xb.f32(), *idx = op.ins[1]->f32(), *wts = op.ins[2]->f32();
  const int64_t T = xb.shape[0], H = xb.shape[1], k = op.ins[1]->numel / T;
  const int64_t E = int64_t(op.num("numExperts", 0)), I = int64_t(op.num("inter", 0));
  const int64_t e0 = int64_t(op.num("expertStart", 0)), e1 = int64_t(op.num("expertEnd", 0));
  const uint32_t guSeed = keySeed(utf16(op.str("gateUpKey", ""))), downSeed = keySeed(utf16(op.str("downKey", "")));
  const double guScale = op.num("gateUpScale", 1), downScale = op.num("downScale", 1);
  const auto rows = pairs(op, "gateUpRows"), cols = pairs(op, "downCols");
  const int64_t nRows = span(rows), nCols = span(cols), half = nRows / 2;
  std::vector<float> y(size_t(T * H), 0.0f);
  const std::vector<int64_t> guShape{E, 2 * I, H}, downShape{E, H, I};
  for (int64_t e = e0; e < e1; e++) {
    std::vector<int64_t> tok;
    std::vector<float> tw;
    for (int64_t t = 0; t < T; t++)
      for (int64_t j = 0; j < k; j++)
        if (idx[t * k + j] == float(e)) { tok.push_back(t); tw.push_back(wts[t * k + j]); }
    if (tok.empty()) continue;  // never materialised
    workDone();
    const int64_t genStart = steadyNs();
    std::vector<Box> guBoxes;
    for (auto& r : rows) guBoxes.push_back(Box{{e, e + 1}, r, {0, H}});
    std::vector<float> gu(size_t(nRows * H));
    if (!generateBoxes(guSeed, guShape, guBoxes, guScale, gu.data(), int64_t(gu.size()))) throw std::runtime_error("experts: gate_up boxes do not match");
    // Each column box of down [E, H, I] is generated apart and laid side by side in every row.
    std::vector<float> down(size_t(H * nCols));
    int64_t c0 = 0;
    for (auto& cb : cols) {
      const int64_t w = cb.second - cb.first;
      std::vector<float> part(size_t(H * w));
      if (!generateBoxes(downSeed, downShape, {Box{{e, e + 1}, {0, H}, cb}}, downScale, part.data(), int64_t(part.size()))) throw std::runtime_error("experts: down boxes do not match");
      for (int64_t h = 0; h < H; h++) std::memcpy(&down[size_t(h * nCols + c0)], &part[size_t(h * w)], size_t(w) * 4);
      c0 += w;
    }
    env.setupNs += steadyNs() - genStart;
    const int64_t n = int64_t(tok.size());
    std::vector<float> xs(size_t(n * H));
    for (int64_t i = 0; i < n; i++) std::memcpy(&xs[size_t(i * H)], x + tok[size_t(i)] * H, size_t(H) * 4);
    std::vector<float> h(size_t(n * nRows));
    gemmF32(xs.data(), gu.data(), h.data(), n, nRows, H, true, false);
    std::vector<float> act(size_t(n * half));
    for (int64_t i = 0; i < n; i++)
      for (int64_t c = 0; c < half; c++) {
        const float g = h[size_t(i * nRows + c)];
        act[size_t(i * half + c)] = float(double(g) / (1 + std::exp(-double(g))) * h[size_t(i * nRows + half + c)]);
      }
    std::vector<float> o(size_t(n * H));
    gemmF32(act.data(), down.data(), o.data(), n, H, half, true, false);
    for (int64_t i = 0; i < n; i++)
      for (int64_t c = 0; c < H; c++) y[size_t(tok[size_t(i)] * H + c)] += tw[size_t(i)] * o[size_t(i * H + c)];
  }
  std::memcpy(op.outs[0]->f32(), y.data(), y.size() * 4);
}

// ---- rope: ins [x [T, …]] → y: each token's values read as heads of d = 2·len(invFreq), rotated by
// position p = positionOffset + (t mod T/batch): θᵢ = p·invFreq[i], c = cos θᵢ·attnFactor,
// s = sin θᵢ·attnFactor; pairs (a, b) = (x[2i], x[2i+1]) when interleaved, else (x[i], x[i+d/2]);
// y[i] = a·c − b·s, y[i+d/2] = b·c + a·s (an interleaved input comes out de-interleaved).
std::string validateRope(const Op& op) {
  std::string e = needF32(op, 1, 1);
  if (!e.empty()) return e;
  const std::vector<double> inv = op.list("invFreq");
  if (inv.empty()) return "attribute invFreq missing";
  const Buffer& x = *op.ins[0];
  const int64_t T = x.rows(), d = 2 * int64_t(inv.size()), batch = int64_t(op.num("batch", 1));
  if (T == 0 || x.numel % T || (x.numel / T) % d) return "rotates " + std::to_string(d) + "-wide heads in rows of " + std::to_string(T ? x.numel / T : 0) + " values";
  if (batch < 1 || T % batch) return std::to_string(T) + " tokens do not split into " + std::to_string(batch) + " sequences";
  if (op.outs[0]->numel != x.numel) return "output '" + op.outs[0]->id + "' differs in size from the input";
  return "";
}
void runRope(Op& op, OpEnv&) {
  const std::vector<double> inv = op.list("invFreq");
  Buffer& xb = *op.ins[0];
  const float* x = xb.f32();
  const int64_t T = xb.rows(), half = int64_t(inv.size()), d = 2 * half, per = xb.numel / T, heads = per / d;
  const bool interleaved = op.num("interleaved", 0) != 0;
  const double f = op.num("attnFactor", 1), offset = op.num("positionOffset", 0);
  const int64_t S = T / int64_t(op.num("batch", 1));
  std::vector<float> y(size_t(xb.numel));
  for (int64_t t = 0; t < T; t++) {
    const double p = offset + double(t % S);
    for (int64_t i = 0; i < half; i++) {
      const double th = p * inv[size_t(i)];
      const double c = std::cos(th) * f, sn = std::sin(th) * f;
      for (int64_t h = 0; h < heads; h++) {
        const int64_t o = t * per + h * d;
        const double a = interleaved ? x[o + 2 * i] : x[o + i];
        const double b = interleaved ? x[o + 2 * i + 1] : x[o + half + i];
        y[size_t(o + i)] = float(a * c - b * sn);
        y[size_t(o + half + i)] = float(b * c + a * sn);
      }
    }
  }
  std::memcpy(op.outs[0]->f32(), y.data(), y.size() * 4);
}

const OpHandler kGemmTransA{"gemm", claimsGemmTransA, validateGemmTransA, runGemmTransA};
const OpHandler kGroupedRmsNorm{"rmsnorm", claimsGroupedRmsNorm, validateGroupedRmsNorm, runGroupedRmsNorm};
const OpHandler kSliceParts{"slice", claimsSliceParts, validateSliceParts, runSliceParts};
const OpHandler kRoutedTopK{"topk", claimsRoutedTopK, validateRoutedTopK, runRoutedTopK};
const OpHandler kAttention{"attention", nullptr, validateAttention, runAttention};
const OpHandler kExperts{"experts", nullptr, validateExperts, runExperts};
const OpHandler kRope{"rope", nullptr, validateRope, runRope};
const OpHandler kSigmoid{"sigmoid", nullptr, validateSigmoid, runSigmoid};
const OpHandler kAttentionBackward{"attention_backward", nullptr, validateAttentionBackward, runAttentionBackward};
const RegisterOp r1(&kGemmTransA), r2(&kGroupedRmsNorm), r3(&kSliceParts), r4(&kRoutedTopK), r5(&kAttention), r6(&kExperts), r7(&kRope), r8(&kSigmoid), r9(&kAttentionBackward);

}  // namespace

// ---- gemm with transB and few rows (the few tokens of a rehearsal), for the CPU backend: C [M, N] =
// A [M, K] · B [N, K]ᵀ as dot products of A's rows with each row of B. B (a weight) is streamed once,
// with no transposed copy; A stays in cache. Eight partial sums per dot product keep the loop vectorisable.
namespace {
constexpr int64_t kFewRows = 64;
inline float dot(const float* __restrict x, const float* __restrict y, int64_t K) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= K; k += 8)
    for (int j = 0; j < 8; j++) s[j] += x[k + j] * y[k + j];
  float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; k < K; k++) t += x[k] * y[k];
  return t;
}
}  // namespace

bool runFewRowsGemm(Op& op, int threads) {
  if (op.kind != OpKind::Gemm || op.num("transB", 0) == 0 || op.num("accumulate", 0) != 0 || op.ins.size() < 2 || op.outs.empty()) return false;
  Buffer &a = *op.ins[0], &b = *op.ins[1], &c = *op.outs[0];
  if (a.dtype != DType::F32 || b.dtype != DType::F32 || c.dtype != DType::F32 || b.shape.size() != 2) return false;
  const int64_t K = a.lastDim();
  if (K <= 0 || a.numel / K > kFewRows || b.shape[1] != K) return false;
  const int64_t M = a.numel / K, N = b.shape[0];
  const float *A = a.f32(), *B = b.f32();
  std::vector<float> out(size_t(M * N));  // C may alias A
  std::atomic<int64_t>* work = tWork;
  auto rows = [&](int64_t n0, int64_t n1) {
    WorkScope ws(work);
    for (int64_t n = n0; n < n1; n++) {
      if (n % 64 == 0) workDone();
      const float* row = B + n * K;
      for (int64_t m = 0; m < M; m++) out[size_t(m * N + n)] = dot(A + m * K, row, K);
    }
  };
  const int t = int(std::min<int64_t>(threads, std::max<int64_t>(1, N * K / (int64_t(1) << 20))));
  if (t <= 1) rows(0, N);
  else {
    std::vector<std::thread> pool;
    for (int i = 0; i < t; i++) pool.emplace_back(rows, N * i / t, N * (i + 1) / t);
    for (auto& th : pool) th.join();
  }
  std::memcpy(c.f32(), out.data(), out.size() * 4);
  return true;
}

}  // namespace ss
