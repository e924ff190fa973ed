// Shared-memory communicator for one process group of rank threads.
//
// A collective is one rendezvous and a pool of work items: every member posts its buffers; the last
// to arrive describes the whole collective as work items (blocks of the data) and wakes the others;
// then every member claims items from one atomic counter until none are left, and waits until the
// last item is done. Ranks may outnumber cores (8 rank threads on 2 cores), so the work is not tied
// to a member: whichever threads are running do all of it, and a member the scheduler has not woken
// yet finds nothing left. When the last item is done no member reads a peer's buffer any more, so
// that is also the end of the collective: no second rendezvous.
// Waits block on a condition variable (never spin) and return when the run stops: how long a wait may
// last is the run's watchdog's call (watchdog.h), which watches whether anyone it waits on still moves.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>
#include "program.h"

namespace ss {

struct RunControl {
  std::atomic<bool> stop{false};       // set on error, timeout or cancel: every wait returns
  std::atomic<bool> cancelled{false};
  int64_t timeoutMs = 30000;           // the watchdog's: longest wait with nothing it waits on moving
  std::mutex m;
  std::vector<std::condition_variable*> waiters;  // all groups' condvars, to wake on stop
};

enum class WaitResult { Ok, Stopped };

// What one member posts for a collective. Padded to a cache line: members write their own slots
// at the same time.
struct alignas(64) Slot {
  const void* in = nullptr;
  void* out = nullptr;
  int64_t inBytes = 0, outBytes = 0;
  int64_t rowBytes = 0;   // bytes per row of the input (all-to-all-v)
  bool receives = false;  // has an output (recv of a send/recv pair)
  const std::vector<double>* sendCounts = nullptr;
  const std::vector<double>* recvCounts = nullptr;
  std::vector<uint8_t> staged;  // a private copy of the input, for all-to-all in place
};

// A run of data that work items cover block by block: reductions read `srcs` (element offsets already
// applied) and write the result to every `dsts`; copies read `srcs[0]` and write it to every `dsts`.
struct Segment {
  std::vector<const uint8_t*> srcs;
  std::vector<uint8_t*> dsts;
  int64_t units = 0;      // elements (reductions) or bytes (copies)
  int64_t firstItem = 0;  // index of this segment's first work item
};

enum class WorkKind { Copy, Sum, Max };

// The whole collective as work items, written by the last member to arrive, read-only afterwards.
struct Work {
  WorkKind kind = WorkKind::Copy;
  DType type = DType::F32;
  bool stream = false;     // write with non-temporal stores: the output is too large to stay in cache
  int64_t blockUnits = 0;  // units per work item
  int64_t items = 0;
  std::vector<Segment> segs;
  size_t used = 0;         // segs[0..used) are this collective's (the vector keeps its capacity)
};

struct Comm {
  std::vector<int> members;  // global ranks, in group order
  std::mutex m;
  std::condition_variable cv;
  std::vector<Slot> slots;
  std::vector<int64_t> entered;  // per member: collectives entered (for the watchdog report)
  // Guarded by m.
  int arrived = 0;
  int64_t started = 0;   // collectives whose work has been published
  int64_t finished = 0;  // collectives whose every work item is done
  Work work;
  // Claimed and completed items of the collective in progress, each on its own cache line.
  alignas(64) std::atomic<int64_t> next{0};
  alignas(64) std::atomic<int64_t> done{0};

  explicit Comm(std::vector<int> mem) : members(std::move(mem)), slots(members.size()), entered(members.size(), 0) {}

  int indexOf(int rank) const {
    for (size_t i = 0; i < members.size(); i++) if (members[i] == rank) return int(i);
    return -1;
  }

  // Blocks until `counter` (started or finished) passes k or the run stops (stopAll sets stop, then
  // notifies under this lock, so the wake-up is never lost).
  WaitResult waitPast(std::unique_lock<std::mutex>& lk, const int64_t& counter, int64_t k, RunControl& ctl) {
    while (counter <= k) {
      if (ctl.stop.load()) return WaitResult::Stopped;
      cv.wait(lk);
    }
    return WaitResult::Ok;
  }
};

}  // namespace ss
