// NCCL on the CPU: a communicator is shared state between the rank threads that joined it with the same
// unique id. Collectives run on the caller's stream worker: members post their buffers, meet, each
// computes its own output from the peers' inputs into scratch, meet again, then write it (so in-place
// calls are safe). Sends are buffered in per-pair mailboxes and receives wait for them, so grouped
// send/recv (all-to-all) cannot deadlock. ncclCommInitRank joins at once but, as in NCCL, a communicator
// is ready only when every member has joined: outside a group the call waits for that, inside
// ncclGroupStart/End the wait happens at ncclGroupEnd.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include "standin.h"

namespace {

using standin::envInt;

struct Post {
  const void* send = nullptr;
  void* recv = nullptr;
  size_t count = 0;
  int type = 0, op = 0, root = 0;
};

struct Shared {
  int nranks = 0;
  std::mutex m;
  std::condition_variable cv;
  bool aborted = false;
  int joined = 0;
  int arrived = 0;
  uint64_t gen = 0;
  std::vector<Post> posts;
  std::map<std::pair<int, int>, std::deque<std::vector<char>>> mail;

  // Waits for every member; false when the communicator was aborted or the wait ran out.
  bool meet() {
    std::unique_lock<std::mutex> lk(m);
    const uint64_t g = gen;
    if (++arrived == nranks) { arrived = 0; gen++; cv.notify_all(); return !aborted; }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(envInt("SHARDSCOPE_STANDIN_NCCL_TIMEOUT_MS", 300000));
    while (gen == g && !aborted)
      if (cv.wait_until(lk, deadline) == std::cv_status::timeout) return false;
    return !aborted;
  }
};

struct Comm {
  std::shared_ptr<Shared> sh;
  int rank = 0, device = 0;
};

std::mutex gM;
std::map<std::string, std::shared_ptr<Shared>> gShared;
uint64_t gNextId = 1;

enum class Kind { AllReduce, AllGather, ReduceScatter, Broadcast, Send, Recv };
struct Pending {
  Kind kind;
  std::shared_ptr<Shared> sh;
  int rank;
  Post post;
  int peer = 0;
  CUstream stream = nullptr;
};
thread_local int tDepth = 0;
thread_local std::vector<Pending> tPending;
thread_local std::vector<Comm*> tInits;

size_t sizeOf(int type) { return type == SS_ncclBfloat16 ? 2 : 4; }
bool knownType(int type) { return type == SS_ncclFloat32 || type == SS_ncclBfloat16 || type == SS_ncclInt32; }

double load(const void* p, int type, size_t i) {
  if (type == SS_ncclFloat32) return static_cast<const float*>(p)[i];
  if (type == SS_ncclInt32) return static_cast<const int32_t*>(p)[i];
  uint32_t u = uint32_t(static_cast<const uint16_t*>(p)[i]) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
void store(void* p, int type, size_t i, double v) {
  if (type == SS_ncclFloat32) { static_cast<float*>(p)[i] = float(v); return; }
  if (type == SS_ncclInt32) { static_cast<int32_t*>(p)[i] = int32_t(v); return; }
  float f = float(v);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffff) > 0x7f800000) { static_cast<uint16_t*>(p)[i] = uint16_t((u >> 16) | 0x40); return; }
  u += 0x7fff + ((u >> 16) & 1);
  static_cast<uint16_t*>(p)[i] = uint16_t(u >> 16);
}

// One rank's part of a collective (on its stream worker).
void collective(const Pending& p) {
  Shared& sh = *p.sh;
  const int n = sh.nranks, me = p.rank;
  sh.posts[size_t(me)] = p.post;
  if (!sh.meet()) return;
  const Post& mine = p.post;
  const size_t es = sizeOf(mine.type);
  std::vector<char> out;
  auto reduce = [&](size_t count, size_t offset) {
    out.resize(count * es);
    for (size_t e = 0; e < count; e++) {
      // fp32 accumulation in member order (bf16 rounded once, on store); integers exactly.
      float accF = 0;
      double accI = 0;
      for (int r = 0; r < n; r++) {
        const double v = load(sh.posts[size_t(r)].send, mine.type, offset + e);
        if (mine.type == SS_ncclInt32) accI = r == 0 ? v : mine.op == SS_ncclMax ? std::max(accI, v) : accI + v;
        else accF = r == 0 ? float(v) : mine.op == SS_ncclMax ? std::max(accF, float(v)) : accF + float(v);
      }
      store(out.data(), mine.type, e, mine.type == SS_ncclInt32 ? accI : accF);
    }
  };
  switch (p.kind) {
    case Kind::AllReduce: reduce(mine.count, 0); break;
    case Kind::ReduceScatter: reduce(mine.count, size_t(me) * mine.count); break;
    case Kind::AllGather:
      out.resize(size_t(n) * mine.count * es);
      for (int r = 0; r < n; r++) std::memcpy(out.data() + size_t(r) * mine.count * es, sh.posts[size_t(r)].send, mine.count * es);
      break;
    case Kind::Broadcast:
      out.resize(mine.count * es);
      std::memcpy(out.data(), sh.posts[size_t(mine.root)].send, out.size());
      break;
    default: break;
  }
  if (!sh.meet()) return;
  std::memcpy(mine.recv, out.data(), out.size());
}

void send(const Pending& p) {
  const size_t bytes = p.post.count * sizeOf(p.post.type);
  std::vector<char> msg(bytes);
  std::memcpy(msg.data(), p.post.send, bytes);
  std::lock_guard<std::mutex> lk(p.sh->m);
  p.sh->mail[{p.rank, p.peer}].push_back(std::move(msg));
  p.sh->cv.notify_all();
}

void recv(const Pending& p) {
  Shared& sh = *p.sh;
  std::unique_lock<std::mutex> lk(sh.m);
  auto& box = sh.mail[{p.peer, p.rank}];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(envInt("SHARDSCOPE_STANDIN_NCCL_TIMEOUT_MS", 300000));
  while (box.empty() && !sh.aborted)
    if (sh.cv.wait_until(lk, deadline) == std::cv_status::timeout) return;
  if (sh.aborted) return;
  std::vector<char> msg = std::move(box.front());
  box.pop_front();
  lk.unlock();
  std::memcpy(p.post.recv, msg.data(), std::min(msg.size(), p.post.count * sizeOf(p.post.type)));
}

// Runs a batch (one call, or a whole group) on each stream it names: sends first, then the rest in order.
void launch(std::vector<Pending> ops) {
  std::vector<CUstream> streams;
  for (const auto& p : ops) if (std::find(streams.begin(), streams.end(), p.stream) == streams.end()) streams.push_back(p.stream);
  for (CUstream s : streams) {
    std::vector<Pending> mine;
    for (const auto& p : ops) if (p.stream == s) mine.push_back(p);
    standin::enqueue(s, [mine] {
      for (const auto& p : mine) if (p.kind == Kind::Send) send(p);
      for (const auto& p : mine) {
        if (p.kind == Kind::Recv) recv(p);
        else if (p.kind != Kind::Send) collective(p);
      }
    });
  }
}

ncclResult_t submit(Pending p) {
  if (!knownType(p.post.type)) return 4;  // ncclInvalidArgument
  if (tDepth > 0) { tPending.push_back(std::move(p)); return 0; }
  launch({std::move(p)});
  return 0;
}

// Waits until every member of c's communicator has joined.
ncclResult_t ready(Comm* c) {
  std::unique_lock<std::mutex> lk(c->sh->m);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(envInt("SHARDSCOPE_STANDIN_NCCL_TIMEOUT_MS", 300000));
  while (c->sh->joined < c->sh->nranks && !c->sh->aborted)
    if (c->sh->cv.wait_until(lk, deadline) == std::cv_status::timeout) return 2;  // ncclSystemError
  lk.unlock();
  char line[200];
  std::snprintf(line, sizeof line, "comm %p rank %d nranks %d cudaDev %d busId %s - Init COMPLETE", static_cast<void*>(c), c->rank,
                c->sh->nranks, c->device, standin::busIdOf(standin::visibleGpus()[size_t(c->device)]).c_str());
  standin::ncclLog(c->device, line);
  return 0;
}

}  // namespace

using namespace standin;

STANDIN_API ncclResult_t ncclGetVersion(int* v) { *v = 22809; return 0; }
STANDIN_API const char* ncclGetErrorString(ncclResult_t r) {
  switch (r) {
    case 0: return "no error";
    case 1: return "unhandled cuda error (run with NCCL_DEBUG=INFO for details)";
    case 2: return "unhandled system error (run with NCCL_DEBUG=INFO for details)";
    case 3: return "internal error - please report this issue to the NCCL developers";
    case 4: return "invalid argument (run with NCCL_DEBUG=WARN for details)";
    case 5: return "invalid usage (run with NCCL_DEBUG=WARN for details)";
    default: return "unknown result code";
  }
}
STANDIN_API ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  if (injected("ncclGetUniqueId")) return 2;
  std::memset(id, 0, sizeof *id);
  std::lock_guard<std::mutex> lk(gM);
  std::snprintf(id->internal, sizeof id->internal, "standin-%llu", static_cast<unsigned long long>(gNextId++));
  return 0;
}
STANDIN_API ncclResult_t ncclCommInitRank(ncclComm_t* out, int nranks, ncclUniqueId id, int rank) {
  if (injected("ncclCommInitRank")) return 2;
  if (currentDevice() < 0) return 1;  // ncclUnhandledCudaError: no current context
  if (nranks < 1 || rank < 0 || rank >= nranks) return 4;
  std::shared_ptr<Shared> sh;
  {
    std::lock_guard<std::mutex> lk(gM);
    static bool announced = false;
    if (!announced) { announced = true; ncclLog(currentDevice(), "NCCL version 2.28.9+standin"); }
    auto& slot = gShared[std::string(id.internal, strnlen(id.internal, sizeof id.internal))];
    if (!slot) { slot = std::make_shared<Shared>(); slot->nranks = nranks; slot->posts.resize(size_t(nranks)); }
    if (slot->nranks != nranks) return 4;
    sh = slot;
  }
  { std::lock_guard<std::mutex> lk(sh->m); sh->joined++; sh->cv.notify_all(); }
  auto* c = new Comm{sh, rank, currentDevice()};
  *out = reinterpret_cast<ncclComm_t>(c);
  if (tDepth > 0) { tInits.push_back(c); return 0; }
  return ready(c);
}
STANDIN_API ncclResult_t ncclGroupStart() { tDepth++; return 0; }
STANDIN_API ncclResult_t ncclGroupEnd() {
  if (tDepth == 0) return 5;  // ncclInvalidUsage
  if (--tDepth > 0) return 0;
  std::vector<Comm*> inits;
  inits.swap(tInits);
  for (Comm* c : inits) if (ncclResult_t r = ready(c)) { tPending.clear(); return r; }
  std::vector<Pending> ops;
  ops.swap(tPending);
  if (!ops.empty()) launch(std::move(ops));
  return 0;
}
STANDIN_API ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  auto* c = reinterpret_cast<Comm*>(comm);
  char line[120];
  std::snprintf(line, sizeof line, "comm %p rank %d nranks %d cudaDev %d - Destroy COMPLETE", static_cast<void*>(c), c->rank, c->sh->nranks, c->device);
  ncclLog(c->device, line);
  delete c;
  return 0;
}
STANDIN_API ncclResult_t ncclCommAbort(ncclComm_t comm) {
  auto* c = reinterpret_cast<Comm*>(comm);
  { std::lock_guard<std::mutex> lk(c->sh->m); c->sh->aborted = true; c->sh->cv.notify_all(); }
  char line[120];
  std::snprintf(line, sizeof line, "comm %p rank %d nranks %d cudaDev %d - Abort COMPLETE", static_cast<void*>(c), c->rank, c->sh->nranks, c->device);
  ncclLog(c->device, line);
  delete c;
  return 0;
}

#define COMM reinterpret_cast<Comm*>(comm)
STANDIN_API ncclResult_t ncclAllReduce(const void* s, void* r, size_t count, int type, int op, ncclComm_t comm, CUstream st) {
  if (injected("ncclAllReduce")) return 3;
  return submit({Kind::AllReduce, COMM->sh, COMM->rank, {s, r, count, type, op, 0}, 0, st});
}
STANDIN_API ncclResult_t ncclAllGather(const void* s, void* r, size_t count, int type, ncclComm_t comm, CUstream st) {
  return submit({Kind::AllGather, COMM->sh, COMM->rank, {s, r, count, type, 0, 0}, 0, st});
}
STANDIN_API ncclResult_t ncclReduceScatter(const void* s, void* r, size_t count, int type, int op, ncclComm_t comm, CUstream st) {
  return submit({Kind::ReduceScatter, COMM->sh, COMM->rank, {s, r, count, type, op, 0}, 0, st});
}
STANDIN_API ncclResult_t ncclBroadcast(const void* s, void* r, size_t count, int type, int root, ncclComm_t comm, CUstream st) {
  if (root < 0 || root >= COMM->sh->nranks) return 4;
  return submit({Kind::Broadcast, COMM->sh, COMM->rank, {s, r, count, type, 0, root}, 0, st});
}
STANDIN_API ncclResult_t ncclSend(const void* s, size_t count, int type, int peer, ncclComm_t comm, CUstream st) {
  if (peer < 0 || peer >= COMM->sh->nranks) return 4;
  return submit({Kind::Send, COMM->sh, COMM->rank, {s, nullptr, count, type, 0, 0}, peer, st});
}
STANDIN_API ncclResult_t ncclRecv(void* r, size_t count, int type, int peer, ncclComm_t comm, CUstream st) {
  if (peer < 0 || peer >= COMM->sh->nranks) return 4;
  return submit({Kind::Recv, COMM->sh, COMM->rank, {nullptr, r, count, type, 0, 0}, peer, st});
}
