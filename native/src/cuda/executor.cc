#include "executor.h"
#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <sys/mman.h>
#include <unistd.h>
#include "compile.h"
#include "kernelSource.h"
#include "libraries.h"
#include "../generator.h"
#include "../op_registry.h"

namespace ss {
namespace cuda {

namespace {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string where(int rank, size_t i, const Op& op) {
  return "rank " + std::to_string(rank) + ", op " + std::to_string(i) + " (" + op.name + ")";
}

struct CallError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What stays loaded per GPU for the process: the primary context (retained once, never released, so
// the module and the cuBLAS handle in it stay valid), the kernels' module and the cuBLAS handle.
struct DeviceState {
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  int ccMajor = 0, ccMinor = 0;
  CUmodule module = nullptr;
  CUfunction fn[kKernelCount] = {};
  cublasHandle_t blas = nullptr;
};

std::mutex gDevM;
std::map<std::pair<const Api*, int>, std::unique_ptr<DeviceState>> gDevices;

void cuCheck(const Api& api, CUresult r, const char* call) {
  if (r != 0) throw CallError(api.cuError(r, call));
}
void ncclCheck(const Api& api, ncclResult_t r, const char* call) {
  if (r != 0 && r != 7 /* ncclInProgress */) throw CallError(api.ncclError(r, call));
}
void blasCheck(cublasStatus_t r, const char* call) {
  if (r != 0) throw CallError(std::string(call) + " failed: cuBLAS status " + std::to_string(r));
}
#define CU(call, ...) cuCheck(api, api.call(__VA_ARGS__), #call)
#define NCCL(call, ...) ncclCheck(api, api.call(__VA_ARGS__), #call)

void capability(const Api& api, int ordinal, CUdevice& dev, int& major, int& minor) {
  CU(cuDeviceGet, &dev, ordinal);
  CU(cuDeviceGetAttribute, &major, SS_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
  CU(cuDeviceGetAttribute, &minor, SS_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
}

// Makes the device's primary context current on this thread, loading the kernels into it the first time.
DeviceState& useDevice(const Api& api, int ordinal) {
  std::lock_guard<std::mutex> lk(gDevM);
  auto& slot = gDevices[{&api, ordinal}];
  if (!slot) {
    auto d = std::make_unique<DeviceState>();
    capability(api, ordinal, d->dev, d->ccMajor, d->ccMinor);
    CU(cuDevicePrimaryCtxRetain, &d->ctx, d->dev);
    CU(cuCtxSetCurrent, d->ctx);
    const Image& img = compileKernels(api, d->ccMajor, d->ccMinor);
    CU(cuModuleLoadData, &d->module, img.bytes.data());
    for (int k = 0; k < kKernelCount; k++) CU(cuModuleGetFunction, &d->fn[k], d->module, kKernelNames[k]);
    blasCheck(api.cublasCreate_v2(&d->blas), "cublasCreate_v2");
    slot = std::move(d);
  }
  CU(cuCtxSetCurrent, slot->ctx);
  return *slot;
}

// The buffer's size whether or not its host storage exists.
size_t bytesOf(const Buffer& b) { return size_t(b.numel) * dtypeSize(b.dtype); }

int ncclType(DType t) { return t == DType::F32 ? SS_ncclFloat32 : t == DType::BF16 ? SS_ncclBfloat16 : SS_ncclInt32; }
int blasType(DType t) { return t == DType::F32 ? SS_CUDA_R_32F : SS_CUDA_R_16BF; }

// Registered ops (OpKind::Extra) the CUDA backend runs itself; the others run on the host.
bool onDevice(const Op& op) {
  if (op.kind != OpKind::Extra || !op.handler) return false;
  const std::string h = op.handler->name;
  auto aliased = [&] {
    for (const Buffer* o : op.outs) for (const Buffer* i : op.ins) if (o == i) return true;
    return false;
  };
  if (h == "gemm") return op.num("transA", 0) != 0 && op.ins[0]->dtype == DType::F32 && op.ins[0]->numel <= INT_MAX && op.ins[1]->numel <= INT_MAX;
  if (h == "rmsnorm") return op.ins[1]->numel > 0 && op.ins[0]->lastDim() % op.ins[1]->numel == 0;
  if (h == "slice") return op.attrs.count("parts") != 0;
  if (h == "attention" || h == "attention_backward") return !aliased();
  if (h == "rope") return !(op.num("interleaved", 0) != 0 && aliased()) && !op.list("invFreq").empty();
  if (h == "experts") return !aliased();
  return false;
}

// Why op cannot run on the CUDA backend, or "". Registered ops (OpKind::Extra) run on the host when
// the caller lets them.
std::string unsupported(const Op& op, bool host) {
  if (op.kind == OpKind::Extra && (host || onDevice(op))) return "";
  switch (op.kind) {
    case OpKind::Gemm: {
      const DType a = op.ins[0]->dtype, b = op.ins[1]->dtype, c = op.outs[0]->dtype;
      if (a == DType::I32 || b == DType::I32 || c == DType::I32) return "gemm on i32 buffers is not supported on the CUDA backend";
      if (a != b) return "gemm with A " + std::string(dtypeName(a)) + " and B " + dtypeName(b) + " is not supported on the CUDA backend (cuBLAS needs one operand type)";
      if (a == DType::F32 && c == DType::BF16) return "gemm with f32 operands and a bf16 output is not supported on the CUDA backend";
      const int64_t K = op.ins[0]->lastDim(), M = K ? op.ins[0]->numel / K : 0, N = op.outs[0]->lastDim();
      if (M > INT_MAX || N > INT_MAX || K > INT_MAX) return "gemm dimensions beyond 2^31 are not supported on the CUDA backend";
      return "";
    }
    case OpKind::RmsNorm:
      return op.ins[1]->numel == op.ins[0]->lastDim() ? "" : "rmsnorm with a weight shorter than the last dim is not supported on the CUDA backend";
    case OpKind::SiluMul: case OpKind::Add: case OpKind::Scale: case OpKind::Copy: case OpKind::Softmax: case OpKind::TopK:
    case OpKind::GatherRows: case OpKind::ScatterAddRows: case OpKind::Slice: case OpKind::Concat: case OpKind::Sleep:
      return "";
    case OpKind::AllReduce: case OpKind::AllGather: case OpKind::ReduceScatter: case OpKind::AllToAll: case OpKind::AllToAllV:
    case OpKind::Broadcast:
      return op.ins[0]->dtype == op.outs[0]->dtype ? "" : "a collective between buffers of different dtypes is not supported on the CUDA backend";
    case OpKind::Send: case OpKind::Recv:
      return "";
    default:
      return "'" + op.name + "'" + (op.kind == OpKind::Extra ? " with these attributes" : "") + " is not supported on the CUDA backend yet (use the CPU backend)";
  }
}

// A blocking barrier of the rank threads that gives up when the run stops.
struct HostBarrier {
  std::mutex m;
  std::condition_variable cv;
  int n, count = 0;
  uint64_t gen = 0;
  explicit HostBarrier(int n_) : n(n_) {}
  bool wait(const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lk(m);
    const uint64_t g = gen;
    if (++count == n) { count = 0; gen++; cv.notify_all(); return !stop; }
    while (gen == g) {
      if (stop) return false;
      cv.wait_for(lk, std::chrono::milliseconds(20));
    }
    return !stop;
  }
};

struct Shared {
  Job& job;
  const Api& api;
  std::vector<ncclUniqueId> ids;          // per communicator (only those used)
  std::vector<bool> used;                 // communicators some op uses
  std::vector<std::atomic<size_t>> done;  // ops finished per rank
  // Per rank, per communicator: op indices of its collectives in order (for the timeout report).
  std::vector<std::map<int, std::vector<size_t>>> collOps;
  HostBarrier barrier;
  std::mutex failM;
  bool failed = false;
  Shared(Job& j, const Api& a) : job(j), api(a), done(size_t(j.worldSize)), barrier(j.worldSize) {}
  void fail(Failure f) {
    {
      std::lock_guard<std::mutex> lk(failM);
      if (failed) return;
      failed = true;
    }
    job.onFailure(f);
    job.stop->store(true);
    barrier.cv.notify_all();
  }
};

int indexOf(const std::vector<int>& members, int rank) {
  for (size_t i = 0; i < members.size(); i++) if (members[i] == rank) return int(i);
  return -1;
}

unsigned gridFor(int64_t work) {
  const int64_t blocks = (work + 255) / 256;
  return unsigned(std::max<int64_t>(1, std::min<int64_t>(blocks, 4096)));
}

class RankRunner {
 public:
  RankRunner(Shared& s, int rank) : s_(s), api_(s.api), r_(rank), rp_((*s.job.ranks)[rank]) {}

  void run() {
    const Api& api = api_;
    bool ready = false;
    try {
      dev_ = &useDevice(api, r_);
      CU(cuStreamCreate, &stream_, SS_CU_STREAM_NON_BLOCKING);
      blasCheck(api.cublasSetStream_v2(dev_->blas, stream_), "cublasSetStream_v2");
      for (auto& [id, b] : rp_.buffers) upload(b);
      for (size_t i = 0; i < rp_.ops.size(); i++) uploadAttrs(rp_.ops[i], i);
      CU(cuMemAlloc_v2, &errWord_, 16);
      CU(cuMemsetD8Async, errWord_, 0, 16, stream_);
      events_.resize(rp_.ops.size() * 2);
      for (auto& e : events_) CU(cuEventCreate, &e, SS_CU_EVENT_DEFAULT);
      CU(cuEventCreate, &ev0_, SS_CU_EVENT_DEFAULT);
      CU(cuStreamSynchronize, stream_);
      ready = true;
    } catch (const std::exception& e) {
      Failure f = setupFailure(e.what());
      f.message = "rank " + std::to_string(r_) + " (GPU " + std::to_string(r_) + "): " + e.what();
      s_.fail(f);
    }
    // Communicators only once every rank has its buffers: a rank that failed never leaves its peers
    // waiting in ncclCommInitRank.
    if (s_.barrier.wait(*s_.job.stop) && ready && initComms() && s_.barrier.wait(*s_.job.stop)) runOps();
    cleanup();
  }

 private:
  Shared& s_;
  const Api& api_;
  int r_;
  RankProgram& rp_;
  DeviceState* dev_ = nullptr;
  CUstream stream_ = nullptr;
  CUdeviceptr errWord_ = 0;
  std::map<const Buffer*, CUdeviceptr> ptr_;
  std::map<size_t, CUdeviceptr> attrBufs_;
  std::vector<std::pair<CUdeviceptr, size_t>> scratch_ = std::vector<std::pair<CUdeviceptr, size_t>>(10, {0, 0});
  std::vector<CUevent> events_;  // start and end of op i at 2i, 2i+1
  CUevent ev0_ = nullptr;
  int64_t hostBase_ = 0;
  std::map<int, ncclComm_t> comms_;
  std::vector<int64_t> seqOf_;
  size_t done_ = 0, enqueued_ = 0;
  bool commsOk_ = true;

  void upload(Buffer& b) {
    const Api& api = api_;
    CUdeviceptr p = 0;
    const size_t bytes = bytesOf(b);
    if (bytes == 0) { ptr_[&b] = 0; return; }
    if (CUresult r = api.cuMemAlloc_v2(&p, bytes))
      throw CallError(api.cuError(r, "cuMemAlloc_v2") + " for buffer '" + b.id + "' (" + std::to_string(bytes) + " bytes)");
    ptr_[&b] = p;
    if (!b.ready && !b.counter) { CU(cuMemsetD8Async, p, 0, bytes, stream_); return; }  // zeros, made on the GPU
    if (generateOnDevice(b, p)) return;
    s_.job.fillHost(b);
    CU(cuMemcpyHtoD_v2, p, b.data.data(), bytes);
    s_.job.releaseHost(b);
  }

  CUdeviceptr dp(const Buffer* b) const { return ptr_.at(b); }

  // Counter-based weights and inputs made where they live: the generator runs on the GPU, box by box,
  // one launch per 2-D slab (the last two dims of the box), with the host's numbers bit for bit. False
  // (the host makes and uploads it) for the per-dim index form, boxes that do not add up (the host
  // reports those), or boxes that would need too many launches.
  bool generateOnDevice(const Buffer& b, CUdeviceptr p) {
    if (b.ready || !b.counter || b.boxes.empty() || !b.dimIndex.empty() || b.globalShape.empty()) return false;
    const size_t nd = b.globalShape.size();
    if (boxesSize(b.boxes) != b.numel) return false;
    std::vector<int64_t> strides(nd, 1);
    for (int d = int(nd) - 2; d >= 0; d--) strides[size_t(d)] = strides[size_t(d) + 1] * b.globalShape[size_t(d) + 1];
    int64_t launches = 0;
    for (const Box& box : b.boxes) {
      if (box.size() != nd) return false;
      int64_t slabs = 1;
      for (size_t d = 0; d < nd; d++) {
        if (box[d].second <= box[d].first) { slabs = 0; break; }
        if (box[d].first < 0 || box[d].second > b.globalShape[d]) return false;
        if (d + 2 < nd) slabs *= box[d].second - box[d].first;
      }
      launches += slabs;
    }
    if (launches > 4096) return false;
    int64_t o = 0;
    for (const Box& box : b.boxes) {
      bool empty = false;
      for (size_t d = 0; d < nd; d++) empty = empty || box[d].second <= box[d].first;
      if (empty) continue;
      const size_t lead = nd >= 2 ? nd - 2 : 0;  // dims walked on the host
      const int64_t rows = nd >= 2 ? box[nd - 2].second - box[nd - 2].first : 1, cols = box[nd - 1].second - box[nd - 1].first;
      std::vector<int64_t> idx(lead);
      for (size_t d = 0; d < lead; d++) idx[d] = box[d].first;
      for (;;) {
        int64_t base = box[nd - 1].first + (nd >= 2 ? box[nd - 2].first * strides[nd - 2] : 0);
        for (size_t d = 0; d < lead; d++) base += idx[d] * strides[d];
        SsArgs a = args();
        a.p2 = p; a.t2 = int(b.dtype); a.a0 = base; a.n = nd >= 2 ? strides[nd - 2] : 0; a.rows = rows; a.cols = cols; a.a1 = cols; a.a2 = o;
        a.u0 = b.seed; a.d0 = b.scale;
        launch(kGenerate, rows * cols, a);
        o += rows * cols;
        int d = int(lead) - 1;
        while (d >= 0) {
          if (++idx[size_t(d)] < box[size_t(d)].second) break;
          idx[size_t(d)] = box[size_t(d)].first;
          d--;
        }
        if (d < 0) break;
      }
    }
    return true;
  }

  // Attribute arrays a kernel reads (rope's inverse frequencies), as doubles in device memory.
  void uploadAttrs(const Op& op, size_t i) {
    const Api& api = api_;
    if (!onDevice(op) || op.handler->name != std::string("rope")) return;
    const std::vector<double> inv = op.list("invFreq");
    CUdeviceptr p = 0;
    CU(cuMemAlloc_v2, &p, inv.size() * sizeof(double));
    attrBufs_[i] = p;
    CU(cuMemcpyHtoD_v2, p, inv.data(), inv.size() * sizeof(double));
  }

  Failure setupFailure(const std::string& what) const {
    Failure f;
    f.kind = "error";
    f.message = "rank " + std::to_string(r_) + ": " + what;
    f.rank = r_;
    return f;
  }

  bool initComms() {
    const Api& api = api_;
    try {
      NCCL(ncclGroupStart);
      for (size_t c = 0; c < s_.job.comms.size(); c++) {
        if (!s_.used[c]) continue;
        const int me = indexOf(s_.job.comms[c], r_);
        if (me < 0) continue;
        ncclComm_t comm = nullptr;
        const ncclResult_t rc = api.ncclCommInitRank(&comm, int(s_.job.comms[c].size()), s_.ids[c], me);
        if (rc != 0 && rc != 7) { api.ncclGroupEnd(); throw CallError(api.ncclError(rc, "ncclCommInitRank")); }
        comms_[int(c)] = comm;
      }
      NCCL(ncclGroupEnd);
      return true;
    } catch (const std::exception& e) {
      commsOk_ = false;
      s_.fail(setupFailure(e.what()));
      return false;
    }
  }

  void launch(Kernel k, int64_t work, SsArgs a) {
    const Api& api = api_;
    if (work <= 0) return;
    void* params[] = {&a};
    CU(cuLaunchKernel, dev_->fn[k], gridFor(work), 1, 1, 256, 1, 1, 0, stream_, params, nullptr);
  }

  static SsArgs args() { SsArgs a; std::memset(&a, 0, sizeof a); return a; }

  void blockCopy(CUdeviceptr dst, CUdeviceptr src, int64_t rows, int64_t cols, int64_t srcStride, int64_t dstStride) {
    SsArgs a = args();
    a.p0 = src; a.p2 = dst; a.rows = rows; a.cols = cols; a.a0 = srcStride; a.a1 = dstStride;
    launch(kBlockCopy, rows * cols, a);
  }

  void enqueueCompute(Op& op, size_t i) {
    const Api& api = api_;
    SsArgs a = args();
    auto in = [&](size_t k) { return op.ins[k]; };
    auto out = [&](size_t k) { return op.outs[k]; };
    switch (op.kind) {
      case OpKind::Gemm: {
        const Buffer &A = *in(0), &B = *in(1), &C = *out(0);
        const bool transB = op.num("transB", 0) != 0, acc = op.num("accumulate", 0) != 0;
        const int K = int(A.lastDim()), M = K ? int(A.numel / K) : 0, N = int(C.lastDim());
        if (M == 0 || N == 0) return;
        const float alpha = 1.0f, beta = acc ? 1.0f : 0.0f;
        // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: B comes first.
        blasCheck(api.cublasGemmEx(dev_->blas, transB ? SS_CUBLAS_OP_T : SS_CUBLAS_OP_N, SS_CUBLAS_OP_N, N, M, K, &alpha,
                                   reinterpret_cast<const void*>(dp(&B)), blasType(B.dtype), transB ? K : N,
                                   reinterpret_cast<const void*>(dp(&A)), blasType(A.dtype), K, &beta,
                                   reinterpret_cast<void*>(dp(&C)), blasType(C.dtype), N, SS_CUBLAS_COMPUTE_32F, SS_CUBLAS_GEMM_DEFAULT),
                  "cublasGemmEx");
        return;
      }
      case OpKind::SiluMul: case OpKind::Add:
        a.p0 = dp(in(0)); a.t0 = int(in(0)->dtype); a.p1 = dp(in(1)); a.t1 = int(in(1)->dtype);
        a.p2 = dp(out(0)); a.t2 = int(out(0)->dtype); a.n = out(0)->numel;
        return launch(op.kind == OpKind::Add ? kAdd : kSiluMul, a.n, a);
      case OpKind::Scale:
        a.p0 = dp(in(0)); a.t0 = int(in(0)->dtype); a.p2 = dp(out(0)); a.t2 = int(out(0)->dtype);
        a.n = out(0)->numel; a.f0 = float(op.num("factor", 1));
        return launch(kScale, a.n, a);
      case OpKind::Copy:
        if (in(0)->dtype == out(0)->dtype) {
          if (in(0) != out(0) && bytesOf(*in(0))) CU(cuMemcpyDtoDAsync_v2, dp(out(0)), dp(in(0)), bytesOf(*in(0)), stream_);
          return;
        }
        a.p0 = dp(in(0)); a.t0 = int(in(0)->dtype); a.p2 = dp(out(0)); a.t2 = int(out(0)->dtype); a.n = out(0)->numel;
        return launch(kConvert, a.n, a);
      case OpKind::RmsNorm: case OpKind::Softmax: {
        const Buffer& x = *in(0);
        a.p0 = dp(&x); a.t0 = int(x.dtype); a.p2 = dp(out(0)); a.t2 = int(out(0)->dtype);
        a.cols = x.lastDim(); a.rows = a.cols ? x.numel / a.cols : 0;
        if (op.kind == OpKind::RmsNorm) { a.p1 = dp(in(1)); a.t1 = int(in(1)->dtype); a.d0 = op.num("eps", 1e-6); }
        return launch(op.kind == OpKind::RmsNorm ? kRmsNorm : kSoftmax, a.rows, a);
      }
      case OpKind::TopK: {
        const Buffer& x = *in(0);
        a.p0 = dp(&x); a.t0 = int(x.dtype); a.p2 = dp(out(0)); a.t2 = int(out(0)->dtype); a.p3 = dp(out(1)); a.t3 = int(out(1)->dtype);
        a.cols = x.lastDim(); a.rows = a.cols ? x.numel / a.cols : 0; a.a0 = int64_t(op.num("k", 1));
        a.a1 = op.num("normalize", 0) != 0; a.a2 = op.str("scoring", "softmax") == "softmax";
        return launch(kTopK, a.rows, a);
      }
      case OpKind::GatherRows: {
        const Buffer &x = *in(0), &idx = *in(1), &y = *out(0);
        const int64_t H = x.rows() ? x.numel / x.rows() : 0;
        a.p0 = dp(&x); a.p1 = dp(&idx); a.t1 = int(idx.dtype); a.p2 = dp(&y); a.p4 = errWord_; a.a1 = int64_t(i);
        a.rows = idx.numel; a.cols = H * int64_t(dtypeSize(x.dtype)) / 2; a.a0 = x.rows();
        return launch(kGatherRows, a.rows * a.cols, a);
      }
      case OpKind::ScatterAddRows: {
        const Buffer &y = *in(0), &idx = *in(1), &x = *out(0);
        a.p0 = dp(&y); a.t0 = int(y.dtype); a.p1 = dp(&idx); a.t1 = int(idx.dtype); a.p2 = dp(&x); a.t2 = int(x.dtype);
        if (op.ins.size() > 2) { a.p3 = dp(in(2)); a.t3 = int(in(2)->dtype); }
        a.rows = x.rows(); a.cols = x.rows() ? x.numel / x.rows() : 0; a.n = idx.numel; a.a0 = op.num("accumulate", 0) != 0;
        a.p4 = errWord_; a.a1 = int64_t(i);
        return launch(kScatterAddRows, a.rows * a.cols, a);
      }
      case OpKind::Slice: case OpKind::Concat: {
        // In 2-byte units: every dtype is a whole number of them.
        const Buffer& ref = op.kind == OpKind::Slice ? *in(0) : *out(0);
        int dim = int(op.num("dim", 0));
        if (dim < 0) dim += int(ref.shape.size());
        int64_t outer = 1, inner = 1;
        for (int d = 0; d < int(ref.shape.size()); d++) { if (d < dim) outer *= ref.shape[d]; else if (d > dim) inner *= ref.shape[d]; }
        const int64_t u = int64_t(dtypeSize(ref.dtype)) / 2 * inner;  // units per index along dim
        if (op.kind == OpKind::Slice) {
          const Buffer& b = *out(0);
          const int64_t start = int64_t(op.num("start", 0));
          blockCopy(dp(&b), dp(&ref) + CUdeviceptr(start * u * 2), outer, b.shape[dim] * u, ref.shape[dim] * u, b.shape[dim] * u);
        } else {
          int64_t off = 0;
          for (Buffer* p : op.ins) {
            blockCopy(dp(&ref) + CUdeviceptr(off * u * 2), dp(p), outer, p->shape[dim] * u, p->shape[dim] * u, ref.shape[dim] * u);
            off += p->shape[dim];
          }
        }
        return;
      }
      case OpKind::Extra:
        return enqueueRegistered(op, i);
      default:
        throw CallError(unsupported(op, false));
    }
  }

  // The registered ops onDevice() accepts, with the semantics of their CPU handlers (ops_model.cc).
  void enqueueRegistered(Op& op, size_t i) {
    const Api& api = api_;
    const std::string h = op.handler->name;
    SsArgs a = args();
    if (h == "gemm") {  // transA: C [M, K] = Aᵀ·B, A [M', M], B [M', K]; column-major Cᵀ = Bᵀ·A
      const Buffer &A = *op.ins[0], &B = *op.ins[1], &C = *op.outs[0];
      const int Mp = int(A.shape[0]), M = int(A.shape[1]), K = int(B.shape[1]);
      if (M == 0 || K == 0) return;
      const float alpha = 1.0f, beta = 0.0f;
      blasCheck(api.cublasGemmEx(dev_->blas, SS_CUBLAS_OP_N, SS_CUBLAS_OP_T, K, M, Mp, &alpha, reinterpret_cast<const void*>(dp(&B)), SS_CUDA_R_32F, K,
                                 reinterpret_cast<const void*>(dp(&A)), SS_CUDA_R_32F, M, &beta, reinterpret_cast<void*>(dp(&C)), SS_CUDA_R_32F, K,
                                 SS_CUBLAS_COMPUTE_32F, SS_CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
      return;
    }
    if (h == "rmsnorm") {  // per head: rows of the weight's length, scaled in double
      const Buffer &x = *op.ins[0], &w = *op.ins[1];
      a.p0 = dp(&x); a.p1 = dp(&w); a.p2 = dp(op.outs[0]); a.cols = w.numel; a.rows = x.numel / w.numel; a.a0 = 1; a.d0 = op.num("eps", 1e-6);
      return launch(kRmsNorm, a.rows, a);
    }
    if (h == "slice") {  // the index-th of `parts` equal chunks along dim
      const Buffer& x = *op.ins[0];
      int dim = int(op.num("dim", 0));
      if (dim < 0) dim += int(x.shape.size());
      int64_t outer = 1, inner = 1;
      for (int d = 0; d < int(x.shape.size()); d++) { if (d < dim) outer *= x.shape[d]; else if (d > dim) inner *= x.shape[d]; }
      const int64_t parts = int64_t(op.num("parts", 1)), index = int64_t(op.num("index", 0)), chunk = x.shape[dim] / parts;
      const int64_t u = int64_t(dtypeSize(x.dtype)) / 2 * inner;
      blockCopy(dp(op.outs[0]), dp(&x) + CUdeviceptr(index * chunk * u * 2), outer, chunk * u, x.shape[dim] * u, chunk * u);
      return;
    }
    if (h == "attention") {
      const Buffer &q = *op.ins[0], &k = *op.ins[1];
      const int64_t d = int64_t(op.num("headDim", 0));
      a.p0 = dp(&q); a.p1 = dp(&k); a.p2 = dp(op.ins[2]); a.p3 = dp(op.outs[0]);
      a.rows = q.rows(); a.n = q.lastDim() / d; a.t0 = int(k.lastDim() / d); a.a0 = d; a.a1 = int64_t(op.num("vHeadDim", double(d)));
      a.a2 = int64_t(op.num("batch", 1)); a.d0 = op.num("scale", 1 / std::sqrt(double(d)));
      return launch(kAttention, a.rows * a.n, a);
    }
    if (h == "attention_backward") {  // statistics and dQ per query row, then dK and dV per key row
      const Buffer &q = *op.ins[0], &k = *op.ins[1];
      const int64_t d = int64_t(op.num("headDim", 0));
      a.p0 = dp(&q); a.p1 = dp(&k); a.p2 = dp(op.ins[2]); a.p3 = dp(op.ins[3]);
      a.rows = q.rows(); a.n = q.lastDim() / d; a.t0 = int(k.lastDim() / d); a.a0 = d; a.a1 = int64_t(op.num("vHeadDim", double(d)));
      a.a2 = int64_t(op.num("batch", 1)); a.d0 = op.num("scale", 1 / std::sqrt(double(d)));
      a.p4 = scratch(9, size_t(a.rows * a.n * 3) * sizeof(double));
      a.p5 = dp(op.outs[0]);
      launch(kAttentionBwdQ, a.rows * a.n, a);
      a.p5 = dp(op.outs[1]); a.p6 = dp(op.outs[2]);
      return launch(kAttentionBwdKv, a.rows * a.t0, a);
    }
    if (h == "experts") return enqueueExperts(op, i);
    if (h == "rope") {
      const Buffer& x = *op.ins[0];
      const int64_t half = int64_t(op.list("invFreq").size()), T = x.rows();
      a.p0 = dp(&x); a.p1 = attrBufs_.at(i); a.p2 = dp(op.outs[0]); a.rows = T; a.cols = half; a.n = x.numel / T / (2 * half);
      a.a0 = op.num("interleaved", 0) != 0; a.a2 = T / int64_t(op.num("batch", 1)); a.d0 = op.num("positionOffset", 0); a.d1 = op.num("attnFactor", 1);
      return launch(kRope, T * a.n * half, a);
    }
    throw CallError(unsupported(op, false));
  }

  // Device memory of at least `bytes` for scratch slot `slot`, kept between ops. Growing waits for the
  // stream, since work already queued may still read the old one.
  CUdeviceptr scratch(size_t slot, size_t bytes) {
    const Api& api = api_;
    auto& [p, n] = scratch_[slot];
    if (n >= bytes && p) return p;
    CU(cuStreamSynchronize, stream_);
    if (p) CU(cuMemFree_v2, p);
    p = 0;
    n = std::max<size_t>(bytes, 256);
    CU(cuMemAlloc_v2, &p, n);
    return p;
  }

  // experts: y = Σ over routed local experts e of weight · down_e(silu(gate_e x) · up_e x), weights made
  // on the GPU by the counter generator for the routed experts only. The routing comes to the host
  // (it decides which experts and tokens), then per expert: generate, gather, GEMM, activation, GEMM,
  // weighted scatter-add, all on the stream.
  void enqueueExperts(Op& op, size_t opIndex) {
    const Api& api = api_;
    const Buffer &xb = *op.ins[0], &idxb = *op.ins[1], &wb = *op.ins[2], &yb = *op.outs[0];
    const int64_t T = xb.shape[0], H = xb.shape[1], k = idxb.numel / T;
    const int64_t I = int64_t(op.num("inter", 0)), e0 = int64_t(op.num("expertStart", 0)), e1 = int64_t(op.num("expertEnd", 0));
    const uint32_t guSeed = keySeed(utf16(op.str("gateUpKey", ""))), downSeed = keySeed(utf16(op.str("downKey", "")));
    const double guScale = op.num("gateUpScale", 1), downScale = op.num("downScale", 1);
    auto pairsOf = [&](const char* name) {
      std::vector<std::pair<int64_t, int64_t>> out;
      const std::vector<double> v = op.list(name);
      for (size_t j = 0; j + 1 < v.size(); j += 2) out.emplace_back(int64_t(v[j]), int64_t(v[j + 1]));
      return out;
    };
    const auto rows = pairsOf("gateUpRows"), cols = pairsOf("downCols");
    int64_t nRows = 0, nCols = 0;
    for (auto& r : rows) nRows += r.second - r.first;
    for (auto& c : cols) nCols += c.second - c.first;
    const int64_t half = nRows / 2;
    CU(cuStreamSynchronize, stream_);
    std::vector<float> idx(size_t(T * k)), w(size_t(T * k));
    if (T * k > 0) {
      CU(cuMemcpyDtoH_v2, idx.data(), dp(&idxb), idx.size() * 4);
      CU(cuMemcpyDtoH_v2, w.data(), dp(&wb), w.size() * 4);
    }
    struct Group { int64_t e, start, n; };
    std::vector<Group> groups;
    std::vector<int32_t> tok;
    std::vector<float> tw;
    int64_t nMax = 0;
    for (int64_t e = e0; e < e1; e++) {
      const int64_t start = int64_t(tok.size());
      for (int64_t t = 0; t < T; t++)
        for (int64_t j = 0; j < k; j++)
          if (idx[size_t(t * k + j)] == float(e)) { tok.push_back(int32_t(t)); tw.push_back(w[size_t(t * k + j)]); }
      const int64_t n = int64_t(tok.size()) - start;
      if (n) { groups.push_back({e, start, n}); nMax = std::max(nMax, n); }
    }
    CU(cuMemsetD8Async, dp(&yb), 0, bytesOf(yb), stream_);
    if (groups.empty() || H == 0) return;
    const CUdeviceptr tokD = scratch(0, tok.size() * 4), twD = scratch(1, tw.size() * 4);
    const CUdeviceptr xe = scratch(2, size_t(nMax * H) * 4), gu = scratch(3, size_t(nRows * H) * 4), hD = scratch(4, size_t(nMax * nRows) * 4);
    const CUdeviceptr act = scratch(5, size_t(nMax * std::max<int64_t>(half, 1)) * 4), down = scratch(6, size_t(H * std::max<int64_t>(nCols, 1)) * 4);
    const CUdeviceptr o = scratch(7, size_t(nMax * H) * 4);
    CU(cuStreamSynchronize, stream_);  // the scratch is free: the token lists go up synchronously
    CU(cuMemcpyHtoD_v2, tokD, tok.data(), tok.size() * 4);
    CU(cuMemcpyHtoD_v2, twD, tw.data(), tw.size() * 4);
    const float one = 1.0f, zero = 0.0f;
    for (const Group& g : groups) {
      int64_t at = 0;
      for (auto& r : rows) {  // gate_up [E, 2I, H]: the local rows, in order
        SsArgs a = args();
        a.p2 = gu; a.a0 = g.e * 2 * I * H + r.first * H; a.n = H; a.rows = r.second - r.first; a.cols = H; a.a1 = H; a.a2 = at * H;
        a.u0 = guSeed; a.d0 = guScale;
        launch(kGenerate, a.rows * a.cols, a);
        at += r.second - r.first;
      }
      at = 0;
      for (auto& c : cols) {  // down [E, H, I]: the local columns, side by side in every row
        SsArgs a = args();
        a.p2 = down; a.a0 = g.e * H * I + c.first; a.n = I; a.rows = H; a.cols = c.second - c.first; a.a1 = nCols; a.a2 = at;
        a.u0 = downSeed; a.d0 = downScale;
        launch(kGenerate, a.rows * a.cols, a);
        at += c.second - c.first;
      }
      SsArgs ga = args();
      ga.p0 = dp(&xb); ga.p1 = tokD + CUdeviceptr(g.start * 4); ga.t1 = 2; ga.p2 = xe; ga.rows = g.n; ga.cols = H * 2; ga.a0 = T;
      ga.p4 = errWord_; ga.a1 = int64_t(opIndex);
      launch(kGatherRows, ga.rows * ga.cols, ga);
      blasCheck(api.cublasGemmEx(dev_->blas, SS_CUBLAS_OP_T, SS_CUBLAS_OP_N, int(nRows), int(g.n), int(H), &one, reinterpret_cast<const void*>(gu),
                                 SS_CUDA_R_32F, int(H), reinterpret_cast<const void*>(xe), SS_CUDA_R_32F, int(H), &zero, reinterpret_cast<void*>(hD),
                                 SS_CUDA_R_32F, int(nRows), SS_CUBLAS_COMPUTE_32F, SS_CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
      SsArgs sa = args();
      sa.p0 = hD; sa.p2 = act; sa.rows = g.n; sa.cols = half;
      launch(kSwigluRows, sa.rows * sa.cols, sa);
      blasCheck(api.cublasGemmEx(dev_->blas, SS_CUBLAS_OP_T, SS_CUBLAS_OP_N, int(H), int(g.n), int(half), &one, reinterpret_cast<const void*>(down),
                                 SS_CUDA_R_32F, int(nCols), reinterpret_cast<const void*>(act), SS_CUDA_R_32F, int(half), &zero, reinterpret_cast<void*>(o),
                                 SS_CUDA_R_32F, int(H), SS_CUBLAS_COMPUTE_32F, SS_CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
      SsArgs xa = args();
      xa.p0 = o; xa.p1 = tokD + CUdeviceptr(g.start * 4); xa.p3 = twD + CUdeviceptr(g.start * 4); xa.p2 = dp(&yb); xa.rows = g.n; xa.cols = H;
      launch(kRowsAxpy, xa.rows * xa.cols, xa);
    }
  }

  // Rows before attrs.dim of a gather's or scatter's input: 1 when the collective runs along dim 0.
  static int64_t outerRows(const Op& op, const Buffer& x) {
    int dim = int(op.num("dim", 0));
    if (dim < 0) dim += int(x.shape.size());
    int64_t outer = 1;
    for (int d = 0; d < dim && d < int(x.shape.size()); d++) outer *= x.shape[size_t(d)];
    return dim <= 0 ? 1 : outer;
  }

  void enqueueCollective(Op& op) {
    const Api& api = api_;
    const auto& members = s_.job.comms[op.group];
    ncclComm_t comm = comms_.at(op.group);
    const int n = int(members.size());
    switch (op.kind) {
      case OpKind::AllReduce: {
        const Buffer &x = *op.ins[0], &y = *op.outs[0];
        NCCL(ncclAllReduce, reinterpret_cast<const void*>(dp(&x)), reinterpret_cast<void*>(dp(&y)), size_t(x.numel), ncclType(x.dtype),
             op.str("reduce", "sum") == "max" ? SS_ncclMax : SS_ncclSum, comm, stream_);
        return;
      }
      case OpKind::AllGather: {
        // Along attrs.dim > 0 (with rows before it): NCCL gathers member-major into scratch, then each
        // member's block goes to its place in every outer row (collective_dim.cc's semantics).
        const Buffer &x = *op.ins[0], &y = *op.outs[0];
        const int64_t outer = outerRows(op, x);
        const CUdeviceptr to = outer > 1 ? scratch(8, bytesOf(y)) : dp(&y);
        NCCL(ncclAllGather, reinterpret_cast<const void*>(dp(&x)), reinterpret_cast<void*>(to), size_t(x.numel), ncclType(x.dtype), comm, stream_);
        if (outer > 1) {
          const int64_t block = int64_t(bytesOf(x)) / outer / 2;  // 2-byte units per member per outer row
          for (int m = 0; m < n; m++) blockCopy(dp(&y) + CUdeviceptr(m * block * 2), to + CUdeviceptr(m * outer * block * 2), outer, block, block, n * block);
        }
        return;
      }
      case OpKind::ReduceScatter: {
        // Along attrs.dim > 0: chunk m of every outer row is laid together first, so member m's dim-0
        // chunk of the scratch is its share.
        const Buffer &x = *op.ins[0], &y = *op.outs[0];
        const int64_t outer = outerRows(op, x);
        CUdeviceptr from = dp(&x);
        if (outer > 1) {
          from = scratch(8, bytesOf(x));
          const int64_t full = int64_t(bytesOf(x)) / outer / 2, chunk = full / n;
          for (int m = 0; m < n; m++) blockCopy(from + CUdeviceptr(m * outer * chunk * 2), dp(&x) + CUdeviceptr(m * chunk * 2), outer, chunk, full, chunk);
        }
        NCCL(ncclReduceScatter, reinterpret_cast<const void*>(from), reinterpret_cast<void*>(dp(&y)), size_t(y.numel), ncclType(x.dtype),
             op.str("reduce", "sum") == "max" ? SS_ncclMax : SS_ncclSum, comm, stream_);
        return;
      }
      case OpKind::Broadcast: {
        const Buffer &x = *op.ins[0], &y = *op.outs[0];
        const int root = indexOf(members, int(op.num("root", members[0])));
        NCCL(ncclBroadcast, reinterpret_cast<const void*>(dp(&x)), reinterpret_cast<void*>(dp(&y)), size_t(x.numel), ncclType(x.dtype), root, comm, stream_);
        return;
      }
      case OpKind::AllToAll: case OpKind::AllToAllV: {
        // Grouped sends and receives: member j gets block j of every member, in member order.
        const Buffer &x = *op.ins[0], &y = *op.outs[0];
        const size_t es = dtypeSize(x.dtype);
        std::vector<int64_t> sc(static_cast<size_t>(n)), rc(static_cast<size_t>(n));
        if (op.kind == OpKind::AllToAll) {
          for (int j = 0; j < n; j++) sc[j] = rc[j] = x.numel / n;
        } else {
          const int64_t w = x.rows() ? x.numel / x.rows() : y.rows() ? y.numel / y.rows() : 0;
          auto s = op.list("sendCounts"), r = op.list("recvCounts");
          for (int j = 0; j < n; j++) { sc[j] = int64_t(s[j]) * w; rc[j] = int64_t(r[j]) * w; }
        }
        // In place, the receives land in scratch first: a grouped send may still read what they would overwrite.
        const bool inPlace = &x == &y;
        const CUdeviceptr into = inPlace ? scratch(8, std::max<size_t>(bytesOf(y), 1)) : dp(&y);
        NCCL(ncclGroupStart);
        int64_t so = 0, ro = 0;
        for (int j = 0; j < n; j++) {
          if (sc[j]) NCCL(ncclSend, reinterpret_cast<const void*>(dp(&x) + CUdeviceptr(so * es)), size_t(sc[j]), ncclType(x.dtype), j, comm, stream_);
          if (rc[j]) NCCL(ncclRecv, reinterpret_cast<void*>(into + CUdeviceptr(ro * es)), size_t(rc[j]), ncclType(y.dtype), j, comm, stream_);
          so += sc[j];
          ro += rc[j];
        }
        NCCL(ncclGroupEnd);
        if (inPlace && bytesOf(y)) CU(cuMemcpyDtoDAsync_v2, dp(&y), into, bytesOf(y), stream_);
        return;
      }
      case OpKind::Send: {
        const Buffer& x = *op.ins[0];
        NCCL(ncclSend, reinterpret_cast<const void*>(dp(&x)), size_t(x.numel), ncclType(x.dtype), indexOf(members, int(op.num("peer", -1))), comm, stream_);
        return;
      }
      case OpKind::Recv: {
        const Buffer& y = *op.outs[0];
        NCCL(ncclRecv, reinterpret_cast<void*>(dp(&y)), size_t(y.numel), ncclType(y.dtype), indexOf(members, int(op.num("peer", -1))), comm, stream_);
        return;
      }
      default:
        throw CallError(unsupported(op, false));
    }
  }

  // After the GPU work before it: inputs (and outputs, which an op may accumulate into) down, the op on
  // the host, outputs up. Its events span the wait, the copies and the host's work.
  void runOnHost(Op& op) {
    const Api& api = api_;
    CU(cuStreamSynchronize, stream_);
    std::vector<Buffer*> bufs;
    for (const auto* side : {&op.ins, &op.outs})
      for (Buffer* b : *side) if (std::find(bufs.begin(), bufs.end(), b) == bufs.end()) bufs.push_back(b);
    for (Buffer* b : bufs) {
      s_.job.hostStorage(*b);
      if (dp(b)) CU(cuMemcpyDtoH_v2, b->data.data(), dp(b), bytesOf(*b));
    }
    s_.job.runOnHost(op, r_);
    for (Buffer* b : op.outs) if (dp(b)) CU(cuMemcpyHtoD_v2, dp(b), b->data.data(), bytesOf(*b));
    for (Buffer* b : bufs) s_.job.releaseHost(*b);
  }

  // Finished ops in order: times from the events, reported to the caller.
  bool poll() {
    const Api& api = api_;
    bool moved = false;
    while (done_ < enqueued_) {
      const CUresult q = api.cuEventQuery(events_[2 * done_ + 1]);
      if (q == SS_CUDA_ERROR_NOT_READY) break;
      cuCheck(api, q, "cuEventQuery");
      const Op& op = rp_.ops[done_];
      float ms0 = 0, ms1 = 0;
      CU(cuEventElapsedTime, &ms0, ev0_, events_[2 * done_]);
      CU(cuEventElapsedTime, &ms1, ev0_, events_[2 * done_ + 1]);
      Event ev;
      ev.op = int32_t(done_);
      ev.startNs = hostBase_ + int64_t(double(ms0) * 1e6);
      ev.endNs = std::max(ev.startNs, hostBase_ + int64_t(double(ms1) * 1e6));
      if (isCollective(op.kind)) {
        ev.group = op.group;
        ev.seq = seqOf_[done_];
        ev.bytes = op.ins.empty() ? int64_t(bytesOf(*op.outs[0])) : int64_t(bytesOf(*op.ins[0]));
      } else {
        for (Buffer* b : op.ins) ev.bytes += int64_t(bytesOf(*b));
        for (Buffer* b : op.outs) if (std::find(op.ins.begin(), op.ins.end(), b) == op.ins.end()) ev.bytes += int64_t(bytesOf(*b));
      }
      s_.job.onFinished(r_, done_, ev);
      done_++;
      s_.done[r_].store(done_);
      moved = true;
    }
    return moved;
  }

  void timeout() {
    const Op& op = rp_.ops[done_];
    Failure f;
    f.kind = "timeout";
    f.rank = r_;
    f.op = int(done_);
    if (isCollective(op.kind)) {
      f.comm = op.group;
      f.seq = seqOf_[done_];
      for (int m : s_.job.comms[op.group]) {
        const auto& list = s_.collOps[m][op.group];
        // A member that has no such collective, or has not finished what comes before it, never entered it.
        if (size_t(f.seq) >= list.size() || s_.done[m].load() < list[size_t(f.seq)]) f.missing.push_back(m);
      }
      f.message = where(r_, done_, op) + ": waited " + std::to_string(s_.job.timeoutMs) + " ms in collective #" + std::to_string(f.seq) + " of group " + std::to_string(op.group);
    } else {
      f.message = where(r_, done_, op) + ": no progress for " + std::to_string(s_.job.timeoutMs) + " ms";
    }
    s_.fail(f);
  }

  void runOps() {
    const Api& api = api_;
    std::vector<int64_t> seqs(s_.job.comms.size(), 0);
    seqOf_.assign(rp_.ops.size(), -1);
    size_t i = 0;
    try {
      CU(cuEventRecord, ev0_, stream_);
      hostBase_ = nowNs();  // the stream is idle: it reaches ev0 now
      for (; i < rp_.ops.size(); i++) {
        if (s_.job.stop->load()) return;
        Op& op = rp_.ops[i];
        s_.job.onStarted(r_, i);
        CU(cuEventRecord, events_[2 * i], stream_);
        if (op.kind == OpKind::Sleep) {  // the host waits (a slow rank); the stream goes on with what it has
          const int64_t until = nowNs() + int64_t(op.num("ms", 0) * 1e6);
          while (nowNs() < until && !s_.job.stop->load()) { poll(); std::this_thread::sleep_for(std::chrono::milliseconds(2)); }
        } else if (op.kind == OpKind::Extra && !onDevice(op)) {
          runOnHost(op);
        } else if (isCollective(op.kind)) {
          seqOf_[i] = seqs[op.group]++;
          enqueueCollective(op);
        } else {
          enqueueCompute(op, i);
        }
        CU(cuEventRecord, events_[2 * i + 1], stream_);
        enqueued_ = i + 1;
        poll();
      }
      int64_t last = nowNs();
      while (done_ < enqueued_) {
        if (s_.job.stop->load()) return;
        if (poll()) last = nowNs();
        else if (nowNs() - last > s_.job.timeoutMs * 1000000) return timeout();
        else std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      checkErrorWord();
    } catch (const std::exception& e) {
      const size_t at = std::min(i, rp_.ops.size() - 1);
      Failure f = setupFailure(e.what());
      f.message = where(r_, at, rp_.ops[at]) + ": " + e.what();
      f.op = int(at);
      s_.fail(f);
    }
  }

  // A kernel that met a bad row index left (op + 1, index) in the error word.
  void checkErrorWord() {
    const Api& api = api_;
    long long w[2] = {0, 0};
    CU(cuMemcpyDtoH_v2, w, errWord_, sizeof w);
    if (w[0] == 0) return;
    const size_t i = size_t(w[0] - 1);
    const Op& op = rp_.ops[i];
    const Buffer& table = op.kind == OpKind::GatherRows ? *op.ins[0] : *op.outs[0];
    Failure f = setupFailure("");
    f.message = where(r_, i, op) + ": row index " + std::to_string(w[1]) + " is outside 0.." + std::to_string(table.rows() - 1);
    f.op = int(i);
    s_.fail(f);
  }

  void cleanup() {
    const Api& api = api_;
    const bool ok = !s_.job.stop->load();
    for (auto& [c, comm] : comms_) ok && commsOk_ ? api.ncclCommDestroy(comm) : api.ncclCommAbort(comm);
    if (stream_) {
      const bool synced = api.cuStreamSynchronize(stream_) == 0;
      if (synced)
        for (auto& [b, p] : ptr_) {
          if (!s_.job.downloads.count(b)) continue;
          Buffer& buf = const_cast<Buffer&>(*b);
          s_.job.hostStorage(buf);
          if (p) api.cuMemcpyDtoH_v2(buf.data.data(), p, bytesOf(buf));
        }
    }
    for (auto& [b, p] : ptr_) if (p) api.cuMemFree_v2(p);
    for (auto& [i, p] : attrBufs_) api.cuMemFree_v2(p);
    for (auto& [p, n] : scratch_) if (p) api.cuMemFree_v2(p);
    if (errWord_) api.cuMemFree_v2(errWord_);
    for (CUevent e : events_) if (e) api.cuEventDestroy_v2(e);
    if (ev0_) api.cuEventDestroy_v2(ev0_);
    if (stream_) api.cuStreamDestroy_v2(stream_);
  }
};

// NCCL writes its log (NCCL_DEBUG=INFO unless set) to NCCL_DEBUG_FILE (unless set: an anonymous in-memory
// file of this process, named by its /proc/self/fd path): the run returns what it added to that file.
// The anonymous file lives exactly as long as the process, however it ends (the runtime child is often
// killed rather than exiting), so nothing is left on disk; NCCL opens its log once per process, hence one
// file per process.
struct NcclLog {
  std::string path;
  std::streamoff from = 0;
  NcclLog() {
    if (!std::getenv("NCCL_DEBUG")) setenv("NCCL_DEBUG", "INFO", 1);
    const char* f = std::getenv("NCCL_DEBUG_FILE");
    if (f && std::string(f).find('%') == std::string::npos) path = f;
    else if (!f) {
      static std::string made;
      if (made.empty()) {
        const int fd = memfd_create("shardscope-nccl.log", MFD_CLOEXEC);
        if (fd >= 0) made = "/proc/self/fd/" + std::to_string(fd);
      }
      path = made;
      if (!path.empty()) setenv("NCCL_DEBUG_FILE", path.c_str(), 1);
    }
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (in) from = in.tellg();
  }
  std::string read() const {
    if (path.empty()) return "";
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    in.seekg(from);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    const size_t cap = 1 << 20;
    return s.size() > cap ? s.substr(s.size() - cap) : s;
  }
};

}  // namespace

void prepare(const Job& job) {
  std::string error;
  const Api* api = loadApi(job.dirs, error);
  if (!api) throw Refused("the CUDA backend cannot start: " + error);
  if (api->deviceCount < job.worldSize) {
    const char* vis = std::getenv("CUDA_VISIBLE_DEVICES");
    throw Refused("the program has " + std::to_string(job.worldSize) + " ranks but the driver shows " + std::to_string(api->deviceCount) +
                  " GPU(s)" + (vis ? std::string(" (CUDA_VISIBLE_DEVICES=") + vis + ")" : std::string()) + ": one GPU per rank is needed");
  }
  for (const auto& rp : *job.ranks)
    for (size_t i = 0; i < rp.ops.size(); i++) {
      const std::string why = unsupported(rp.ops[i], bool(job.runOnHost));
      if (!why.empty()) throw Refused(where(rp.rank, i, rp.ops[i]) + ": " + why);
    }
  // Kernels compiled here, at first use in this process, so a compile error is a clear error up front.
  std::set<std::pair<int, int>> caps;
  try {
    for (int r = 0; r < job.worldSize; r++) {
      CUdevice dev;
      int major = 0, minor = 0;
      capability(*api, r, dev, major, minor);
      caps.insert({major, minor});
    }
    for (const auto& [major, minor] : caps) compileKernels(*api, major, minor);
  } catch (const std::exception& e) {
    throw Refused(std::string("the CUDA backend cannot compile its kernels: ") + e.what());
  }
}

std::vector<std::string> hostOps(const Job& job) {
  std::vector<std::string> names;
  for (const auto& rp : *job.ranks)
    for (const Op& op : rp.ops)
      if (op.kind == OpKind::Extra && !onDevice(op) && std::find(names.begin(), names.end(), op.name) == names.end()) names.push_back(op.name);
  return names;
}

std::string execute(Job& job) {
  std::string error;
  const Api* api = loadApi(job.dirs, error);
  if (!api) {
    Failure f;
    f.kind = "error";
    f.message = "the CUDA backend cannot start: " + error;
    job.onFailure(f);
    return "";
  }
  NcclLog log;
  Shared s(job, *api);
  s.used.assign(job.comms.size(), false);
  s.ids.resize(job.comms.size());
  s.collOps.resize(size_t(job.worldSize));
  for (const auto& rp : *job.ranks)
    for (size_t i = 0; i < rp.ops.size(); i++)
      if (isCollective(rp.ops[i].kind)) {
        s.used[size_t(rp.ops[i].group)] = true;
        s.collOps[size_t(rp.rank)][rp.ops[i].group].push_back(i);
      }
  for (size_t c = 0; c < job.comms.size(); c++)
    if (s.used[c])
      if (ncclResult_t r = api->ncclGetUniqueId(&s.ids[c])) {
        Failure f;
        f.kind = "error";
        f.message = api->ncclError(r, "ncclGetUniqueId");
        job.onFailure(f);
        return log.read();
      }
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<RankRunner>> runners;
  for (int r = 0; r < job.worldSize; r++) runners.push_back(std::make_unique<RankRunner>(s, r));
  for (int r = 0; r < job.worldSize; r++) threads.emplace_back([&runners, r] { runners[size_t(r)]->run(); });
  for (auto& t : threads) t.join();
  return log.read();
}

}  // namespace cuda
}  // namespace ss
