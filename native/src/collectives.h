// Shared-memory collectives of the CPU backend: ranks are threads of one process, members of a group
// read each other's buffers directly (see comm.h for the rendezvous).
#pragma once
#include "program.h"
#include "comm.h"

namespace ss {

// Runs one collective for member `me` of `comm`. Returns the wait outcome (Stopped: the run ended meanwhile).
WaitResult runCollective(Op& op, Comm& comm, int me, RunControl& ctl);

}  // namespace ss
