#include "ops.h"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <thread>
#include "progress.h"

namespace ss {

namespace {

std::vector<float> toF32(Buffer& b) {
  std::vector<float> v(b.numel);
  if (b.dtype == DType::F32) std::memcpy(v.data(), b.data.data(), b.numel * 4);
  else if (b.dtype == DType::BF16) for (int64_t i = 0; i < b.numel; i++) v[i] = bf16ToF32(b.bf16()[i]);
  else for (int64_t i = 0; i < b.numel; i++) v[i] = float(b.i32()[i]);
  return v;
}

void fromF32(Buffer& b, const float* v) {
  if (b.dtype == DType::F32) std::memmove(b.data.data(), v, b.numel * 4);
  else if (b.dtype == DType::BF16) for (int64_t i = 0; i < b.numel; i++) b.bf16()[i] = f32ToBf16(v[i]);
  else for (int64_t i = 0; i < b.numel; i++) b.i32()[i] = int32_t(std::lrint(v[i]));
}

std::vector<int32_t> toI32(Buffer& b) {
  std::vector<int32_t> v(b.numel);
  if (b.dtype == DType::I32) std::memcpy(v.data(), b.data.data(), b.numel * 4);
  else { auto f = toF32(b); for (int64_t i = 0; i < b.numel; i++) v[i] = int32_t(std::lrint(f[i])); }
  return v;
}

int64_t elemsOutside(const Buffer& b, int dim, int64_t& inner) {
  int64_t outer = 1;
  inner = 1;
  for (int d = 0; d < int(b.shape.size()); d++) {
    if (d < dim) outer *= b.shape[d];
    else if (d > dim) inner *= b.shape[d];
  }
  return outer;
}

int normDim(const Op& op, const Buffer& b) {
  int dim = int(op.num("dim", 0));
  if (dim < 0) dim += int(b.shape.size());
  return dim;
}

}  // namespace

// Cache-blocked i-k-j kernel: a panel of B (KC×NC) stays in L2 while rows of A stream past it, and the
// inner loop over j is contiguous so the compiler vectorises it.
void gemmF32(const float* A, const float* B, float* C, int64_t M, int64_t N, int64_t K, bool transB, bool accumulate) {
  std::vector<float> bt;
  if (transB) {  // B is N×K: transpose once so the inner loop reads contiguous rows of K×N
    bt.resize(size_t(K) * N);
    const int64_t T = 64;
    for (int64_t j0 = 0; j0 < N; j0 += T)
      for (int64_t k0 = 0; k0 < K; k0 += T)
        for (int64_t j = j0; j < std::min(N, j0 + T); j++)
          for (int64_t k = k0; k < std::min(K, k0 + T); k++) bt[k * N + j] = B[j * K + k];
    B = bt.data();
  }
  if (!accumulate) std::fill(C, C + M * N, 0.0f);
  const int64_t KC = 256, NC = 512, MC = 64;
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    const int64_t k1 = std::min(K, k0 + KC);
    for (int64_t j0 = 0; j0 < N; j0 += NC) {
      const int64_t j1 = std::min(N, j0 + NC), nj = j1 - j0;
      for (int64_t i0 = 0; i0 < M; i0 += MC) {
        const int64_t i1 = std::min(M, i0 + MC);
        int64_t i = i0;
        for (; i + 4 <= i1; i += 4) {  // four rows of C share each row of B loaded from cache
          float* __restrict c0 = C + (i + 0) * N + j0;
          float* __restrict c1 = C + (i + 1) * N + j0;
          float* __restrict c2 = C + (i + 2) * N + j0;
          float* __restrict c3 = C + (i + 3) * N + j0;
          for (int64_t k = k0; k < k1; k++) {
            const float a0 = A[(i + 0) * K + k], a1 = A[(i + 1) * K + k], a2 = A[(i + 2) * K + k], a3 = A[(i + 3) * K + k];
            const float* __restrict b = B + k * N + j0;
            for (int64_t j = 0; j < nj; j++) {
              const float bv = b[j];
              c0[j] += a0 * bv; c1[j] += a1 * bv; c2[j] += a2 * bv; c3[j] += a3 * bv;
            }
          }
        }
        for (; i < i1; i++) {
          float* __restrict c = C + i * N + j0;
          for (int64_t k = k0; k < k1; k++) {
            const float a = A[i * K + k];
            const float* __restrict b = B + k * N + j0;
            for (int64_t j = 0; j < nj; j++) c[j] += a * b[j];
          }
        }
        workDone();  // one block of C: a few ms at most
      }
    }
  }
}

void runComputeOp(Op& op) {
  switch (op.kind) {
    case OpKind::Gemm: {
      Buffer &a = *op.ins[0], &b = *op.ins[1], &c = *op.outs[0];
      const bool transB = op.num("transB", 0) != 0, acc = op.num("accumulate", 0) != 0;
      const int64_t K = a.lastDim(), M = a.numel / K, N = c.lastDim();
      if (a.dtype == DType::F32 && b.dtype == DType::F32 && c.dtype == DType::F32) {
        gemmF32(a.f32(), b.f32(), c.f32(), M, N, K, transB, acc);
      } else {  // bf16 storage: widen to fp32, accumulate in fp32, round once on store
        auto af = toF32(a), bf = toF32(b);
        std::vector<float> cf = acc ? toF32(c) : std::vector<float>(c.numel);
        gemmF32(af.data(), bf.data(), cf.data(), M, N, K, transB, acc);
        fromF32(c, cf.data());
      }
      return;
    }
    case OpKind::SiluMul: {
      auto g = toF32(*op.ins[0]), u = toF32(*op.ins[1]);
      for (size_t i = 0; i < g.size(); i++) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
      fromF32(*op.outs[0], g.data());
      return;
    }
    case OpKind::Add: {
      auto a = toF32(*op.ins[0]), b = toF32(*op.ins[1]);
      for (size_t i = 0; i < a.size(); i++) a[i] += b[i];
      fromF32(*op.outs[0], a.data());
      return;
    }
    case OpKind::Scale: {
      auto a = toF32(*op.ins[0]);
      const float f = float(op.num("factor", 1));
      for (auto& x : a) x *= f;
      fromF32(*op.outs[0], a.data());
      return;
    }
    case OpKind::RmsNorm: {
      Buffer& xb = *op.ins[0];
      auto x = toF32(xb), w = toF32(*op.ins[1]);
      const int64_t H = xb.lastDim(), R = xb.numel / H;
      const double eps = op.num("eps", 1e-6);
      for (int64_t r = 0; r < R; r++) {
        float* row = x.data() + r * H;
        double ss = 0;
        for (int64_t h = 0; h < H; h++) ss += double(row[h]) * row[h];
        const float inv = float(1.0 / std::sqrt(ss / H + eps));
        for (int64_t h = 0; h < H; h++) row[h] = row[h] * inv * w[h];
      }
      fromF32(*op.outs[0], x.data());
      return;
    }
    case OpKind::Softmax: {
      Buffer& xb = *op.ins[0];
      auto x = toF32(xb);
      const int64_t H = xb.lastDim(), R = xb.numel / H;
      for (int64_t r = 0; r < R; r++) {
        float* row = x.data() + r * H;
        float mx = -INFINITY;
        for (int64_t h = 0; h < H; h++) mx = std::max(mx, row[h]);
        double s = 0;
        for (int64_t h = 0; h < H; h++) { row[h] = std::exp(row[h] - mx); s += row[h]; }
        for (int64_t h = 0; h < H; h++) row[h] = float(row[h] / s);
      }
      fromF32(*op.outs[0], x.data());
      return;
    }
    case OpKind::TopK: {
      Buffer& lb = *op.ins[0];
      auto x = toF32(lb);
      const int64_t E = lb.lastDim(), T = lb.numel / E, k = int64_t(op.num("k", 1));
      const bool softmaxFirst = op.str("scoring", "softmax") == "softmax";
      const bool normalize = op.num("normalize", 0) != 0;
      std::vector<float> w(T * k);
      std::vector<int32_t> idx(T * k);
      std::vector<int32_t> order(E);
      for (int64_t t = 0; t < T; t++) {
        float* row = x.data() + t * E;
        if (softmaxFirst) {
          float mx = -INFINITY;
          for (int64_t e = 0; e < E; e++) mx = std::max(mx, row[e]);
          double s = 0;
          for (int64_t e = 0; e < E; e++) { row[e] = std::exp(row[e] - mx); s += row[e]; }
          for (int64_t e = 0; e < E; e++) row[e] = float(row[e] / s);
        }
        for (int64_t e = 0; e < E; e++) order[e] = int32_t(e);
        // Highest score first; ties go to the lower expert index, so every backend picks the same experts.
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](int32_t p, int32_t q) { return row[p] > row[q] || (row[p] == row[q] && p < q); });
        double s = 0;
        for (int64_t j = 0; j < k; j++) s += row[order[j]];
        for (int64_t j = 0; j < k; j++) {
          idx[t * k + j] = order[j];
          w[t * k + j] = normalize ? float(row[order[j]] / s) : row[order[j]];
        }
      }
      fromF32(*op.outs[0], w.data());
      Buffer& ib = *op.outs[1];
      if (ib.dtype == DType::I32) std::memcpy(ib.i32(), idx.data(), idx.size() * 4);
      else { std::vector<float> f(idx.begin(), idx.end()); fromF32(ib, f.data()); }
      return;
    }
    case OpKind::GatherRows: {
      Buffer &xb = *op.ins[0], &yb = *op.outs[0];
      auto idx = toI32(*op.ins[1]);
      const int64_t H = xb.numel / xb.rows(), es = int64_t(dtypeSize(xb.dtype));
      for (int32_t v : idx) if (v < 0 || v >= xb.rows()) throw std::runtime_error("row index " + std::to_string(v) + " is outside 0.." + std::to_string(xb.rows() - 1));
      for (size_t r = 0; r < idx.size(); r++)
        std::memcpy(yb.data.data() + r * H * es, xb.data.data() + int64_t(idx[r]) * H * es, H * es);
      return;
    }
    case OpKind::ScatterAddRows: {
      Buffer &yb = *op.ins[0], &xb = *op.outs[0];
      auto y = toF32(yb);
      auto idx = toI32(*op.ins[1]);
      std::vector<float> w = op.ins.size() > 2 ? toF32(*op.ins[2]) : std::vector<float>(idx.size(), 1.0f);
      const int64_t H = xb.numel / xb.rows();
      std::vector<float> x = op.num("accumulate", 0) != 0 ? toF32(xb) : std::vector<float>(xb.numel, 0.0f);
      for (int32_t v : idx) if (v < 0 || v >= xb.rows()) throw std::runtime_error("row index " + std::to_string(v) + " is outside 0.." + std::to_string(xb.rows() - 1));
      for (size_t r = 0; r < idx.size(); r++)
        for (int64_t h = 0; h < H; h++) x[int64_t(idx[r]) * H + h] += w[r] * y[r * H + h];
      fromF32(xb, x.data());
      return;
    }
    case OpKind::Copy: {
      Buffer &a = *op.ins[0], &b = *op.outs[0];
      if (a.dtype == b.dtype) std::memmove(b.data.data(), a.data.data(), a.bytes());
      else { auto f = toF32(a); fromF32(b, f.data()); }
      return;
    }
    case OpKind::Slice: {
      Buffer &a = *op.ins[0], &b = *op.outs[0];
      const int dim = normDim(op, a);
      const int64_t start = int64_t(op.num("start", 0)), es = int64_t(dtypeSize(a.dtype));
      int64_t inner;
      const int64_t outer = elemsOutside(a, dim, inner);
      const int64_t la = a.shape[dim], lb = b.shape[dim];
      for (int64_t o = 0; o < outer; o++)
        std::memcpy(b.data.data() + (o * lb) * inner * es, a.data.data() + (o * la + start) * inner * es, lb * inner * es);
      return;
    }
    case OpKind::Concat: {
      Buffer& b = *op.outs[0];
      const int dim = normDim(op, b);
      const int64_t es = int64_t(dtypeSize(b.dtype));
      int64_t inner;
      const int64_t outer = elemsOutside(b, dim, inner), lb = b.shape[dim];
      int64_t off = 0;
      for (Buffer* a : op.ins) {
        const int64_t la = a->shape[dim];
        for (int64_t o = 0; o < outer; o++)
          std::memcpy(b.data.data() + (o * lb + off) * inner * es, a->data.data() + o * la * inner * es, la * inner * es);
        off += la;
      }
      return;
    }
    case OpKind::Sleep: {
      std::this_thread::sleep_for(std::chrono::milliseconds(int64_t(op.num("ms", 0))));
      return;
    }
    default:
      throw std::runtime_error("not a compute op: " + op.name);
  }
}

}  // namespace ss
