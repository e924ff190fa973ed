// N-API entry: run(programs, options) executes RankPrograms on the CPU backend (ranks as threads) in a
// worker thread and resolves with per-rank events, selected outputs and a per-rank report.
// cancel() stops a run; progress() reads how far each rank got; discover() probes the CUDA libraries.
#include <cstdio>
#include <napi.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>
#include "ops.h"
#include "program.h"
#include "discovery.h"
#include "materialize.h"
#include "op_registry.h"
#include "ops_model.h"
#include "collective_dim.h"
#include "progress.h"
#include "watchdog.h"
#include "cuda/executor.h"

namespace ss {
namespace {

struct ProgramError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const std::map<std::string, OpKind> kOpKinds = {
    {"gemm", OpKind::Gemm}, {"silu_mul", OpKind::SiluMul}, {"add", OpKind::Add}, {"rmsnorm", OpKind::RmsNorm},
    {"softmax", OpKind::Softmax}, {"topk", OpKind::TopK}, {"gather_rows", OpKind::GatherRows},
    {"scatter_add_rows", OpKind::ScatterAddRows}, {"copy", OpKind::Copy}, {"slice", OpKind::Slice},
    {"concat", OpKind::Concat}, {"scale", OpKind::Scale}, {"all_reduce", OpKind::AllReduce},
    {"all_gather", OpKind::AllGather}, {"reduce_scatter", OpKind::ReduceScatter}, {"all_to_all", OpKind::AllToAll},
    {"all_to_all_v", OpKind::AllToAllV}, {"broadcast", OpKind::Broadcast}, {"send", OpKind::Send},
    {"recv", OpKind::Recv}, {"sleep", OpKind::Sleep}};

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Run {
  int worldSize = 0;
  std::vector<std::vector<int>> groups;
  std::vector<RankProgram> ranks;
  std::vector<std::unique_ptr<Comm>> comms;          // one per group, then one per send/recv pair
  std::map<std::pair<int, int>, int> pairComm;
  RunControl ctl;
  std::vector<std::vector<Event>> events;
  std::vector<std::atomic<int>> started, finished;
  // What the watchdog reads per rank: work reported inside the op that runs (progress.h), and the
  // collective the rank waits in (waitOp -1: none), written by the rank thread.
  std::vector<std::atomic<int64_t>> work, waitSeq, waitSinceNs;
  std::vector<std::atomic<int>> waitOp;
  std::vector<HangWait> hang;  // the waits the watchdog found hung (set before it fails the run)
  // Failure, filled by the first rank that fails.
  std::mutex failM;
  std::string failKind, failMessage;
  int failRank = -1, failOp = -1, failGroup = -1;
  int64_t failSeq = -1;
  std::vector<int> missing;
  std::vector<std::string> outputKeys;
  // Record events (off: no clock is read). Events of rank r are events[r][0 .. finished[r]): written by
  // the rank thread before it publishes finished[r], so drainEvents() may read them while the run goes on.
  bool trace = true;
  std::vector<size_t> drained;
  // Per rank: for each buffer, the index of the last op that uses it, to release what no later op reads.
  std::vector<std::map<Buffer*, size_t>> lastUse;
  std::set<Buffer*> keep;  // outputs and buffers given as data
  RoutingMap routing;
  // Backend "cpu" (rank threads here) or "cuda" (cuda/executor.h), its library search order and NCCL log.
  std::string backend = "cpu";
  std::vector<std::string> libraryDirs;
  std::string ncclLog;
  int64_t t0 = 0;
  // Threads one rank may use inside a large op or weight generation on the CPU backend: the cores the
  // rank threads leave (the unsharded reference runs on one rank).
  int intraOpThreads = 1;
  Run(size_t n) : started(n), finished(n), work(n), waitSeq(n), waitSinceNs(n), waitOp(n) {
    for (auto& w : waitOp) w.store(-1);
  }
};

std::string where(const RankProgram& rp, size_t i, const Op& op) {
  return "rank " + std::to_string(rp.rank) + ", op " + std::to_string(i) + " (" + op.name + ")";
}

Attr readAttr(const Napi::Value& v) {
  Attr a;
  if (v.IsString()) { a.isStr = true; a.str = v.As<Napi::String>().Utf8Value(); }
  else if (v.IsBoolean()) a.num = v.As<Napi::Boolean>().Value() ? 1 : 0;
  else if (v.IsNumber()) a.num = v.As<Napi::Number>().DoubleValue();
  else if (v.IsArray()) {
    a.isList = true;
    auto arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) a.list.push_back(arr.Get(i).As<Napi::Number>().DoubleValue());
  }
  return a;
}

// Reads init into b (nothing is allocated here: materialize() makes the values on the rank thread).
// init.ranges is a list of boxes (one [start, end) per dim each, in order, as generateBoxes reads
// them); a list of per-dim interval lists is also accepted.
void initBuffer(Buffer& b, const Napi::Object& decl) {
  b.ready = false;
  if (b.numel == 0) return;  // nothing to fill; a huge dim beside a 0 must not size the index below
  if (!decl.Has("init") || !decl.Get("init").IsObject()) return;
  auto init = decl.Get("init").As<Napi::Object>();
  std::string kind = init.Get("kind").As<Napi::String>().Utf8Value();
  if (kind == "zeros") return;
  b.counter = true;
  b.seed = keySeed(init.Get("key").As<Napi::String>().Utf16Value());
  b.scale = init.Has("scale") ? init.Get("scale").As<Napi::Number>().DoubleValue() : 1.0;
  size_t nd = b.shape.size();
  auto gshape = init.Has("globalShape") && init.Get("globalShape").IsArray() ? init.Get("globalShape").As<Napi::Array>() : Napi::Array::New(decl.Env());
  // Boxes index the global tensor, whose rank may differ from the buffer's (a flat buffer of a 3-D shard).
  if (gshape.Length() > 0) {
    nd = gshape.Length();
    for (uint32_t d = 0; d < nd; d++) b.globalShape.push_back(gshape.Get(d).As<Napi::Number>().Int64Value());
  } else b.globalShape = b.shape;
  auto ranges = init.Has("ranges") && init.Get("ranges").IsArray() ? init.Get("ranges").As<Napi::Array>() : Napi::Array::New(decl.Env());
  auto isPair = [](const Napi::Value& v) {
    if (!v.IsArray()) return false;
    auto a = v.As<Napi::Array>();
    return a.Length() == 2 && a.Get(0u).IsNumber() && a.Get(1u).IsNumber();
  };
  auto pairOf = [](const Napi::Value& v) {
    auto a = v.As<Napi::Array>();
    return std::make_pair(a.Get(0u).As<Napi::Number>().Int64Value(), a.Get(1u).As<Napi::Number>().Int64Value());
  };
  bool boxes = ranges.Length() > 0;
  for (uint32_t i = 0; i < ranges.Length() && boxes; i++) {
    auto box = ranges.Get(i);
    if (!box.IsArray() || box.As<Napi::Array>().Length() != nd) { boxes = false; break; }
    for (uint32_t d = 0; d < nd; d++) if (!isPair(box.As<Napi::Array>().Get(d))) { boxes = false; break; }
  }
  if (boxes) {
    for (uint32_t i = 0; i < ranges.Length(); i++) {
      Box box;
      auto ba = ranges.Get(i).As<Napi::Array>();
      for (uint32_t d = 0; d < nd; d++) box.push_back(pairOf(ba.Get(d)));
      b.boxes.push_back(box);
    }
    if (boxesSize(b.boxes) == b.numel) return;
    b.boxes.clear();
  }
  // Per-dim interval lists over the buffer's own dims (or no usable ranges: the leading corner of the
  // global tensor).
  nd = b.shape.size();
  b.globalShape.resize(nd);
  for (size_t d = 0; d < nd; d++) b.globalShape[d] = d < gshape.Length() ? gshape.Get(uint32_t(d)).As<Napi::Number>().Int64Value() : b.shape[d];
  b.dimIndex.assign(nd, {});
  for (size_t d = 0; d < nd; d++) {
    if (d < ranges.Length() && ranges.Get(uint32_t(d)).IsArray()) {
      auto rl = ranges.Get(uint32_t(d)).As<Napi::Array>();
      for (uint32_t r = 0; r < rl.Length(); r++)
        if (isPair(rl.Get(r))) {
          auto se = pairOf(rl.Get(r));
          for (int64_t g = se.first; g < se.second && int64_t(b.dimIndex[d].size()) <= b.shape[d]; g++) b.dimIndex[d].push_back(g);
        }
    }
    if (int64_t(b.dimIndex[d].size()) != b.shape[d]) {
      b.dimIndex[d].clear();
      for (int64_t g = 0; g < b.shape[d]; g++) b.dimIndex[d].push_back(g);
    }
  }
}

std::string shapeStr(const Buffer& b) {
  std::string s = "[";
  for (size_t i = 0; i < b.shape.size(); i++) s += (i ? "," : "") + std::to_string(b.shape[i]);
  return s + "] " + dtypeName(b.dtype);
}

void expect(bool ok, const RankProgram& rp, size_t i, const Op& op, const std::string& msg) {
  if (!ok) throw ProgramError(where(rp, i, op) + ": " + msg);
}

// Shape rules per op, checked before any work so a bad program is an error, never a crash.
void validateOp(const Run& run, const RankProgram& rp, size_t i, const Op& op) {
  auto need = [&](size_t nin, size_t nout) {
    expect(op.ins.size() >= nin && op.outs.size() >= nout, rp, i, op,
           "expects " + std::to_string(nin) + " input(s) and " + std::to_string(nout) + " output(s)");
  };
  auto same = [&](const Buffer* a, const Buffer* b) {
    expect(a->numel == b->numel, rp, i, op, "buffer '" + a->id + "' " + shapeStr(*a) + " and '" + b->id + "' " + shapeStr(*b) + " differ in size");
  };
  const int gsize = op.group >= 0 && op.group < int(run.groups.size()) ? int(run.groups[op.group].size()) : 0;
  if (op.kind == OpKind::Extra) {
    const std::string err = op.handler->validate(op);
    expect(err.empty(), rp, i, op, err);
    return;
  }
  switch (op.kind) {
    case OpKind::Gemm: {
      need(2, 1);
      const Buffer &a = *op.ins[0], &b = *op.ins[1], &c = *op.outs[0];
      const int64_t K = a.lastDim(), M = K ? a.numel / K : 0, N = c.lastDim();
      const bool tb = op.num("transB", 0) != 0;
      expect(b.shape.size() == 2, rp, i, op, "B '" + b.id + "' must be 2-D, is " + shapeStr(b));
      const int64_t bk = tb ? b.shape[1] : b.shape[0], bn = tb ? b.shape[0] : b.shape[1];
      expect(bk == K, rp, i, op, "A '" + a.id + "' " + shapeStr(a) + " and B '" + b.id + "' " + shapeStr(b) + " disagree on K");
      expect(bn == N && c.numel == M * N, rp, i, op, "C '" + c.id + "' " + shapeStr(c) + " is not " + std::to_string(M) + "×" + std::to_string(bn));
      break;
    }
    case OpKind::SiluMul: case OpKind::Add:
      need(2, 1); same(op.ins[0], op.ins[1]); same(op.ins[0], op.outs[0]); break;
    case OpKind::Scale: case OpKind::Softmax: case OpKind::Copy:
      need(1, 1); same(op.ins[0], op.outs[0]); break;
    case OpKind::RmsNorm:
      need(2, 1); same(op.ins[0], op.outs[0]);
      expect(op.ins[1]->numel == op.ins[0]->lastDim(), rp, i, op, "weight '" + op.ins[1]->id + "' must have the last dim of '" + op.ins[0]->id + "'");
      break;
    case OpKind::TopK: {
      need(1, 2);
      const int64_t k = int64_t(op.num("k", 0)), E = op.ins[0]->lastDim(), T = E ? op.ins[0]->numel / E : 0;
      expect(k >= 1 && k <= E, rp, i, op, "k must be in 1.." + std::to_string(E));
      expect(op.outs[0]->numel == T * k && op.outs[1]->numel == T * k, rp, i, op, "outputs must hold " + std::to_string(T) + "×" + std::to_string(k));
      break;
    }
    case OpKind::GatherRows: case OpKind::ScatterAddRows: {
      need(2, 1);
      const Buffer& table = op.kind == OpKind::GatherRows ? *op.ins[0] : *op.outs[0];
      const Buffer& rows = op.kind == OpKind::GatherRows ? *op.outs[0] : *op.ins[0];
      const Buffer& idx = *op.ins[1];
      const int64_t H = table.rows() ? table.numel / table.rows() : 0;
      expect(rows.numel == idx.numel * H, rp, i, op, "'" + rows.id + "' " + shapeStr(rows) + " must hold " + std::to_string(idx.numel) + " rows of " + std::to_string(H));
      if (op.kind == OpKind::GatherRows) expect(rows.dtype == table.dtype, rp, i, op, "gather keeps the dtype");
      break;
    }
    case OpKind::Slice: {
      need(1, 1);
      const Buffer &a = *op.ins[0], &b = *op.outs[0];
      int dim = int(op.num("dim", 0)); if (dim < 0) dim += int(a.shape.size());
      expect(dim >= 0 && dim < int(a.shape.size()) && a.shape.size() == b.shape.size(), rp, i, op, "dim out of range");
      const int64_t st = int64_t(op.num("start", 0));
      expect(st >= 0 && st + b.shape[dim] <= a.shape[dim], rp, i, op, "slice [" + std::to_string(st) + ", " + std::to_string(st + b.shape[dim]) + ") exceeds " + std::to_string(a.shape[dim]));
      for (size_t d = 0; d < a.shape.size(); d++) if (int(d) != dim) expect(a.shape[d] == b.shape[d], rp, i, op, "shapes differ off the slice dim");
      expect(a.dtype == b.dtype, rp, i, op, "slice keeps the dtype");
      break;
    }
    case OpKind::Concat: {
      need(1, 1);
      const Buffer& b = *op.outs[0];
      int dim = int(op.num("dim", 0)); if (dim < 0) dim += int(b.shape.size());
      expect(dim >= 0 && dim < int(b.shape.size()), rp, i, op, "dim out of range");
      int64_t total = 0;
      for (const Buffer* a : op.ins) {
        expect(a->shape.size() == b.shape.size() && a->dtype == b.dtype, rp, i, op, "'" + a->id + "' does not match the output's rank and dtype");
        for (size_t d = 0; d < a->shape.size(); d++) if (int(d) != dim) expect(a->shape[d] == b.shape[d], rp, i, op, "'" + a->id + "' differs off the concat dim");
        total += a->shape[dim];
      }
      expect(total == b.shape[dim], rp, i, op, "inputs add up to " + std::to_string(total) + " along dim, output has " + std::to_string(b.shape[dim]));
      break;
    }
    case OpKind::AllReduce: case OpKind::Broadcast:
      need(1, 1); same(op.ins[0], op.outs[0]); expect(op.ins[0]->dtype == op.outs[0]->dtype, rp, i, op, "dtypes differ"); break;
    case OpKind::AllGather:
      need(1, 1); expect(op.outs[0]->numel == op.ins[0]->numel * gsize, rp, i, op, "output '" + op.outs[0]->id + "' must be " + std::to_string(gsize) + "× the input"); break;
    case OpKind::ReduceScatter:
      need(1, 1); expect(op.ins[0]->numel == op.outs[0]->numel * gsize, rp, i, op, "input '" + op.ins[0]->id + "' must be " + std::to_string(gsize) + "× the output"); break;
    case OpKind::AllToAll:
      need(1, 1); same(op.ins[0], op.outs[0]);
      expect(gsize > 0 && op.ins[0]->numel % gsize == 0, rp, i, op, "input size must divide by the group size " + std::to_string(gsize)); break;
    case OpKind::AllToAllV: {
      need(1, 1);
      auto sc = op.list("sendCounts"), rc = op.list("recvCounts");
      expect(int(sc.size()) == gsize && int(rc.size()) == gsize, rp, i, op, "sendCounts and recvCounts need one entry per group member (" + std::to_string(gsize) + ")");
      double ss = 0, rs = 0; for (double v : sc) ss += v; for (double v : rc) rs += v;
      const Buffer &a = *op.ins[0], &b = *op.outs[0];
      expect(int64_t(ss) == a.rows(), rp, i, op, "sendCounts add up to " + std::to_string(int64_t(ss)) + " rows, input has " + std::to_string(a.rows()));
      expect(int64_t(rs) == b.rows(), rp, i, op, "recvCounts add up to " + std::to_string(int64_t(rs)) + " rows, output has " + std::to_string(b.rows()));
      expect(a.rows() == 0 || b.rows() == 0 || a.numel / a.rows() == b.numel / b.rows(), rp, i, op, "input and output rows differ in width");
      break;
    }
    case OpKind::Send: need(1, 0); break;
    case OpKind::Recv: need(0, 1); break;
    case OpKind::Sleep: break;
    default: expect(false, rp, i, op, "unknown op");
  }
  for (size_t k = 0; k < op.outs.size(); k++)
    if (op.kind != OpKind::TopK && op.kind != OpKind::Slice && op.kind != OpKind::Concat && !isCollective(op.kind) && op.kind != OpKind::GatherRows && op.kind != OpKind::ScatterAddRows && op.kind != OpKind::Copy && op.kind != OpKind::Gemm && op.kind != OpKind::Sleep)
      expect(op.outs[k]->dtype != DType::I32, rp, i, op, "output '" + op.outs[k]->id + "' must be a float buffer");
}

// What one rank posts to a collective, for comparing ranks before the run.
struct CollSig { int rank; size_t opIndex; std::string name; int64_t inNumel, outNumel; std::vector<double> sc, rc; int root; };

void validateCollectives(Run& run) {
  // Collectives on one group must agree across ranks, matched by their sequence number in the group.
  std::map<int, std::map<int, std::vector<CollSig>>> perGroup;  // comm -> rank -> collectives in order
  for (auto& rp : run.ranks)
    for (size_t i = 0; i < rp.ops.size(); i++) {
      const Op& op = rp.ops[i];
      if (!isCollective(op.kind)) continue;
      perGroup[op.group][rp.rank].push_back({rp.rank, i, op.name, op.ins.empty() ? 0 : op.ins[0]->numel,
                                             op.outs.empty() ? 0 : op.outs[0]->numel, op.list("sendCounts"), op.list("recvCounts"), int(op.num("root", -1))});
    }
  for (auto& [g, byRank] : perGroup) {
    const auto& members = run.comms[g]->members;
    size_t common = SIZE_MAX;
    for (int m : members) common = std::min(common, byRank[m].size());
    for (size_t s = 0; s < common; s++) {
      const CollSig& ref = byRank[members[0]][s];
      for (size_t mi = 0; mi < members.size(); mi++) {
        const CollSig& c = byRank[members[mi]][s];
        const Op& op = run.ranks[c.rank].ops[c.opIndex];
        const bool p2p = c.name == "send" || c.name == "recv";
        if (p2p) {
          const bool ok = (c.name == "send" && ref.name == "recv") || (c.name == "recv" && ref.name == "send") || (&c == &ref);
          expect(ok, run.ranks[c.rank], c.opIndex, op, "meets '" + ref.name + "' of rank " + std::to_string(ref.rank) + " (a send must meet a recv)");
          if (&c != &ref) {
            const CollSig& snd = c.name == "send" ? c : ref; const CollSig& rcv = c.name == "send" ? ref : c;
            expect(snd.inNumel == rcv.outNumel, run.ranks[c.rank], c.opIndex, op, "rank " + std::to_string(snd.rank) + " sends " + std::to_string(snd.inNumel) + " elements, rank " + std::to_string(rcv.rank) + " receives " + std::to_string(rcv.outNumel));
          }
          continue;
        }
        expect(c.name == ref.name, run.ranks[c.rank], c.opIndex, op, "collective #" + std::to_string(s) + " of group " + std::to_string(g) + " is '" + ref.name + "' on rank " + std::to_string(ref.rank));
        if (c.name != "all_to_all_v") expect(c.inNumel == ref.inNumel, run.ranks[c.rank], c.opIndex, op, "ranks disagree on the collective's size: " + std::to_string(c.inNumel) + " elements here, " + std::to_string(ref.inNumel) + " on rank " + std::to_string(ref.rank));
        if (c.name == "broadcast") expect(c.root == ref.root, run.ranks[c.rank], c.opIndex, op, "ranks disagree on the broadcast root");
        if (c.name == "all_to_all_v")
          for (size_t mj = 0; mj < members.size(); mj++) {
            const CollSig& peer = byRank[members[mj]][s];
            expect(c.sc[mj] == peer.rc[mi], run.ranks[c.rank], c.opIndex, op, "sends " + std::to_string(int64_t(c.sc[mj])) + " rows to rank " + std::to_string(peer.rank) + ", which expects " + std::to_string(int64_t(peer.rc[mi])));
          }
      }
    }
  }
}

std::unique_ptr<Run> parseRun(const Napi::Object& progs, const Napi::Object& opts) {
  auto worldSize = progs.Get("worldSize").As<Napi::Number>().Int32Value();
  if (worldSize < 1 || worldSize > 1024) throw ProgramError("worldSize must be 1..1024");
  auto run = std::make_unique<Run>(size_t(worldSize));
  run->worldSize = worldSize;
  run->ranks.resize(worldSize);
  for (int r = 0; r < worldSize; r++) run->ranks[r].rank = r;
  auto groups = progs.Get("groups").As<Napi::Array>();
  for (uint32_t g = 0; g < groups.Length(); g++) {
    auto ga = groups.Get(g).As<Napi::Array>();
    std::vector<int> mem;
    std::set<int> seen;
    for (uint32_t k = 0; k < ga.Length(); k++) {
      int r = ga.Get(k).As<Napi::Number>().Int32Value();
      if (r < 0 || r >= worldSize || !seen.insert(r).second) throw ProgramError("group " + std::to_string(g) + ": rank " + std::to_string(r) + " is out of range or repeated");
      mem.push_back(r);
    }
    if (mem.empty()) throw ProgramError("group " + std::to_string(g) + " is empty");
    run->groups.push_back(mem);
    run->comms.push_back(std::make_unique<Comm>(mem));
  }
  auto bufs = progs.Get("buffers").As<Napi::Array>();
  for (uint32_t i = 0; i < bufs.Length(); i++) {
    auto d = bufs.Get(i).As<Napi::Object>();
    int r = d.Get("rank").As<Napi::Number>().Int32Value();
    std::string id = d.Get("id").As<Napi::String>().Utf8Value();
    if (r < 0 || r >= worldSize) throw ProgramError("buffer '" + id + "': rank " + std::to_string(r) + " out of range");
    Buffer b;
    b.id = id;
    std::string dt = d.Get("dtype").As<Napi::String>().Utf8Value();
    b.dtype = dt == "bf16" ? DType::BF16 : dt == "i32" ? DType::I32 : DType::F32;
    if (dt != "f32" && dt != "bf16" && dt != "i32") throw ProgramError("buffer '" + id + "' on rank " + std::to_string(r) + ": unknown dtype '" + dt + "'");
    auto sh = d.Get("shape").As<Napi::Array>();
    // Every dim and the running product are checked before they are multiplied: a shape such as
    // [2^62, 4] must not wrap to 0 elements (and a huge dim beside a 0 must not size the init index).
    const int64_t kMaxElements = int64_t(1) << 34;  // LIMITS.nativeBufferElements in extension/core/limits.ts
    b.numel = 1;
    for (uint32_t k = 0; k < sh.Length(); k++) {
      const double raw = sh.Get(k).As<Napi::Number>().DoubleValue();
      if (!(raw >= 0)) throw ProgramError("buffer '" + id + "' on rank " + std::to_string(r) + ": dim " + std::to_string(k) + " is not a non-negative integer");
      if (raw > double(kMaxElements)) {
        char size[32];
        std::snprintf(size, sizeof size, "%.0f", raw);
        throw ProgramError("buffer '" + id + "' on rank " + std::to_string(r) + ": dim " + std::to_string(k) + " of " + size + " is over the limit of 2^34 elements for one buffer");
      }
      if (raw != double(int64_t(raw))) throw ProgramError("buffer '" + id + "' on rank " + std::to_string(r) + ": dim " + std::to_string(k) + " is not a non-negative integer");
      const int64_t v = int64_t(raw);
      b.shape.push_back(v);
      if (v != 0 && b.numel > kMaxElements / v) throw ProgramError("buffer '" + id + "' on rank " + std::to_string(r) + ": shape " + shapeStr(b) + (k + 1 < sh.Length() ? " (and more dims)" : "") + " is over the limit of 2^34 elements for one buffer");
      b.numel *= v;
    }
    initBuffer(b, d);
    run->ranks[r].buffers[id] = std::move(b);
  }
  // Initial data from JS: { "rank/id": TypedArray }
  if (opts.Has("data") && opts.Get("data").IsObject()) {
    auto data = opts.Get("data").As<Napi::Object>();
    auto keys = data.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); i++) {
      std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
      auto slash = k.find('/');
      int r = slash == std::string::npos ? -1 : std::atoi(k.substr(0, slash).c_str());
      if (r < 0 || r >= worldSize || !run->ranks[r].buffers.count(k.substr(slash + 1))) throw ProgramError("data for '" + k + "': no such buffer");
      Buffer& b = run->ranks[r].buffers[k.substr(slash + 1)];
      b.data.assign(size_t(b.numel) * dtypeSize(b.dtype), 0);
      b.ready = true;
      run->keep.insert(&b);
      auto ta = data.Get(k).As<Napi::TypedArray>();
      if (int64_t(ta.ElementLength()) != b.numel) throw ProgramError("data for '" + k + "' has " + std::to_string(ta.ElementLength()) + " elements, the buffer " + std::to_string(b.numel));
      if (ta.TypedArrayType() == napi_float32_array) {
        // Through Data(): TypedArrayOf's operator[] takes size_t and is ambiguous with a signed index.
        const float* f = ta.As<Napi::Float32Array>().Data();
        for (int64_t e = 0; e < b.numel; e++) {
          if (b.dtype == DType::F32) b.f32()[e] = f[e];
          else if (b.dtype == DType::BF16) b.bf16()[e] = f32ToBf16(f[e]);
          else b.i32()[e] = int32_t(f[e]);
        }
      } else if (ta.TypedArrayType() == napi_int32_array) {
        const int32_t* f = ta.As<Napi::Int32Array>().Data();
        for (int64_t e = 0; e < b.numel; e++) {
          if (b.dtype == DType::F32) b.f32()[e] = float(f[e]);
          else if (b.dtype == DType::BF16) b.bf16()[e] = f32ToBf16(float(f[e]));
          else b.i32()[e] = f[e];
        }
      } else throw ProgramError("data for '" + k + "' must be a Float32Array or Int32Array");
    }
  }
  run->lastUse.resize(worldSize);
  auto ranks = progs.Get("ranks").As<Napi::Array>();
  for (uint32_t i = 0; i < ranks.Length(); i++) {
    auto ro = ranks.Get(i).As<Napi::Object>();
    int r = ro.Get("rank").As<Napi::Number>().Int32Value();
    if (r < 0 || r >= worldSize) throw ProgramError("program for rank " + std::to_string(r) + ": out of range");
    RankProgram& rp = run->ranks[r];
    auto ops = ro.Get("ops").As<Napi::Array>();
    for (uint32_t j = 0; j < ops.Length(); j++) {
      auto oo = ops.Get(j).As<Napi::Object>();
      Op op;
      op.name = oo.Get("op").As<Napi::String>().Utf8Value();
      auto kit = kOpKinds.find(op.name);
      op.kind = kit == kOpKinds.end() ? OpKind::Unknown : kit->second;
      if (op.kind == OpKind::Unknown && !hasOpHandlerNamed(op.name)) expect(false, rp, j, op, "unknown op '" + op.name + "'");
      if (oo.Has("attrs") && oo.Get("attrs").IsObject()) {
        auto at = oo.Get("attrs").As<Napi::Object>();
        auto ks = at.GetPropertyNames();
        for (uint32_t k = 0; k < ks.Length(); k++) {
          std::string key = ks.Get(k).As<Napi::String>().Utf8Value();
          op.attrs[key] = readAttr(at.Get(key));
        }
      }
      for (const char* side : {"ins", "outs"}) {
        auto arr = oo.Has(side) && oo.Get(side).IsArray() ? oo.Get(side).As<Napi::Array>() : Napi::Array::New(oo.Env());
        for (uint32_t k = 0; k < arr.Length(); k++) {
          std::string id = arr.Get(k).As<Napi::String>().Utf8Value();
          auto it = rp.buffers.find(id);
          expect(it != rp.buffers.end(), rp, j, op, "unknown buffer '" + id + "' (not declared on rank " + std::to_string(r) + ")");
          (std::string(side) == "ins" ? op.ins : op.outs).push_back(&it->second);
        }
      }
      // Ops the registered handlers run (new ops, or core ops with the lowering's attributes).
      if (!isCollective(op.kind) && op.kind != OpKind::Sleep) {
        op.handler = findOpHandler(op);
        if (op.handler) op.kind = OpKind::Extra;
        else expect(op.kind != OpKind::Unknown, rp, j, op, "'" + op.name + "' with these attributes is not supported");
      }
      for (const auto* side : {&op.ins, &op.outs})
        for (Buffer* b : *side) run->lastUse[r][b] = j;
      if (op.kind == OpKind::Send || op.kind == OpKind::Recv) {
        const int peer = int(op.num("peer", -1));
        expect(peer >= 0 && peer < worldSize && peer != r, rp, j, op, "peer must be another rank in 0.." + std::to_string(worldSize - 1));
        auto key = std::make_pair(std::min(r, peer), std::max(r, peer));
        auto pit = run->pairComm.find(key);
        if (pit == run->pairComm.end()) {
          run->comms.push_back(std::make_unique<Comm>(std::vector<int>{key.first, key.second}));
          pit = run->pairComm.emplace(key, int(run->comms.size()) - 1).first;
        }
        op.group = pit->second;
      } else if (isCollective(op.kind)) {
        expect(oo.Has("group") && oo.Get("group").IsNumber(), rp, j, op, "a collective needs a group");
        op.group = oo.Get("group").As<Napi::Number>().Int32Value();
        expect(op.group >= 0 && op.group < int(run->groups.size()), rp, j, op, "group " + std::to_string(op.group) + " does not exist");
        expect(run->comms[op.group]->indexOf(r) >= 0, rp, j, op, "rank " + std::to_string(r) + " is not in group " + std::to_string(op.group));
        if (op.kind == OpKind::Broadcast)
          expect(run->comms[op.group]->indexOf(int(op.num("root", run->groups[op.group][0]))) >= 0, rp, j, op, "root is not in the group");
      }
      validateOp(*run, rp, j, op);
      rp.ops.push_back(std::move(op));
    }
  }
  validateCollectives(*run);
  if (opts.Has("timeoutMs")) run->ctl.timeoutMs = opts.Get("timeoutMs").As<Napi::Number>().Int64Value();
  if (opts.Has("outputs") && opts.Get("outputs").IsArray()) {
    auto outs = opts.Get("outputs").As<Napi::Array>();
    for (uint32_t i = 0; i < outs.Length(); i++) {
      std::string k = outs.Get(i).As<Napi::String>().Utf8Value();
      auto slash = k.find('/');
      int r = slash == std::string::npos ? -1 : std::atoi(k.substr(0, slash).c_str());
      if (r < 0 || r >= worldSize || !run->ranks[r].buffers.count(k.substr(slash + 1))) throw ProgramError("output '" + k + "': no such buffer (expected 'rank/id')");
      run->outputKeys.push_back(k);
      run->keep.insert(&run->ranks[r].buffers[k.substr(slash + 1)]);
    }
  }
  if (opts.Has("trace")) run->trace = opts.Get("trace").ToBoolean().Value();
  if (opts.Has("backend") && opts.Get("backend").IsString()) run->backend = opts.Get("backend").As<Napi::String>().Utf8Value();
  if (run->backend != "cpu" && run->backend != "cuda") throw ProgramError("backend must be 'cpu' or 'cuda', not '" + run->backend + "'");
  if (opts.Has("libraryDirs") && opts.Get("libraryDirs").IsArray()) {
    auto a = opts.Get("libraryDirs").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) run->libraryDirs.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  // Routing to reuse: { routingKey: { idx: Float32Array, weights: Float32Array } }.
  if (opts.Has("routing") && opts.Get("routing").IsObject()) {
    auto ro = opts.Get("routing").As<Napi::Object>();
    auto keys = ro.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); i++) {
      std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
      auto v = ro.Get(k);
      if (!v.IsObject() || !v.As<Napi::Object>().Get("idx").IsTypedArray() || !v.As<Napi::Object>().Get("weights").IsTypedArray())
        throw ProgramError("routing for '" + k + "': expected { idx: Float32Array, weights: Float32Array }");
      Routing rt;
      for (const char* part : {"idx", "weights"}) {
        auto ta = v.As<Napi::Object>().Get(part).As<Napi::TypedArray>();
        if (ta.TypedArrayType() != napi_float32_array) throw ProgramError("routing for '" + k + "': " + part + " must be a Float32Array");
        auto f = ta.As<Napi::Float32Array>();
        (std::string(part) == "idx" ? rt.idx : rt.weights).assign(f.Data(), f.Data() + f.ElementLength());
      }
      run->routing[k] = std::move(rt);
    }
  }
  run->intraOpThreads = std::max(1, int(std::thread::hardware_concurrency()) / worldSize);
  run->events.resize(worldSize);
  run->drained.assign(worldSize, 0);
  if (run->trace)
    for (int r = 0; r < worldSize; r++) run->events[r].resize(run->ranks[r].ops.size());
  for (auto& c : run->comms) run->ctl.waiters.push_back(&c->cv);
  return run;
}

void stopAll(Run& run) {
  run.ctl.stop = true;
  for (auto& c : run.comms) { std::lock_guard<std::mutex> lk(c->m); c->cv.notify_all(); }
}

void fail(Run& run, const std::string& kind, const std::string& msg, int rank, int op, int group, int64_t seq, std::vector<int> missing) {
  {
    std::lock_guard<std::mutex> lk(run.failM);
    if (run.failKind.empty()) {
      run.failKind = kind; run.failMessage = msg; run.failRank = rank; run.failOp = op;
      run.failGroup = group; run.failSeq = seq; run.missing = std::move(missing);
    }
  }
  stopAll(run);
}

void rankThread(Run& run, int r) {
  RankProgram& rp = run.ranks[r];
  std::vector<int64_t> seqs(run.comms.size(), 0);
  const char* crashHook = std::getenv("SHARDSCOPE_TEST_ABORT_AT");  // tests only: "rank/op" aborts the process there
  OpEnv env;
  env.rank = r;
  env.routing = &run.routing;
  env.threads = run.intraOpThreads;
  const bool trace = run.trace;
  WorkScope reports(&run.work[r]);
  for (size_t i = 0; i < rp.ops.size(); i++) {
    if (run.ctl.stop) return;
    Op& op = rp.ops[i];
    run.started[r] = int(i) + 1;
    if (crashHook && std::string(crashHook) == std::to_string(r) + "/" + std::to_string(i)) std::abort();
    // Weights and inputs are made before the op's clock starts: generation is set-up, not the op.
    try {
      for (Buffer* b : op.ins) materialize(*b, run.intraOpThreads);
      for (Buffer* b : op.outs) materialize(*b, run.intraOpThreads);
    } catch (const std::exception& e) {
      fail(run, "error", where(rp, i, op) + ": " + e.what(), r, int(i), -1, -1, {});
      return;
    }
    Event ev;
    ev.op = int32_t(i);
    ev.startNs = trace ? nowNs() : 0;
    for (Buffer* b : op.ins) ev.bytes += int64_t(b->bytes());
    try {
      if (isCollective(op.kind)) {
        Comm& comm = *run.comms[op.group];
        ev.group = op.group;
        ev.seq = seqs[op.group]++;
        ev.bytes = op.ins.empty() ? int64_t(op.outs[0]->bytes()) : int64_t(op.ins[0]->bytes());
        run.waitSeq[r].store(ev.seq);
        run.waitSinceNs[r].store(nowNs());
        run.waitOp[r].store(int(i), std::memory_order_release);
        WaitResult w = runCollectiveAlongDim(op, comm, comm.indexOf(r), run.ctl);
        run.waitOp[r].store(-1, std::memory_order_release);
        if (w == WaitResult::Stopped) return;
      } else {
        for (Buffer* b : op.outs) if (std::find(op.ins.begin(), op.ins.end(), b) == op.ins.end()) ev.bytes += int64_t(b->bytes());
        if (op.kind == OpKind::Sleep) {  // waits in slices so a stopped run does not wait for it
          const int64_t until = nowNs() + int64_t(op.num("ms", 0) * 1e6);
          while (nowNs() < until && !run.ctl.stop) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else if (op.kind == OpKind::Extra) {
          env.setupNs = 0;
          op.handler->run(op, env);
        }
        else if (!runFewRowsGemm(op, run.intraOpThreads)) runComputeOp(op);
      }
    } catch (const std::exception& e) {
      fail(run, "error", where(rp, i, op) + ": " + e.what(), r, int(i), -1, -1, {});
      return;
    }
    if (trace) {
      ev.endNs = nowNs();
      // Weights the op generated itself are set-up, as materialize()'s are: the op starts after them.
      if (op.kind == OpKind::Extra && env.setupNs > 0) {
        ev.setupNs = env.setupNs;
        ev.startNs = std::min(ev.endNs, ev.startNs + env.setupNs);
      }
      run.events[r][i] = ev;
    }
    // Buffers no later op uses and nobody asked for are released (made again if ever read).
    const auto& last = run.lastUse[r];
    for (const auto* side : {&op.ins, &op.outs})
      for (Buffer* b : *side) {
        auto it = last.find(b);
        if (it != last.end() && it->second == i && !run.keep.count(b)) release(*b);
      }
    run.finished[r].store(int(i) + 1, std::memory_order_release);
  }
}

// The group's name in reports: send/recv pairs have internal comms past the declared groups.
int groupOf(const Run& run, int comm) { return comm < int(run.groups.size()) ? comm : -1; }

std::string rankList(const std::vector<int>& ranks) {
  std::string s;
  for (int r : ranks) s += (s.empty() ? "" : ", ") + std::to_string(r);
  return s;
}

// One tick's view of every rank: state, how long its op has reported nothing, where it waits and for whom.
std::vector<RankView> viewRanks(Run& run, std::vector<std::array<int64_t, 3>>& seen, std::vector<int64_t>& movedAt, int64_t now) {
  std::vector<RankView> views(size_t(run.worldSize));
  for (int r = 0; r < run.worldSize; r++) {
    RankView& v = views[size_t(r)];
    const std::array<int64_t, 3> sig{run.started[r].load(), run.finished[r].load(), run.work[r].load(std::memory_order_relaxed)};
    if (sig != seen[size_t(r)]) seen[size_t(r)] = sig, movedAt[size_t(r)] = now;
    v.idleNs = now - movedAt[size_t(r)];
    const auto& ops = run.ranks[r].ops;
    if (sig[1] >= int64_t(ops.size())) { v.state = RankState::Done; continue; }
    const int op = run.waitOp[r].load(std::memory_order_acquire);
    if (op < 0) continue;
    const int64_t seq = run.waitSeq[r].load(), since = run.waitSinceNs[r].load();
    if (run.waitOp[r].load(std::memory_order_acquire) != op) continue;  // moved on while being read
    Comm& comm = *run.comms[size_t(ops[size_t(op)].group)];
    v.state = RankState::Waiting;
    v.op = op, v.comm = ops[size_t(op)].group, v.seq = seq, v.waitedNs = now - since;
    std::lock_guard<std::mutex> lk(comm.m);
    for (size_t m = 0; m < comm.members.size(); m++)
      if (comm.entered[m] <= seq) v.missing.push_back(comm.members[m]);
  }
  return views;
}

// The CPU backend's watchdog thread: every tick it looks at the ranks and ends the run, with every wait
// involved, once findHang() says some wait can never end. It returns when `over` is set.
void watchRun(Run& run, std::mutex& m, std::condition_variable& cv, const bool& over) {
  const int64_t timeoutNs = run.ctl.timeoutMs * 1000000;
  const auto tick = std::chrono::milliseconds(std::clamp<int64_t>(run.ctl.timeoutMs / 10, 5, 100));
  std::vector<std::array<int64_t, 3>> seen(size_t(run.worldSize), {-1, -1, -1});
  std::vector<int64_t> movedAt(size_t(run.worldSize), nowNs());
  std::unique_lock<std::mutex> lk(m);
  while (!cv.wait_for(lk, tick, [&] { return over; })) {
    if (run.ctl.stop) return;
    const std::vector<HangWait> hang = findHang(viewRanks(run, seen, movedAt, nowNs()), timeoutNs);
    if (hang.empty()) continue;
    const HangWait& h = hang[0];
    const RankProgram& rp = run.ranks[h.rank];
    std::string msg = where(rp, size_t(h.op), rp.ops[size_t(h.op)]) + ": waited " + std::to_string(h.waitedNs / 1000000) + " ms in collective #" +
                      std::to_string(h.seq) + " of group " + std::to_string(groupOf(run, h.comm)) + " for ranks " + rankList(h.missing) +
                      ", and nothing it waits on moved in " + std::to_string(run.ctl.timeoutMs) + " ms";
    {
      std::lock_guard<std::mutex> flk(run.failM);
      if (run.failKind.empty()) run.hang = hang;
    }
    fail(run, "timeout", msg, h.rank, h.op, h.comm, h.seq, h.missing);
    return;
  }
}

std::mutex gActiveM;
Run* gActive = nullptr;

// One event as JavaScript sees it (times in ns from the run's start).
Napi::Object eventObject(Napi::Env env, const Run& run, int r, const Event& e) {
  auto o = Napi::Object::New(env);
  o.Set("rank", r); o.Set("op", e.op);
  o.Set("startNs", double(e.startNs - run.t0)); o.Set("endNs", double(e.endNs - run.t0));
  o.Set("bytes", double(e.bytes));
  if (e.setupNs > 0) o.Set("setupNs", double(e.setupNs));
  if (e.group >= 0) {
    const bool pair = e.group >= int(run.groups.size());
    o.Set("group", pair ? -1 : e.group);
    auto mem = Napi::Array::New(env);
    for (size_t k = 0; k < run.comms[e.group]->members.size(); k++) mem.Set(uint32_t(k), run.comms[e.group]->members[k]);
    o.Set("members", mem);
    o.Set("seq", double(e.seq));
  }
  return o;
}

// The CUDA backend reports into the same bookkeeping as the rank threads above.
cuda::Job cudaJob(Run& run) {
  cuda::Job job;
  job.worldSize = run.worldSize;
  job.ranks = &run.ranks;
  for (auto& c : run.comms) job.comms.push_back(c->members);
  job.dirs = run.libraryDirs;
  job.timeoutMs = run.ctl.timeoutMs;
  job.stop = &run.ctl.stop;
  for (const std::string& k : run.outputKeys) {
    const auto slash = k.find('/');
    job.downloads.insert(&run.ranks[std::atoi(k.substr(0, slash).c_str())].buffers[k.substr(slash + 1)]);
  }
  job.fillHost = [](Buffer& b) { materialize(b); };
  job.releaseHost = [&run](Buffer& b) { if (!run.keep.count(&b)) release(b); };
  job.hostStorage = [](Buffer& b) { b.data.assign(b.bytes(), 0); b.ready = true; };
  job.runOnHost = [&run](Op& op, int r) {
    OpEnv env;
    env.rank = r;
    env.routing = &run.routing;
    op.handler->run(op, env);
  };
  job.onStarted = [&run](int r, size_t i) { run.started[r] = int(i) + 1; };
  job.onFinished = [&run](int r, size_t i, const Event& ev) {
    if (run.trace) run.events[r][i] = ev;
    run.finished[r].store(int(i) + 1, std::memory_order_release);
  };
  job.onFailure = [&run](const cuda::Failure& f) { fail(run, f.kind, f.message, f.rank, f.op, f.comm, f.seq, f.missing); };
  return job;
}

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, std::unique_ptr<Run> run) : Napi::AsyncWorker(env), run_(std::move(run)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    t0_ = nowNs();
    run_->t0 = t0_;
    { std::lock_guard<std::mutex> lk(gActiveM); gActive = run_.get(); }
    if (run_->backend == "cuda") {
      cuda::Job job = cudaJob(*run_);
      run_->ncclLog = cuda::execute(job);
    } else {
      std::mutex wm;
      std::condition_variable wcv;
      bool over = false;
      std::thread watchdog(watchRun, std::ref(*run_), std::ref(wm), std::ref(wcv), std::cref(over));
      std::vector<std::thread> threads;
      for (int r = 0; r < run_->worldSize; r++) threads.emplace_back(rankThread, std::ref(*run_), r);
      for (auto& t : threads) t.join();
      { std::lock_guard<std::mutex> lk(wm); over = true; }
      wcv.notify_all();
      watchdog.join();
    }
    { std::lock_guard<std::mutex> lk(gActiveM); gActive = nullptr; }
    if (run_->ctl.cancelled && run_->failKind.empty()) run_->failKind = "cancelled", run_->failMessage = "the run was cancelled";
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Run& run = *run_;
    auto res = Napi::Object::New(env);
    auto events = Napi::Array::New(env);
    uint32_t n = 0;
    if (run.trace)
      for (int r = 0; r < run.worldSize; r++) {
        const size_t done = size_t(run.finished[r].load(std::memory_order_acquire));
        for (size_t i = 0; i < done; i++) events.Set(n++, eventObject(env, run, r, run.events[r][i]));
      }
    res.Set("events", events);
    auto outs = Napi::Object::New(env);
    for (const std::string& k : run.outputKeys) {
      auto slash = k.find('/');
      Buffer& b = run.ranks[std::atoi(k.substr(0, slash).c_str())].buffers[k.substr(slash + 1)];
      try {
        materialize(b);  // never reached by the run: its initial contents
      } catch (const std::exception&) {
        b.data.assign(b.bytes(), 0);
        b.ready = true;
      }
      if (b.dtype == DType::I32) {
        auto a = Napi::Int32Array::New(env, b.numel);
        std::memcpy(a.Data(), b.data.data(), b.bytes());
        outs.Set(k, a);
      } else {
        auto a = Napi::Float32Array::New(env, b.numel);
        float* out = a.Data();
        for (int64_t e = 0; e < b.numel; e++) out[e] = b.dtype == DType::F32 ? b.f32()[e] : bf16ToF32(b.bf16()[e]);
        outs.Set(k, a);
      }
    }
    res.Set("outputs", outs);
    if (run.backend == "cuda") {
      res.Set("ncclLog", run.ncclLog);
      auto host = Napi::Array::New(env);
      for (const std::string& name : cuda::hostOps(cudaJob(run))) host.Set(host.Length(), name);
      res.Set("hostOps", host);
    }
    auto report = Napi::Object::New(env);
    report.Set("ok", run.failKind.empty());
    if (!run.failKind.empty()) {
      report.Set("kind", run.failKind);
      report.Set("message", run.failMessage);
      if (run.failRank >= 0) { report.Set("rank", run.failRank); report.Set("op", run.failOp); }
      if (run.failGroup >= 0) {
        report.Set("group", run.failGroup < int(run.groups.size()) ? run.failGroup : -1);
        report.Set("seq", double(run.failSeq));
        auto mem = Napi::Array::New(env);
        for (size_t k = 0; k < run.missing.size(); k++) mem.Set(uint32_t(k), run.missing[k]);
        report.Set("missing", mem);
      }
      if (!run.hang.empty()) {
        auto waits = Napi::Array::New(env);
        for (const HangWait& h : run.hang) {
          auto o = Napi::Object::New(env);
          o.Set("rank", h.rank); o.Set("op", h.op); o.Set("group", groupOf(run, h.comm)); o.Set("seq", double(h.seq));
          o.Set("waitedMs", double(h.waitedNs / 1000000));
          auto mis = Napi::Array::New(env);
          for (size_t k = 0; k < h.missing.size(); k++) mis.Set(uint32_t(k), h.missing[k]);
          o.Set("missing", mis);
          waits.Set(waits.Length(), o);
        }
        report.Set("waits", waits);
      }
    }
    auto ranks = Napi::Array::New(env);
    for (int r = 0; r < run.worldSize; r++) {
      auto o = Napi::Object::New(env);
      o.Set("rank", r);
      o.Set("ops", uint32_t(run.ranks[r].ops.size()));
      o.Set("lastStarted", run.started[r].load() - 1);
      o.Set("lastFinished", run.finished[r].load() - 1);
      ranks.Set(uint32_t(r), o);
    }
    report.Set("ranks", ranks);
    res.Set("report", report);
    deferred_.Resolve(res);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::unique_ptr<Run> run_;
  Napi::Promise::Deferred deferred_;
  int64_t t0_ = 0;
};

Napi::Value RunPrograms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "run(programs, options): programs must be an object");
  Napi::Object opts = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  std::unique_ptr<Run> run;
  try {
    run = parseRun(info[0].As<Napi::Object>(), opts);
    if (run->backend == "cuda") cuda::prepare(cudaJob(*run));  // libraries, GPUs, ops, kernels: before any work
  } catch (const cuda::Refused& e) {
    throw Napi::Error::New(env, e.what());
  } catch (const ProgramError& e) {
    throw Napi::Error::New(env, e.what());
  } catch (const Napi::Error&) {
    throw;
  }
  auto* w = new RunWorker(env, std::move(run));
  auto p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value Cancel(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lk(gActiveM);
  if (gActive) { gActive->ctl.cancelled = true; fail(*gActive, "cancelled", "the run was cancelled", -1, -1, -1, -1, {}); }
  return Napi::Boolean::New(info.Env(), gActive != nullptr);
}

// drainEvents() → the events finished since the last call (per rank in op order), or null when no run
// is active: the child streams them to the parent while the run goes on.
Napi::Value DrainEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lk(gActiveM);
  if (!gActive) return env.Null();
  Run& run = *gActive;
  auto arr = Napi::Array::New(env);
  if (!run.trace) return arr;
  uint32_t n = 0;
  for (int r = 0; r < run.worldSize; r++) {
    const size_t done = size_t(run.finished[r].load(std::memory_order_acquire));
    for (size_t i = run.drained[r]; i < done; i++) arr.Set(n++, eventObject(env, run, r, run.events[r][i]));
    run.drained[r] = std::max(run.drained[r], done);
  }
  return arr;
}

Napi::Value Progress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lk(gActiveM);
  if (!gActive) return env.Null();
  auto arr = Napi::Array::New(env);
  for (int r = 0; r < gActive->worldSize; r++) {
    auto o = Napi::Object::New(env);
    o.Set("rank", r);
    o.Set("started", gActive->started[r].load());
    o.Set("finished", gActive->finished[r].load());
    o.Set("work", double(gActive->work[r].load(std::memory_order_relaxed)));
    o.Set("ops", uint32_t(gActive->ranks[r].ops.size()));
    arr.Set(uint32_t(r), o);
  }
  return arr;
}

// memcpyBandwidth(threads, bytesPerThread, iterations) → bytes/s copied by that many threads at once:
// the yardstick for collective efficiency.
Napi::Value MemcpyBandwidth(const Napi::CallbackInfo& info) {
  const int threads = info[0].As<Napi::Number>().Int32Value();
  const int64_t bytes = info[1].As<Napi::Number>().Int64Value();
  const int iters = info[2].As<Napi::Number>().Int32Value();
  std::vector<std::vector<uint8_t>> src(threads, std::vector<uint8_t>(bytes, 1)), dst(threads, std::vector<uint8_t>(bytes, 0));
  // One untimed pass first: a zero-filled vector may come from fresh pages the kernel maps on first write.
  for (int t = 0; t < threads; t++) std::memcpy(dst[t].data(), src[t].data(), bytes);
  const int64_t t0 = nowNs();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; t++)
    ts.emplace_back([&, t] { for (int i = 0; i < iters; i++) std::memcpy(dst[t].data(), src[t].data(), bytes); });
  for (auto& t : ts) t.join();
  const double s = double(nowNs() - t0) / 1e9;
  return Napi::Number::New(info.Env(), double(bytes) * threads * iters / s);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("run", Napi::Function::New(env, RunPrograms));
  exports.Set("cancel", Napi::Function::New(env, Cancel));
  exports.Set("progress", Napi::Function::New(env, Progress));
  exports.Set("drainEvents", Napi::Function::New(env, DrainEvents));
  exports.Set("memcpyBandwidth", Napi::Function::New(env, MemcpyBandwidth));
  exports.Set("discover", Napi::Function::New(env, Discover));
  exports.Set("hardwareConcurrency", Napi::Number::New(env, std::thread::hardware_concurrency()));
  return exports;
}

}  // namespace
}  // namespace ss

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return ss::Init(env, exports); }
NODE_API_MODULE(shardscope_native, InitAddon)
