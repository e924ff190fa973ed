// Work done inside long ops, counted as it happens, so that the run's watchdog (watchdog.h) can tell a
// long op, whose count moves, from a rank that is stuck. The rank thread points tWork at its rank's
// counter for the run; threads an op starts for itself carry the pointer over with WorkScope.
#pragma once
#include <atomic>
#include <cstdint>

namespace ss {

inline thread_local std::atomic<int64_t>* tWork = nullptr;

// Reports `units` of work done (blocks of a GEMM, query rows of attention, experts, generated rows).
inline void workDone(int64_t units = 1) {
  if (tWork) tWork->fetch_add(units, std::memory_order_relaxed);
}

// Makes this thread report into `w` while it lives (a pool thread takes its rank thread's counter).
struct WorkScope {
  std::atomic<int64_t>* prev;
  explicit WorkScope(std::atomic<int64_t>* w) : prev(tWork) { tWork = w; }
  ~WorkScope() { tWork = prev; }
  WorkScope(const WorkScope&) = delete;
  WorkScope& operator=(const WorkScope&) = delete;
};

}  // namespace ss
