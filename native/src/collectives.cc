#include "collectives.h"
#include <algorithm>
#include <cmath>
#include <cstring>

namespace ss {

namespace {

// Sums element block [lo, hi) over every member's input and writes it to every member's output.
// Reads all inputs of a block before any write, so in-place buffers (in == out) are safe.
void reduceBlockToAll(Comm& comm, DType t, int64_t lo, int64_t hi, bool toAll, int dstMember, int64_t dstOffset, bool isMax) {
  const int n = int(comm.members.size());
  const int64_t B = 4096;
  float acc[4096];
  for (int64_t b0 = lo; b0 < hi; b0 += B) {
    const int64_t len = std::min(B, hi - b0);
    for (int m = 0; m < n; m++) {
      const void* in = comm.slots[m].in;
      if (t == DType::F32) {
        const float* p = static_cast<const float*>(in) + b0;
        if (m == 0) std::memcpy(acc, p, len * 4);
        else if (isMax) for (int64_t i = 0; i < len; i++) acc[i] = std::max(acc[i], p[i]);
        else for (int64_t i = 0; i < len; i++) acc[i] += p[i];
      } else if (t == DType::BF16) {
        const uint16_t* p = static_cast<const uint16_t*>(in) + b0;
        for (int64_t i = 0; i < len; i++) {
          const float v = bf16ToF32(p[i]);
          acc[i] = m == 0 ? v : isMax ? std::max(acc[i], v) : acc[i] + v;
        }
      } else {
        const int32_t* p = static_cast<const int32_t*>(in) + b0;
        for (int64_t i = 0; i < len; i++) {
          const float v = float(p[i]);
          acc[i] = m == 0 ? v : isMax ? std::max(acc[i], v) : acc[i] + v;
        }
      }
    }
    for (int m = 0; m < n; m++) {
      if (!toAll && m != dstMember) continue;
      const int64_t off = toAll ? b0 : b0 - lo + dstOffset;
      void* out = comm.slots[m].out;
      if (t == DType::F32) std::memcpy(static_cast<float*>(out) + off, acc, len * 4);
      else if (t == DType::BF16) for (int64_t i = 0; i < len; i++) static_cast<uint16_t*>(out)[off + i] = f32ToBf16(acc[i]);
      else for (int64_t i = 0; i < len; i++) static_cast<int32_t*>(out)[off + i] = int32_t(std::lrint(acc[i]));
    }
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
  auto sc = op.attrs.find("sendCounts");
  auto rc = op.attrs.find("recvCounts");
  s.sendCounts = sc != op.attrs.end() ? &sc->second.list : nullptr;
  s.recvCounts = rc != op.attrs.end() ? &rc->second.list : nullptr;
  {
    std::lock_guard<std::mutex> lk(comm.m);
    comm.entered[me]++;
  }
  WaitResult w = comm.barrier(ctl);
  if (w != WaitResult::Ok) return w;

  switch (op.kind) {
    case OpKind::AllReduce: {  // member i reduces element chunk i for everyone
      const int64_t N = in->numel, chunk = (N + n - 1) / n;
      const int64_t lo = std::min(N, chunk * me), hi = std::min(N, lo + chunk);
      reduceBlockToAll(comm, in->dtype, lo, hi, true, 0, 0, op.str("reduce", "sum") == "max");
      break;
    }
    case OpKind::ReduceScatter: {  // member i reduces chunk i into its own output
      const int64_t N = out->numel;
      reduceBlockToAll(comm, in->dtype, N * me, N * (me + 1), false, me, 0, op.str("reduce", "sum") == "max");
      break;
    }
    case OpKind::AllGather: {  // member i pulls every member's input into its own output
      const int64_t b = s.inBytes;
      for (int m = 0; m < n; m++)
        std::memcpy(static_cast<uint8_t*>(s.out) + m * b, comm.slots[m].in, b);
      break;
    }
    case OpKind::AllToAll: {  // member i pulls chunk i of every member's input
      const int64_t b = s.inBytes / n;
      for (int m = 0; m < n; m++)
        std::memcpy(static_cast<uint8_t*>(s.out) + m * b, static_cast<const uint8_t*>(comm.slots[m].in) + me * b, b);
      break;
    }
    case OpKind::AllToAllV: {  // rows: member m sends sendCounts[i] rows to member i, in member order
      const int64_t rowBytes = in->rows() ? s.inBytes / in->rows() : 0;
      int64_t dst = 0;
      for (int m = 0; m < n; m++) {
        const auto& peerSend = *comm.slots[m].sendCounts;
        int64_t srcRow = 0;
        for (int j = 0; j < me; j++) srcRow += int64_t(peerSend[j]);
        const int64_t rows = int64_t(peerSend[me]);
        std::memcpy(static_cast<uint8_t*>(s.out) + dst, static_cast<const uint8_t*>(comm.slots[m].in) + srcRow * rowBytes, rows * rowBytes);
        dst += rows * rowBytes;
      }
      break;
    }
    case OpKind::Broadcast: {
      const int root = comm.indexOf(int(op.num("root", comm.members[0])));
      if (root != me || s.out != s.in) std::memmove(s.out, comm.slots[root].in, s.outBytes);
      break;
    }
    case OpKind::Send:
      break;  // the receiver pulls
    case OpKind::Recv: {
      const int peer = 1 - me;
      std::memcpy(s.out, comm.slots[peer].in, s.outBytes);
      break;
    }
    default:
      break;
  }
  return comm.barrier(ctl);
}

}  // namespace ss
