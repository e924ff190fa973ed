// Every bound the engine puts on what its inputs may ask for, in one place. Each is checked where the input
// enters (the file readers, the plan readers, mesh and model resolution, the CLI's arguments), with a
// located message that names the limit, so no file can make the extension host or the CLI run out of
// memory or time. The values are far above any real model or cluster; README "Limits" lists them.

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export type FileKind = 'plan' | 'config' | 'checkpointIndex' | 'safetensorsHeader' | 'traceJson' | 'pickle' | 'calibration' | 'ncclTestsLog';

export const LIMITS = {
  /** Inputs read whole, by kind; streamed traces (Kineto, ours) have no size limit but bounded memory. */
  fileBytes: {
    plan: { bytes: 16 * MiB, what: 'a plan file (.py, .shardplan.json)' },
    config: { bytes: 16 * MiB, what: 'a config.json' },
    checkpointIndex: { bytes: 64 * MiB, what: 'a model.safetensors.index.json' },
    safetensorsHeader: { bytes: 100 * MiB, what: 'a safetensors header' },
    traceJson: { bytes: 256 * MiB, what: 'a trace read whole (CommDebugMode or Flight Recorder JSON, decompressed)' },
    pickle: { bytes: 256 * MiB, what: 'a Flight Recorder pickle (decompressed)' },
    calibration: { bytes: 16 * MiB, what: 'a calibration file' },
    ncclTestsLog: { bytes: 64 * MiB, what: 'an nccl-tests log' },
  } satisfies Record<FileKind, { bytes: number; what: string }>,
  /** One element of a streamed trace's traceEvents (or one of its other top-level values). */
  traceElementBytes: 64 * MiB,
  /** Nesting of JSON values, pickled containers, CommDebugMode module trees. */
  nestingDepth: 256,
  /** Ranks in a mesh (the product of its dims), and dims in a mesh. */
  worldSize: 65536,
  meshDims: 8,
  /** Decoder layers and experts per layer of a model. */
  layers: 1024,
  experts: 4096,
  /** Any one dimension of a model's tensors (hidden size, vocabulary, heads × head dim ...). */
  tensorDim: 1 << 24,
  /** Elements of one tensor: exact in a double, and in the native addon's int64 products. */
  tensorElements: 2 ** 50,
  /** Elements of one buffer of the native runtime; native/src/addon.cc (kMaxElements) refuses more, checked before a shape's dims multiply. */
  nativeBufferElements: 2 ** 34,
  /** Tokens of one rehearsal, and ranks it runs. */
  tokens: 65536,
  rehearsalRanks: 1024,
  /** Entries of all the plans of one file (real plans have tens). */
  planEntries: 4096,
  /** Files in one trace folder. */
  traceFiles: 4096,
} as const;

export function formatBytes(n: number): string {
  if (n >= GiB) return `${+(n / GiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${+(n / KiB).toFixed(1)} KiB`;
  return `${n} B`;
}
