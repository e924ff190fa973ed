// The run's watchdog watches progress, not silence. A rank waiting in a collective is hung only when it
// has waited longer than the timeout and nothing it waits on can still move: every member that has not
// arrived is itself waiting in a collective that cannot complete, has finished its program, or sits in
// an op that reported no work (progress.h) for the timeout. A long GEMM on one rank therefore never ends
// a run whose other ranks wait for it, and a real deadlock (a rank that skipped a collective, ranks that
// wait on each other in different groups) is reported with every wait it involves.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ss {

enum class RankState { Running, Waiting, Done };

// One rank as the watchdog sees it at one tick.
struct RankView {
  RankState state = RankState::Running;
  int64_t idleNs = 0;          // Running: time since its op last reported work (or since the op began)
  int op = -1;                 // Waiting: the collective's op index, its comm (group) and sequence number
  int comm = -1;
  int64_t seq = -1;
  int64_t waitedNs = 0;
  std::vector<int> missing;    // Waiting: members of the group that have not arrived at this collective
};

// A wait that can never end.
struct HangWait {
  int rank = -1, op = -1, comm = -1;
  int64_t seq = -1, waitedNs = 0;
  std::vector<int> missing;
};

// The hung waits: first the lowest rank that waited past the timeout with nothing it waits on able to
// move, then, in rank order, every other rank waiting where it can never be released (however long it
// has waited so far); empty while the run can move.
std::vector<HangWait> findHang(const std::vector<RankView>& ranks, int64_t timeoutNs);

}  // namespace ss
