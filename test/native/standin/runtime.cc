// Shared parts of the stand-in: knobs, visible devices, stream workers.
#include "standin.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <unistd.h>
#include <sys/syscall.h>

namespace standin {

bool injected(const char* name) {
  const char* v = std::getenv("SHARDSCOPE_STANDIN_FAIL");
  if (!v) return false;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) if (item == name) return true;
  return false;
}

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int envInt(const char* name, int dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : dflt;
}

int physicalGpus() { return envInt("SHARDSCOPE_STANDIN_GPUS", 4); }

const std::vector<int>& visibleGpus() {
  static std::vector<int> v = [] {
    std::vector<int> out;
    const int n = physicalGpus();
    const char* vis = std::getenv("CUDA_VISIBLE_DEVICES");
    if (!vis) { for (int i = 0; i < n; i++) out.push_back(i); return out; }
    // As the driver does: indices in order, stopping at the first invalid one.
    std::stringstream ss(vis);
    std::string item;
    while (std::getline(ss, item, ',')) {
      char* end = nullptr;
      const long i = std::strtol(item.c_str(), &end, 10);
      if (item.empty() || *end || i < 0 || i >= n) break;
      out.push_back(int(i));
    }
    return out;
  }();
  return v;
}

std::string busIdOf(int physical) {
  char b[32];
  std::snprintf(b, sizeof b, "00000000:%02X:00.0", 0x10 + physical);
  return b;
}

static int ccPart(int which) {
  const char* v = std::getenv("SHARDSCOPE_STANDIN_CC");
  int ma = 9, mi = 0;
  if (v) std::sscanf(v, "%d.%d", &ma, &mi);
  return which ? mi : ma;
}
int ccMajor() { return ccPart(0); }
int ccMinor() { return ccPart(1); }

Stream::Stream(int dev) : device(dev) {
  worker = std::thread([this] {
    std::unique_lock<std::mutex> lk(m);
    for (;;) {
      cv.wait(lk, [this] { return quit || !q.empty(); });
      if (q.empty() && quit) return;
      auto f = std::move(q.front());
      q.pop_front();
      busy = true;
      lk.unlock();
      f();
      lk.lock();
      busy = false;
      cv.notify_all();
    }
  });
}

Stream::~Stream() {
  { std::lock_guard<std::mutex> lk(m); quit = true; }
  cv.notify_all();
  worker.join();
}

void Stream::push(std::function<void()> f) {
  { std::lock_guard<std::mutex> lk(m); q.push_back(std::move(f)); }
  cv.notify_all();
}

void Stream::sync() {
  std::unique_lock<std::mutex> lk(m);
  cv.wait(lk, [this] { return q.empty() && !busy; });
}

bool Stream::idle() {
  std::lock_guard<std::mutex> lk(m);
  return q.empty() && !busy;
}

void enqueue(CUstream s, std::function<void()> f) {
  if (!s) { f(); return; }
  reinterpret_cast<Stream*>(s)->push(std::move(f));
}

void ncclLog(int device, const std::string& line) {
  const char* level = std::getenv("NCCL_DEBUG");
  if (!level || std::string(level) != "INFO") return;
  const char* path = std::getenv("NCCL_DEBUG_FILE");
  static std::mutex m;
  std::lock_guard<std::mutex> lk(m);
  FILE* f = path ? std::fopen(path, "a") : stdout;
  if (!f) return;
  char host[64] = "host";
  gethostname(host, sizeof host - 1);
  std::fprintf(f, "%s:%d:%ld [%d] NCCL INFO %s\n", host, int(getpid()), long(syscall(SYS_gettid)), device, line.c_str());
  if (f != stdout) std::fclose(f);
}

}  // namespace standin
