// Compute ops beyond ops.cc's core set, registered by the file that implements them. An OpHandler
// claims an op once its buffers are resolved (by name, and for ops the core set also knows, by the
// attributes that make them differ: gemm transA, grouped rmsnorm, slice by index/parts, the lowering's
// topk with a routingKey); the executor then validates it before any work and runs it on the rank thread.
//
// To add ops in a new file: define handlers and register them at load time,
//   static const ss::OpHandler kMine{"my_op", claimFn, validateFn, runFn};
//   static const ss::RegisterOp regMine(&kMine);
// and add the file to binding.gyp.
#pragma once
#include <map>
#include <string>
#include <vector>
#include "program.h"

namespace ss {

// Routing choices of a topk op, by its routingKey: indices and weights, T×k each (indices as floats,
// as the lowering declares them).
struct Routing {
  std::vector<float> idx, weights;
};
using RoutingMap = std::map<std::string, Routing>;

// What a handler may read besides the op: the rank and run-wide data.
struct OpEnv {
  int rank = 0;
  const RoutingMap* routing = nullptr;  // choices to reuse (may be null)
  int threads = 1;                      // threads the op may use (CPU backend: cores the rank threads leave)
  // Time the op spent making weights it generates itself (experts), ns: a rehearsal's set-up, not the
  // op; the rank thread starts the op's event that much later. The handler adds to it.
  int64_t setupNs = 0;
};

struct OpHandler {
  const char* name;
  // Whether this handler runs the op (buffers resolved, attributes read). Null: every op of that name.
  bool (*claims)(const Op& op);
  // "" when the op is well formed, else what is wrong (shapes, attributes): checked before any work.
  std::string (*validate)(const Op& op);
  // Runs the op; throws std::runtime_error on a failure found only at run time.
  void (*run)(Op& op, OpEnv& env);
};

// Registers a handler (at static initialisation). Handlers are tried in registration order.
void registerOpHandler(const OpHandler* h);
// The handler that claims op, or null.
const OpHandler* findOpHandler(const Op& op);
// Whether any handler has this name (to tell an unknown op from one whose attributes no handler claims).
bool hasOpHandlerNamed(const std::string& name);

struct RegisterOp {
  explicit RegisterOp(const OpHandler* h) { registerOpHandler(h); }
};

}  // namespace ss
