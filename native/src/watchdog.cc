#include "watchdog.h"

namespace ss {

namespace {
// Whether a waiting rank can never be released: walks the ranks it waits on, and those they wait on;
// any that can still move (a running op that reported work lately, a collective everyone reached) can.
bool cannotMove(const std::vector<RankView>& ranks, int r0, int64_t timeoutNs) {
  const int n = int(ranks.size());
  std::vector<bool> seen(size_t(n), false);
  std::vector<int> todo{r0};
  seen[size_t(r0)] = true;
  for (size_t k = 0; k < todo.size(); k++) {
    const RankView& v = ranks[size_t(todo[k])];
    if (v.state == RankState::Running && v.idleNs < timeoutNs) return false;
    if (v.state != RankState::Waiting) continue;  // finished, or stuck in an op that reports nothing
    if (v.missing.empty()) return false;          // everyone arrived: the collective's work is under way
    for (int m : v.missing)
      if (m >= 0 && m < n && !seen[size_t(m)]) { seen[size_t(m)] = true; todo.push_back(m); }
  }
  return true;
}

bool waits(const RankView& v) { return v.state == RankState::Waiting && !v.missing.empty(); }
}  // namespace

std::vector<HangWait> findHang(const std::vector<RankView>& ranks, int64_t timeoutNs) {
  const int n = int(ranks.size());
  for (int r0 = 0; r0 < n; r0++) {
    const RankView& v0 = ranks[size_t(r0)];
    if (!waits(v0) || v0.waitedNs < timeoutNs || !cannotMove(ranks, r0, timeoutNs)) continue;
    std::vector<HangWait> out{{r0, v0.op, v0.comm, v0.seq, v0.waitedNs, v0.missing}};
    for (int q = 0; q < n; q++) {
      const RankView& v = ranks[size_t(q)];
      if (q != r0 && waits(v) && cannotMove(ranks, q, timeoutNs)) out.push_back({q, v.op, v.comm, v.seq, v.waitedNs, v.missing});
    }
    return out;
  }
  return {};
}

}  // namespace ss
