// Shared-memory communicator for one process group of rank threads. Every collective is two
// rendezvous: ranks post their buffers and wait for all members, each does its share of the work
// reading peers' buffers directly, then all wait again so no one reuses a buffer still being read.
// Waits block on a condition variable with a deadline (ranks outnumber cores: never spin).
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>
#include <string>

namespace ss {

struct RunControl {
  std::atomic<bool> stop{false};       // set on error, timeout or cancel: every wait returns
  std::atomic<bool> cancelled{false};
  int64_t timeoutMs = 30000;
  std::mutex m;
  std::vector<std::condition_variable*> waiters;  // all groups' condvars, to wake on stop
};

enum class WaitResult { Ok, Timeout, Stopped };

struct Slot {
  void* in = nullptr;
  void* out = nullptr;
  int64_t inBytes = 0, outBytes = 0;
  const std::vector<double>* sendCounts = nullptr;
  const std::vector<double>* recvCounts = nullptr;
};

struct Comm {
  std::vector<int> members;  // global ranks, in group order
  std::mutex m;
  std::condition_variable cv;
  int count = 0;
  uint64_t generation = 0;
  std::vector<Slot> slots;
  std::vector<int64_t> entered;  // per member: collectives entered (for the watchdog report)

  explicit Comm(std::vector<int> mem) : members(std::move(mem)), slots(members.size()), entered(members.size(), 0) {}

  int indexOf(int rank) const {
    for (size_t i = 0; i < members.size(); i++) if (members[i] == rank) return int(i);
    return -1;
  }

  WaitResult barrier(RunControl& ctl) {
    std::unique_lock<std::mutex> lk(m);
    uint64_t gen = generation;
    if (++count == int(members.size())) {
      count = 0;
      generation++;
      cv.notify_all();
      return WaitResult::Ok;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ctl.timeoutMs);
    while (generation == gen) {
      if (ctl.stop.load()) return WaitResult::Stopped;
      if (cv.wait_until(lk, deadline) == std::cv_status::timeout && generation == gen) return WaitResult::Timeout;
    }
    return WaitResult::Ok;
  }
};

}  // namespace ss
