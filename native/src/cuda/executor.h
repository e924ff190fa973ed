// The CUDA backend: runs RankPrograms with one host thread per GPU (rank r on CUDA device r, as the
// driver numbers them after CUDA_VISIBLE_DEVICES), buffers in device memory, element-wise ops as NVRTC
// kernels (kernels.inc), GEMM through cuBLAS, collectives through one NCCL communicator per group (and
// per send/recv pair), and a pair of CUDA events around every op for its times. It reports through the
// callbacks below, so the addon's run bookkeeping (progress, events, failure report) stays in addon.cc.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>
#include "../program.h"

namespace ss {
namespace cuda {

struct Failure {
  std::string kind;     // "error" | "timeout"
  std::string message;  // "rank R, op I (name): ..." or "rank R: ..." for set-up
  int rank = -1, op = -1, comm = -1;
  int64_t seq = -1;
  std::vector<int> missing;  // for a timeout: members that never reached the collective
};

struct Job {
  int worldSize = 0;
  std::vector<RankProgram>* ranks = nullptr;
  std::vector<std::vector<int>> comms;  // members of every communicator: the groups, then send/recv pairs
  std::vector<std::string> dirs;        // library search order
  int64_t timeoutMs = 30000;            // longest time without progress on a rank
  std::atomic<bool>* stop = nullptr;    // set by the caller on cancel, or through onFailure
  std::set<const Buffer*> downloads;    // buffers whose final contents are read back to the host
  // Fills a buffer's host storage with its initial contents (zeros, data or counter values) before upload.
  std::function<void(Buffer&)> fillHost;
  // Frees a buffer's host storage once it is on the device.
  std::function<void(Buffer&)> releaseHost;
  // Gives a buffer host storage of its size to download into (its contents are then the run's).
  std::function<void(Buffer&)> hostStorage;
  // Runs an op that has no CUDA implementation yet (a registered OpHandler: attention, experts, ...) on
  // the host, between the GPU ops: its buffers are copied down, the op runs, its outputs go back up.
  // Unset, such ops are refused up front.
  std::function<void(Op& op, int rank)> runOnHost;
  std::function<void(int rank, size_t op)> onStarted;
  // Called in op order per rank once op `op` has finished on the GPU; times on the steady clock in ns.
  std::function<void(int rank, size_t op, const Event& ev)> onFinished;
  // The first failure; the caller records it and sets *stop.
  std::function<void(const Failure&)> onFailure;
};

// A program the CUDA backend cannot run, found before any work (message names the rank and the op).
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Loads the libraries, checks the GPUs and every op, compiles the kernels (NVRTC, once per process).
// Throws Refused with a message naming the library, call, or rank and op.
void prepare(const Job& job);

// The ops of the job that run on the host (names, once each, in order of appearance).
std::vector<std::string> hostOps(const Job& job);

// Runs the job (after prepare). Returns the NCCL log of the run (NCCL_DEBUG=INFO unless the user set
// NCCL_DEBUG, written to NCCL_DEBUG_FILE, an in-memory file of the process unless the user chose one).
std::string execute(Job& job);

}  // namespace cuda
}  // namespace ss
