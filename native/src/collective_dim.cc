#include "collective_dim.h"
#include <cstring>

namespace ss {

namespace {
// Elements before dim (outer) of a shape; dim normalised against the shape's rank.
int64_t outerOf(const Buffer& b, int dim) {
  int64_t outer = 1;
  for (int d = 0; d < dim && d < int(b.shape.size()); d++) outer *= b.shape[d];
  return outer;
}

Buffer scratch(const Buffer& like, int64_t numel) {
  Buffer t;
  t.id = like.id + "#scratch";
  t.dtype = like.dtype;
  t.numel = numel;
  t.shape = {numel};
  t.data.assign(size_t(numel) * dtypeSize(like.dtype), 0);
  return t;
}
}  // namespace

WaitResult runCollectiveAlongDim(Op& op, Comm& comm, int me, RunControl& ctl) {
  const bool gather = op.kind == OpKind::AllGather, scatter = op.kind == OpKind::ReduceScatter;
  if ((!gather && !scatter) || op.ins.empty() || op.outs.empty()) return runCollective(op, comm, me, ctl);
  Buffer& in = *op.ins[0];
  int dim = int(op.num("dim", 0));
  if (dim < 0) dim += int(in.shape.size());
  const int64_t outer = outerOf(in, dim);
  if (dim <= 0 || outer <= 1) return runCollective(op, comm, me, ctl);
  const int n = int(comm.members.size());
  const size_t es = dtypeSize(in.dtype);
  Op inner = op;
  if (gather) {
    // Member-major [n][outer][block], then each outer row takes the members' blocks in order.
    Buffer& out = *op.outs[0];
    Buffer tmp = scratch(out, out.numel);
    inner.outs[0] = &tmp;
    WaitResult w = runCollective(inner, comm, me, ctl);
    if (w != WaitResult::Ok) return w;
    const size_t block = size_t(in.numel / outer) * es;
    for (int64_t o = 0; o < outer; o++)
      for (int m = 0; m < n; m++)
        std::memcpy(out.data.data() + (size_t(o) * n + m) * block, tmp.data.data() + (size_t(m) * outer + o) * block, block);
    return w;
  }
  // reduce_scatter: lay chunk i of every outer row together, so member i's dim-0 chunk is its share.
  const size_t full = size_t(in.numel / outer) * es, chunk = full / size_t(n);
  Buffer tmp = scratch(in, in.numel);
  for (int m = 0; m < n; m++)
    for (int64_t o = 0; o < outer; o++)
      std::memcpy(tmp.data.data() + (size_t(m) * outer + o) * chunk, in.data.data() + size_t(o) * full + m * chunk, chunk);
  inner.ins[0] = &tmp;
  return runCollective(inner, comm, me, ctl);
}

}  // namespace ss
