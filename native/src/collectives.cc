#include "collectives.h"
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ss {

namespace {

// Work item sizes. A reduction item sums one block of elements over every source into an fp32 (or
// i32) accumulator that stays in L2, then writes it out; a copy item reads one block once and writes
// it to every destination from cache. Large blocks let the hardware prefetchers run far ahead on
// each source (measured here: 64 Ki elements ran 64 MiB all-reduces 1.4-2× faster than 4 Ki);
// smaller collectives get smaller blocks so every member still finds several items.
constexpr int64_t kReduceElemsMax = 65536, kReduceElemsMin = 1024;
constexpr int64_t kCopyBytesMax = 256 * 1024, kCopyBytesMin = 16 * 1024;
constexpr int64_t kItemsPerMember = 4;
// Collectives that write at least this much in total use non-temporal stores: the output would not
// stay in cache anyway, and streaming stores skip reading each destination line before writing it.
// SHARDSCOPE_TEST_STREAM_BYTES overrides it (tests run small collectives down the streaming path).
int64_t streamBytes() {
  static const int64_t v = [] {
    const char* e = std::getenv("SHARDSCOPE_TEST_STREAM_BYTES");
    return e && *e ? std::atoll(e) : 32ll * 1024 * 1024;
  }();
  return v;
}

// Writes `bytes` from src to dst, with streaming stores when asked (dst aligned to 16 bytes first).
void writeBlock(uint8_t* dst, const uint8_t* src, int64_t bytes, bool stream) {
#if defined(__SSE2__)
  if (stream && bytes >= 256) {
    const int64_t head = (16 - int64_t(reinterpret_cast<uintptr_t>(dst) & 15)) & 15;
    std::memcpy(dst, src, size_t(head));
    dst += head, src += head, bytes -= head;
    int64_t i = 0;
    for (; i + 64 <= bytes; i += 64) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
      const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), a);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 32), c);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 48), d);
    }
    for (; i + 16 <= bytes; i += 16)
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    std::memcpy(dst + i, src + i, size_t(bytes - i));
    return;
  }
#endif
  (void)stream;
  std::memcpy(dst, src, size_t(bytes));
}

// Streaming stores are weakly ordered: fence them before the item is counted as done.
void fenceStreams(bool stream) {
#if defined(__SSE2__)
  if (stream) _mm_sfence();
#endif
  (void)stream;
}

// Element kernels: plain loops over restrict pointers, which the compiler vectorises at the
// baseline ISA (the addon ships to other CPUs, so no -march).
inline float widenBf16(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

void widenF32(float* __restrict acc, const uint16_t* __restrict p, int64_t n) {
  for (int64_t i = 0; i < n; i++) acc[i] = widenBf16(p[i]);
}
void addF32(float* __restrict acc, const float* __restrict p, int64_t n) {
  for (int64_t i = 0; i < n; i++) acc[i] += p[i];
}
void maxF32(float* __restrict acc, const float* __restrict p, int64_t n) {
  for (int64_t i = 0; i < n; i++) acc[i] = acc[i] < p[i] ? p[i] : acc[i];
}
void addBf16(float* __restrict acc, const uint16_t* __restrict p, int64_t n) {
  for (int64_t i = 0; i < n; i++) acc[i] += widenBf16(p[i]);
}
void maxBf16(float* __restrict acc, const uint16_t* __restrict p, int64_t n) {
  for (int64_t i = 0; i < n; i++) { const float v = widenBf16(p[i]); acc[i] = acc[i] < v ? v : acc[i]; }
}
// Integer sums wrap (as torch's do) instead of overflowing as signed values.
void addI32(int32_t* __restrict acc, const int32_t* __restrict p, int64_t n) {
  for (int64_t i = 0; i < n; i++) acc[i] = int32_t(uint32_t(acc[i]) + uint32_t(p[i]));
}
void maxI32(int32_t* __restrict acc, const int32_t* __restrict p, int64_t n) {
  for (int64_t i = 0; i < n; i++) acc[i] = acc[i] < p[i] ? p[i] : acc[i];
}
// fp32 -> bf16, round to nearest even, NaN stays NaN: the same rounding as f32ToBf16, branch-free.
void narrowBf16(uint16_t* __restrict out, const float* __restrict acc, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    uint32_t u;
    __builtin_memcpy(&u, &acc[i], 4);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    const uint32_t quiet = (u >> 16) | 0x40u;
    out[i] = uint16_t(int32_t(u & 0x7fffffffu) > int32_t(0x7f800000u) ? quiet : rounded);
  }
}

// Reduces elements [u0, u1) of a segment over its sources (in member order, so every member gets the
// same bits) and writes the result to every destination. All sources of the block are read before
// any destination is written, and blocks are disjoint, so an output may alias its input.
void reduceItem(const Work& w, const Segment& s, int64_t u0, int64_t u1) {
  // Per thread, made once (384 KiB: too much for every thread's stack), reused by every item.
  thread_local std::vector<float> accBuf(kReduceElemsMax);
  thread_local std::vector<uint16_t> narrowBuf(kReduceElemsMax);
  float* acc = accBuf.data();
  uint16_t* narrow = narrowBuf.data();
  const int64_t len = u1 - u0;
  const bool isMax = w.kind == WorkKind::Max;
  const size_t nsrc = s.srcs.size();
  const uint8_t* block = reinterpret_cast<const uint8_t*>(acc);
  int64_t blockBytes = len * 4;
  if (w.type == DType::F32) {
    std::memcpy(acc, reinterpret_cast<const float*>(s.srcs[0]) + u0, size_t(len) * 4);
    for (size_t m = 1; m < nsrc; m++) {
      const float* p = reinterpret_cast<const float*>(s.srcs[m]) + u0;
      if (isMax) maxF32(acc, p, len); else addF32(acc, p, len);
    }
  } else if (w.type == DType::BF16) {
    widenF32(acc, reinterpret_cast<const uint16_t*>(s.srcs[0]) + u0, len);
    for (size_t m = 1; m < nsrc; m++) {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(s.srcs[m]) + u0;
      if (isMax) maxBf16(acc, p, len); else addBf16(acc, p, len);
    }
    narrowBf16(narrow, acc, len);
    block = reinterpret_cast<const uint8_t*>(narrow);
    blockBytes = len * 2;
  } else {
    int32_t* iacc = reinterpret_cast<int32_t*>(acc);
    std::memcpy(iacc, reinterpret_cast<const int32_t*>(s.srcs[0]) + u0, size_t(len) * 4);
    for (size_t m = 1; m < nsrc; m++) {
      const int32_t* p = reinterpret_cast<const int32_t*>(s.srcs[m]) + u0;
      if (isMax) maxI32(iacc, p, len); else addI32(iacc, p, len);
    }
  }
  const int64_t off = u0 * int64_t(dtypeSize(w.type));
  for (uint8_t* d : s.dsts) writeBlock(d + off, block, blockBytes, w.stream);
}

// Copies bytes [u0, u1) of a segment's source to every destination (the source is read from memory
// once, then from cache).
void copyItem(const Work& w, const Segment& s, int64_t u0, int64_t u1) {
  const uint8_t* src = s.srcs[0] + u0;
  for (uint8_t* d : s.dsts)
    if (d + u0 != src) writeBlock(d + u0, src, u1 - u0, w.stream);
}

void runItem(const Work& w, int64_t item) {
  // The segment holding this item: the last one whose first item is not after it.
  size_t lo = 0, hi = w.used;
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (w.segs[mid].firstItem <= item) lo = mid; else hi = mid;
  }
  const Segment& s = w.segs[lo];
  const int64_t u0 = (item - s.firstItem) * w.blockUnits, u1 = std::min(s.units, u0 + w.blockUnits);
  if (w.kind == WorkKind::Copy) copyItem(w, s, u0, u1);
  else reduceItem(w, s, u0, u1);
}

// Builds the work of one collective into comm.work (reusing its vectors).
struct WorkBuilder {
  Work& w;
  explicit WorkBuilder(Work& work) : w(work) { w.used = 0; w.items = 0; }
  Segment& add(int64_t units) {
    if (w.used == w.segs.size()) w.segs.emplace_back();
    Segment& s = w.segs[w.used++];
    s.srcs.clear();
    s.dsts.clear();
    s.units = units;
    return s;
  }
  // Sizes the blocks, numbers the items and decides on streaming stores once every segment is in.
  void finish(int64_t writtenBytes, int members, int64_t minBlock, int64_t maxBlock) {
    int64_t total = 0;
    for (size_t i = 0; i < w.used; i++) total += w.segs[i].units;
    const int64_t even = total / (kItemsPerMember * members) / 64 * 64;  // a multiple of 64 keeps blocks aligned
    w.blockUnits = std::max(minBlock, std::min(maxBlock, even));
    int64_t next = 0;
    for (size_t i = 0; i < w.used; i++) {
      w.segs[i].firstItem = next;
      next += (w.segs[i].units + w.blockUnits - 1) / w.blockUnits;
    }
    w.items = next;
    w.stream = writtenBytes >= streamBytes();
  }
  void finishReduce(int64_t writtenBytes, int members) { finish(writtenBytes, members, kReduceElemsMin, kReduceElemsMax); }
  void finishCopy(int64_t writtenBytes, int members) { finish(writtenBytes, members, kCopyBytesMin, kCopyBytesMax); }
};

const uint8_t* inOf(const Slot& s) { return static_cast<const uint8_t*>(s.in); }
uint8_t* outOf(const Slot& s) { return static_cast<uint8_t*>(s.out); }

// Describes the collective `op` over the posted slots as work items. Runs once per collective, by
// the last member to arrive, with every member's buffers posted.
void planWork(const Op& op, Comm& comm) {
  const int n = int(comm.members.size());
  Work& w = comm.work;
  WorkBuilder b(w);
  const DType t = op.ins.empty() ? op.outs[0]->dtype : op.ins[0]->dtype;
  const int64_t es = int64_t(dtypeSize(t));
  w.type = t;
  switch (op.kind) {
    case OpKind::AllReduce: case OpKind::ReduceScatter: {
      w.kind = op.str("reduce", "sum") == "max" ? WorkKind::Max : WorkKind::Sum;
      if (op.kind == OpKind::AllReduce) {  // one segment: every input to every output
        Segment& s = b.add(op.ins[0]->numel);
        for (int m = 0; m < n; m++) { s.srcs.push_back(inOf(comm.slots[m])); s.dsts.push_back(outOf(comm.slots[m])); }
        b.finishReduce(n * op.outs[0]->numel * es, n);
      } else {  // segment r: chunk r of every input into member r's output
        const int64_t N = op.outs[0]->numel;
        for (int r = 0; r < n; r++) {
          Segment& s = b.add(N);
          for (int m = 0; m < n; m++) s.srcs.push_back(inOf(comm.slots[m]) + r * N * es);
          s.dsts.push_back(outOf(comm.slots[r]));
        }
        b.finishReduce(n * N * es, n);
      }
      return;
    }
    default:
      break;
  }
  w.kind = WorkKind::Copy;
  switch (op.kind) {
    case OpKind::AllGather: {  // segment m: member m's input into slot m of every output
      const int64_t B = comm.slots[0].inBytes;
      for (int m = 0; m < n; m++) {
        Segment& s = b.add(B);
        s.srcs.push_back(inOf(comm.slots[m]));
        for (int r = 0; r < n; r++) s.dsts.push_back(outOf(comm.slots[r]) + m * B);
      }
      b.finishCopy(n * n * B, n);
      return;
    }
    case OpKind::AllToAll: {  // chunk r of member m's input into slot m of member r's output
      const int64_t B = comm.slots[0].inBytes / n;
      for (int m = 0; m < n; m++)
        for (int r = 0; r < n; r++) {
          Segment& s = b.add(B);
          s.srcs.push_back(inOf(comm.slots[m]) + r * B);
          s.dsts.push_back(outOf(comm.slots[r]) + m * B);
        }
      b.finishCopy(n * n * B, n);
      return;
    }
    case OpKind::AllToAllV: {  // member m's rows for member r, after those of members before m
      int64_t total = 0;
      for (int r = 0; r < n; r++) {
        int64_t dst = 0;
        for (int m = 0; m < n; m++) {
          const Slot& sm = comm.slots[m];
          const auto& sc = *sm.sendCounts;
          int64_t srcRow = 0;
          for (int j = 0; j < r; j++) srcRow += int64_t(sc[j]);
          const int64_t bytes = int64_t(sc[r]) * sm.rowBytes;
          if (bytes > 0) {
            Segment& s = b.add(bytes);
            s.srcs.push_back(inOf(sm) + srcRow * sm.rowBytes);
            s.dsts.push_back(outOf(comm.slots[r]) + dst);
          }
          dst += bytes;
          total += bytes;
        }
      }
      b.finishCopy(total, n);
      return;
    }
    case OpKind::Broadcast: {
      const int root = comm.indexOf(int(op.num("root", comm.members[0])));
      const int64_t B = comm.slots[root].inBytes;
      Segment& s = b.add(B);
      s.srcs.push_back(inOf(comm.slots[root]));
      for (int r = 0; r < n; r++) s.dsts.push_back(outOf(comm.slots[r]));  // the root's own, if in place, is skipped
      b.finishCopy(n * B, n);
      return;
    }
    case OpKind::Send: case OpKind::Recv: {  // a pair: the receiver's output from the sender's input
      const int rcv = comm.slots[0].receives ? 0 : 1;
      const Slot &src = comm.slots[1 - rcv], &dst = comm.slots[rcv];
      Segment& s = b.add(dst.outBytes);
      s.srcs.push_back(inOf(src));
      s.dsts.push_back(outOf(dst));
      b.finishCopy(dst.outBytes, n);
      return;
    }
    default:
      b.finishCopy(0, n);
      return;
  }
}

}  // namespace

WaitResult runCollective(Op& op, Comm& comm, int me, RunControl& ctl) {
  const int n = int(comm.members.size());
  Buffer* in = op.ins.empty() ? nullptr : op.ins[0];
  Buffer* out = op.outs.empty() ? nullptr : op.outs[0];
  Slot& s = comm.slots[me];
  s.in = in ? in->data.data() : nullptr;
  s.out = out ? out->data.data() : nullptr;
  s.inBytes = in ? int64_t(in->bytes()) : 0;
  s.outBytes = out ? int64_t(out->bytes()) : 0;
  s.rowBytes = in && in->rows() > 0 ? s.inBytes / in->rows() : 0;
  s.receives = out != nullptr;
  auto sc = op.attrs.find("sendCounts");
  auto rc = op.attrs.find("recvCounts");
  s.sendCounts = sc != op.attrs.end() ? &sc->second.list : nullptr;
  s.recvCounts = rc != op.attrs.end() ? &rc->second.list : nullptr;
  // All-to-all in place: peers write this member's output while others still read its input, so
  // they read a private copy instead.
  if ((op.kind == OpKind::AllToAll || op.kind == OpKind::AllToAllV) && in && in == out && n > 1) {
    s.staged.assign(in->data.begin(), in->data.end());
    s.in = s.staged.data();
  }

  int64_t k;
  {
    std::unique_lock<std::mutex> lk(comm.m);
    k = comm.entered[me]++;
    if (++comm.arrived == n) {
      comm.arrived = 0;
      planWork(op, comm);
      comm.next.store(0, std::memory_order_relaxed);
      comm.done.store(0, std::memory_order_relaxed);
      comm.started = k + 1;
      if (comm.work.items == 0) comm.finished = k + 1;
      comm.cv.notify_all();
    } else {
      const WaitResult w = comm.waitPast(lk, comm.started, k, ctl);
      if (w != WaitResult::Ok) return w;
    }
  }

  const Work& w = comm.work;
  for (int64_t item; (item = comm.next.fetch_add(1, std::memory_order_relaxed)) < w.items;) {
    runItem(w, item);
    fenceStreams(w.stream);
    if (comm.done.fetch_add(1, std::memory_order_acq_rel) + 1 == w.items) {
      std::lock_guard<std::mutex> lk(comm.m);
      comm.finished = k + 1;
      comm.cv.notify_all();
    }
  }

  std::unique_lock<std::mutex> lk(comm.m);
  const WaitResult res = comm.waitPast(lk, comm.finished, k, ctl);
  if (res == WaitResult::Ok && !s.staged.empty()) std::vector<uint8_t>().swap(s.staged);
  return res;
}

}  // namespace ss
