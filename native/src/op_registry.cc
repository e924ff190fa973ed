#include "op_registry.h"

namespace ss {

namespace {
std::vector<const OpHandler*>& handlers() {
  static std::vector<const OpHandler*> h;  // built at static initialisation, read-only afterwards
  return h;
}
}  // namespace

void registerOpHandler(const OpHandler* h) { handlers().push_back(h); }

const OpHandler* findOpHandler(const Op& op) {
  for (const OpHandler* h : handlers())
    if (op.name == h->name && (!h->claims || h->claims(op))) return h;
  return nullptr;
}

bool hasOpHandlerNamed(const std::string& name) {
  for (const OpHandler* h : handlers()) if (name == h->name) return true;
  return false;
}

}  // namespace ss
