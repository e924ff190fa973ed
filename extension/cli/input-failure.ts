// Which escaped errors are the input's fault (one line, exit 2) and which are ours ("internal error,
// please report"). InputError is located by construction; the engine's older error classes below carry
// messages written for the user, most of them naming the file.
import { InputError } from '../core/input-error';
import { ModelLoadError, ModelConfigError } from '../core/models';
import { MeshSyntaxError, PlacementSyntaxError, ShardingError } from '../core/sharding';
import { BindError } from '../core/analysis';
import { RehearsalError } from '../core/rehearse';
import { CalibrationError, LoweringError } from '../core/lower';

const USER_ERRORS: (abstract new (...args: never[]) => Error)[] = [ModelLoadError, ModelConfigError, MeshSyntaxError, PlacementSyntaxError, ShardingError, BindError, RehearsalError, CalibrationError, LoweringError];

export function isInputFailure(e: unknown): 'located' | 'unlocated' | undefined {
  if (e instanceof InputError) return 'located';
  if (USER_ERRORS.some((c) => e instanceof c)) return 'unlocated';
  return undefined;
}
