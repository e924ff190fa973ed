// The model's ends and the all-to-all expert dispatch, with exactly the semantics of the JS interpreter
// (extension/core/lower/interpret-ends.ts; documented in extension/core/lower/types.ts):
//   embedding      rows of a [vocab, hidden] table for the token ids in attrs.ids that fall in this rank's
//                  vocab slice (zeros elsewhere), generated from the counter generator for those ids only;
//   row_max, row_sum_exp, target_logit, cross_entropy: the loss_parallel cross-entropy's local steps;
//   dispatch_pack  the (token, slot) pairs of a routing ordered by the member owning their expert.
// All fp32.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>
#include "generator.h"
#include "op_registry.h"

namespace ss {
namespace {

std::string shapeOf(const Buffer& b) {
  std::string s = "[";
  for (size_t i = 0; i < b.shape.size(); i++) s += (i ? ", " : "") + std::to_string(b.shape[i]);
  return s + "]";
}

std::string needF32(const Op& op, size_t nin, size_t nout) {
  if (op.ins.size() != nin || op.outs.size() != nout)
    return "expects " + std::to_string(nin) + " input(s) and " + std::to_string(nout) + " output(s)";
  for (const auto* side : {&op.ins, &op.outs})
    for (const Buffer* b : *side)
      if (b->dtype != DType::F32) return "'" + b->id + "' is " + dtypeName(b->dtype) + "; " + op.name + " runs on f32";
  return "";
}

std::string needNums(const Op& op, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = op.attrs.find(n);
    if (it == op.attrs.end() || it->second.isStr || it->second.isList) return std::string("attribute ") + n + " missing";
  }
  return "";
}

bool hasList(const Op& op, const char* name) {
  auto it = op.attrs.find(name);
  return it != op.attrs.end() && it->second.isList;
}

int64_t lastDim(const Buffer& b) { return b.shape.empty() ? 1 : b.shape.back(); }
int64_t rowsOf(const Buffer& b) {
  const int64_t w = lastDim(b);
  return w ? b.numel / w : (b.shape.size() > 1 ? b.shape[0] : 0);
}

// ---- embedding: ins [], outs [y [T, colEnd − colStart]].
std::string validateEmbedding(const Op& op) {
  std::string e = needF32(op, 0, 1);
  if (!e.empty()) return e;
  if (!(e = needNums(op, {"vocab", "hidden", "vocabStart", "vocabEnd", "colStart", "colEnd", "scale"})).empty()) return e;
  if (op.str("key", "").empty()) return "attribute key missing";
  if (!hasList(op, "ids")) return "attribute ids (the token ids) missing";
  const int64_t V = int64_t(op.num("vocab", 0)), H = int64_t(op.num("hidden", 0));
  const int64_t v0 = int64_t(op.num("vocabStart", 0)), v1 = int64_t(op.num("vocabEnd", 0));
  const int64_t c0 = int64_t(op.num("colStart", 0)), c1 = int64_t(op.num("colEnd", 0));
  if (v0 < 0 || v1 > V || v0 > v1) return "vocab slice " + std::to_string(v0) + "–" + std::to_string(v1) + " is not within 0.." + std::to_string(V);
  if (c0 < 0 || c1 > H || c0 > c1) return "column slice " + std::to_string(c0) + "–" + std::to_string(c1) + " is not within 0.." + std::to_string(H);
  const int64_t T = int64_t(op.list("ids").size());
  if (op.outs[0]->numel != T * (c1 - c0)) return "output '" + op.outs[0]->id + "' " + shapeOf(*op.outs[0]) + " does not hold " + std::to_string(T) + " rows of " + std::to_string(c1 - c0);
  return "";
}
void runEmbedding(Op& op, OpEnv& env) {
  const auto ids = op.list("ids");
  const int64_t V = int64_t(op.num("vocab", 0)), H = int64_t(op.num("hidden", 0));
  const int64_t v0 = int64_t(op.num("vocabStart", 0)), v1 = int64_t(op.num("vocabEnd", 0));
  const int64_t c0 = int64_t(op.num("colStart", 0)), c1 = int64_t(op.num("colEnd", 0)), w = c1 - c0;
  const uint32_t seed = keySeed(utf16(op.str("key", "")));
  const double scale = op.num("scale", 1);
  float* y = op.outs[0]->f32();
  std::fill(y, y + op.outs[0]->numel, 0.0f);
  for (size_t t = 0; t < ids.size(); t++) {
    const int64_t id = int64_t(ids[t]);
    if (id < 0 || id >= V) throw std::runtime_error("rank " + std::to_string(env.rank) + ": token id " + std::to_string(id) + " is outside the vocabulary 0.." + std::to_string(V - 1));
    if (id < v0 || id >= v1) continue;  // another rank's vocabulary slice
    const std::vector<Box> box{Box{{id, id + 1}, {c0, c1}}};
    if (!generateBoxes(seed, {V, H}, box, scale, y + int64_t(t) * w, w)) throw std::runtime_error("embedding: the table row does not fit the output");
  }
}

// ---- row_max: ins [x [M, N]] → [M, 1].
std::string validateRowMax(const Op& op) {
  std::string e = needF32(op, 1, 1);
  if (!e.empty()) return e;
  if (op.outs[0]->numel != rowsOf(*op.ins[0])) return "output '" + op.outs[0]->id + "' needs one value per row of " + shapeOf(*op.ins[0]);
  return "";
}
void runRowMax(Op& op, OpEnv&) {
  Buffer& xb = *op.ins[0];
  const float* x = xb.f32();
  const int64_t N = lastDim(xb), M = op.outs[0]->numel;
  std::vector<float> y(static_cast<size_t>(M), -std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) y[size_t(i)] = std::max(y[size_t(i)], x[i * N + j]);
  std::copy(y.begin(), y.end(), op.outs[0]->f32());
}

// ---- row_sum_exp: ins [x [M, N], m [M, 1]] → [M, 1] Σ exp(x − m).
std::string validateRowSumExp(const Op& op) {
  std::string e = needF32(op, 2, 1);
  if (!e.empty()) return e;
  const int64_t M = rowsOf(*op.ins[0]);
  if (op.ins[1]->numel != M || op.outs[0]->numel != M) return "the row maxima and the output need one value per row of " + shapeOf(*op.ins[0]);
  return "";
}
void runRowSumExp(Op& op, OpEnv&) {
  Buffer& xb = *op.ins[0];
  const float *x = xb.f32(), *m = op.ins[1]->f32();
  const int64_t N = lastDim(xb), M = op.outs[0]->numel;
  std::vector<float> y(static_cast<size_t>(M));
  for (int64_t i = 0; i < M; i++) {
    // Accumulated in float like the interpreter's Float32Array store of a double sum: use double, round once.
    double s = 0;
    for (int64_t j = 0; j < N; j++) s += std::exp(double(x[i * N + j]) - double(m[i]));
    y[size_t(i)] = float(s);
  }
  std::copy(y.begin(), y.end(), op.outs[0]->f32());
}

// ---- target_logit: ins [x [M, N]] → [M, 1]: x[i, t − vocabStart] where this rank holds target t, else 0.
std::string validateTargetLogit(const Op& op) {
  std::string e = needF32(op, 1, 1);
  if (!e.empty()) return e;
  if (!(e = needNums(op, {"vocabStart"})).empty()) return e;
  if (!hasList(op, "targets")) return "attribute targets (the label ids) missing";
  const int64_t M = int64_t(op.list("targets").size());
  if (rowsOf(*op.ins[0]) != M || op.outs[0]->numel != M) return std::to_string(M) + " targets for logits " + shapeOf(*op.ins[0]) + " and output " + shapeOf(*op.outs[0]);
  return "";
}
void runTargetLogit(Op& op, OpEnv&) {
  Buffer& xb = *op.ins[0];
  const float* x = xb.f32();
  const auto targets = op.list("targets");
  const int64_t N = lastDim(xb), v0 = int64_t(op.num("vocabStart", 0));
  std::vector<float> y(targets.size(), 0.0f);
  for (size_t i = 0; i < targets.size(); i++) {
    const int64_t t = int64_t(targets[i]);
    if (t >= v0 && t < v0 + N) y[i] = x[int64_t(i) * N + (t - v0)];
  }
  std::copy(y.begin(), y.end(), op.outs[0]->f32());
}

// ---- cross_entropy: ins [m, s, t (each M×1)] → [1, 1] mean of log(s) + m − t.
std::string validateCrossEntropy(const Op& op) {
  std::string e = needF32(op, 3, 1);
  if (!e.empty()) return e;
  const int64_t M = op.ins[0]->numel;
  if (op.ins[1]->numel != M || op.ins[2]->numel != M) return "max, sum of exp and target logit differ in length";
  if (op.outs[0]->numel != 1) return "output '" + op.outs[0]->id + "' must hold one value";
  return "";
}
void runCrossEntropy(Op& op, OpEnv&) {
  const float *m = op.ins[0]->f32(), *s = op.ins[1]->f32(), *t = op.ins[2]->f32();
  const int64_t M = op.ins[0]->numel;
  double loss = 0;
  for (int64_t i = 0; i < M; i++) loss += std::log(double(s[i])) + double(m[i]) - double(t[i]);
  op.outs[0]->f32()[0] = float(M ? loss / double(M) : 0.0);
}

// ---- dispatch_pack: ins [x [T, H], idx [R, k], weights [R, k]] → rows [T·k, H], experts, weights, tokens [T·k, 1].
std::string validateDispatchPack(const Op& op) {
  std::string e = needF32(op, 3, 4);
  if (!e.empty()) return e;
  if (!hasList(op, "bounds") || op.list("bounds").size() < 2) return "attribute bounds (expert boundaries per member) missing";
  const Buffer &x = *op.ins[0], &idx = *op.ins[1], &w = *op.ins[2];
  if (x.shape.size() != 2) return "x must be [tokens, hidden], is " + shapeOf(x);
  const int64_t T = x.shape[0], H = x.shape[1], k = lastDim(idx), row0 = int64_t(op.num("rowStart", 0));
  if (idx.numel != w.numel || k <= 0) return "routing " + shapeOf(idx) + " and weights " + shapeOf(w) + " differ";
  if (row0 < 0 || (row0 + T) * k > idx.numel) return "rows " + std::to_string(row0) + "–" + std::to_string(row0 + T - 1) + " are not all in the routing " + shapeOf(idx);
  const int64_t S = T * k;
  if (op.outs[0]->numel != S * H) return "rows '" + op.outs[0]->id + "' " + shapeOf(*op.outs[0]) + " must hold " + std::to_string(S) + " rows of " + std::to_string(H);
  for (int i = 1; i < 4; i++)
    if (op.outs[size_t(i)]->numel != S) return "'" + op.outs[size_t(i)]->id + "' must hold " + std::to_string(S) + " values";
  if (hasList(op, "sendCounts") && op.list("sendCounts").size() != op.list("bounds").size() - 1) return "sendCounts needs one entry per member";
  return "";
}
void runDispatchPack(Op& op, OpEnv& env) {
  Buffer& xb = *op.ins[0];
  const float *x = xb.f32(), *idx = op.ins[1]->f32(), *wts = op.ins[2]->f32();
  const int64_t T = xb.shape[0], H = xb.shape[1], k = lastDim(*op.ins[1]), row0 = int64_t(op.num("rowStart", 0));
  const auto bounds = op.list("bounds");
  const int n = int(bounds.size()) - 1;
  struct Pair { int64_t t, j; int to; };
  std::vector<Pair> pairs;
  pairs.reserve(size_t(T * k));
  for (int64_t t = 0; t < T; t++)
    for (int64_t j = 0; j < k; j++) {
      const double ex = idx[(row0 + t) * k + j];
      int to = -1;
      for (int i = 0; i < n && to < 0; i++) if (ex >= bounds[size_t(i)] && ex < bounds[size_t(i) + 1]) to = i;
      if (to < 0) throw std::runtime_error("rank " + std::to_string(env.rank) + ": expert " + std::to_string(int64_t(ex)) + " belongs to no member");
      pairs.push_back({t, j, to});
    }
  // Pairs are made in (token, slot) order, so a stable sort by member gives the interpreter's order.
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.to < b.to; });
  std::vector<double> counts(size_t(n), 0);
  for (const Pair& p : pairs) counts[size_t(p.to)]++;
  if (hasList(op, "sendCounts") && op.list("sendCounts") != counts) {
    std::string have, want;
    for (int i = 0; i < n; i++) {
      have += (i ? ", " : "") + std::to_string(int64_t(counts[size_t(i)]));
      want += (i ? ", " : "") + std::to_string(int64_t(op.list("sendCounts")[size_t(i)]));
    }
    throw std::runtime_error("rank " + std::to_string(env.rank) + ": the routing sends [" + have + "] rows per member, but the dispatch was lowered for [" + want + "] (the routing differs from the reference's)");
  }
  float *rows = op.outs[0]->f32(), *experts = op.outs[1]->f32(), *weights = op.outs[2]->f32(), *tokens = op.outs[3]->f32();
  for (size_t i = 0; i < pairs.size(); i++) {
    const Pair& p = pairs[i];
    std::copy(x + p.t * H, x + (p.t + 1) * H, rows + int64_t(i) * H);
    experts[i] = idx[(row0 + p.t) * k + p.j];
    weights[i] = wts[(row0 + p.t) * k + p.j];
    tokens[i] = float(p.t);
  }
}

const OpHandler kEmbedding{"embedding", nullptr, validateEmbedding, runEmbedding};
const OpHandler kRowMax{"row_max", nullptr, validateRowMax, runRowMax};
const OpHandler kRowSumExp{"row_sum_exp", nullptr, validateRowSumExp, runRowSumExp};
const OpHandler kTargetLogit{"target_logit", nullptr, validateTargetLogit, runTargetLogit};
const OpHandler kCrossEntropy{"cross_entropy", nullptr, validateCrossEntropy, runCrossEntropy};
const OpHandler kDispatchPack{"dispatch_pack", nullptr, validateDispatchPack, runDispatchPack};
const RegisterOp r1(&kEmbedding), r2(&kRowMax), r3(&kRowSumExp), r4(&kTargetLogit), r5(&kCrossEntropy), r6(&kDispatchPack);

}  // namespace
}  // namespace ss
