// A stand-in for the CUDA driver, NVRTC, cuBLAS, NCCL and NVML that does the work on the CPU, so that
// the CUDA backend's host logic (library search, symbol loading, error reporting, streams and events,
// communicators per group) runs in tests on machines without a GPU. One shared library exports every
// symbol; the build (build.ts) links it under each soname the backend looks for.
// Device memory is host memory; each stream is a worker thread that runs what was queued on it in
// order; a kernel launch runs the kernel's C++ build of the same CUDA C text (kernels.cc), block by
// block, thread by thread. Knobs (environment):
//   SHARDSCOPE_STANDIN_GPUS     physical GPUs (default 4; CUDA_VISIBLE_DEVICES picks among them)
//   SHARDSCOPE_STANDIN_CC       compute capability (default 9.0)
//   SHARDSCOPE_STANDIN_ARCHS    NVRTC's supported architectures (default 50,60,70,75,80,86,89,90)
//   SHARDSCOPE_STANDIN_FAIL     comma-separated entry points that fail (e.g. cuInit,ncclCommInitRank)
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include "../../../native/src/cuda/api.h"

#define STANDIN_API extern "C" __attribute__((visibility("default")))

namespace standin {

// Whether SHARDSCOPE_STANDIN_FAIL names this entry point.
bool injected(const char* name);
int64_t nowNs();
int envInt(const char* name, int dflt);

int physicalGpus();
// Visible ordinal → physical index, after CUDA_VISIBLE_DEVICES.
const std::vector<int>& visibleGpus();
std::string busIdOf(int physical);  // "00000000:1X:00.0"
int ccMajor();
int ccMinor();

// The calling thread's current device (visible ordinal), -1 when no context is current.
int currentDevice();

struct Stream {
  int device = 0;
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::function<void()>> q;
  bool busy = false, quit = false;
  std::thread worker;
  explicit Stream(int dev);
  ~Stream();
  void push(std::function<void()> f);
  void sync();
  bool idle();
};

// Runs f on the stream, or now when the stream is null (the legacy default stream, synchronous here).
void enqueue(CUstream s, std::function<void()> f);

// NCCL's log lines (NCCL_DEBUG=INFO, NCCL_DEBUG_FILE), in the real library's shape.
void ncclLog(int device, const std::string& line);

}  // namespace standin
