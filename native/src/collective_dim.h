// all_gather and reduce_scatter along a dim other than the first (attrs.dim, as the lowering emits
// them): the shared-memory collectives work on dim 0, so the blocks are laid out member-major around
// them. all_gather along dim d: every rank's [outer, inner] block lands at its member slot inside each
// outer row; reduce_scatter along d: member i keeps chunk i of every outer row, summed.
#pragma once
#include "collectives.h"

namespace ss {

// runCollective, with attrs.dim honoured for all_gather and reduce_scatter.
WaitResult runCollectiveAlongDim(Op& op, Comm& comm, int me, RunControl& ctl);

}  // namespace ss
