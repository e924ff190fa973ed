// Findings that rest on a mesh or a GPU size nobody chose (the defaults tp=8 and 80 GiB) are warnings
// that name the assumption and offer the pick; once the plan, a setting, a pick or the command line
// names the value they keep their own severity. One rule for the editor and the command line.
import type { Diagnostic, RunSettings } from '../plan/types';
import type { DeviceMesh } from '../sharding/types';
import type { EditingContext } from './context';

/** The GPU memory per rank the memory check (SS402) assumes when nothing names one. */
export const ASSUMED_GPU_MEMORY_GIB = 80;

/** Codes whose finding changes with the mesh sizes: divisibility by tp/ep, sequence by tp, memory per rank. */
const MESH_DEPENDENT = new Set(['SS201', 'SS202', 'SS203', 'SS204', 'SS205', 'SS303', 'SS402']);

export interface Assumptions {
  /** The mesh came from the built-in default, not from the plan, a setting, a pick or --mesh. */
  meshAssumed: boolean;
  /** GPU memory per rank in GiB, and whether it is the assumed default. */
  gpuMemoryGiB: number;
  gpuAssumed: boolean;
}

/** What the analysis assumes: the plan's own values first, then the context's, then the defaults. */
export function assumptionsOf(doc: { mesh?: { dims: unknown[] }; run?: RunSettings }, ctx: EditingContext): Assumptions {
  const planGpu = doc.run?.gpuMemoryGiB;
  const gpu = planGpu && planGpu > 0 ? planGpu : ctx.gpuMemoryGiB && ctx.gpuMemoryGiB > 0 ? ctx.gpuMemoryGiB : undefined;
  return {
    meshAssumed: !ctx.meshOverride && !doc.mesh?.dims.length && !ctx.meshChosen,
    gpuMemoryGiB: gpu ?? ASSUMED_GPU_MEMORY_GIB,
    gpuAssumed: gpu === undefined,
  };
}

const meshText = (mesh: DeviceMesh) => mesh.dims.map((d) => `${d.name}=${d.size}`).join(',');

/** Commands the editor runs for the picks (the command line names the flags instead). */
export const PICK_MESH_COMMAND = 'shardscope.pickMesh';
export const PICK_GPU_MEMORY_COMMAND = 'shardscope.pickGpuMemory';

/** Downgrade and annotate the findings that rest on an assumption; the others are returned as they are. */
export function markAssumptions(diags: Diagnostic[], mesh: DeviceMesh, as: Assumptions): Diagnostic[] {
  return diags.map((d) => {
    const onMesh = as.meshAssumed && MESH_DEPENDENT.has(d.code);
    const onGpu = as.gpuAssumed && d.code === 'SS402';
    if (!onMesh && !onGpu) return d;
    const said: string[] = [];
    const fixes = [...(d.fixes ?? [])];
    if (onMesh) {
      said.push(`at the assumed ${meshText(mesh)}; pick a mesh (Shardscope: Pick Mesh, --mesh) or name it in the plan`);
      fixes.push({ title: 'Pick the mesh…', edits: [], command: PICK_MESH_COMMAND });
    }
    if (onGpu) {
      said.push(`at the assumed ${as.gpuMemoryGiB} GiB per GPU; pick the GPU memory (Shardscope: Pick GPU Memory, --gpu-memory) or set run.gpu_memory_gib`);
      fixes.push({ title: 'Pick the GPU memory…', edits: [], command: PICK_GPU_MEMORY_COMMAND });
    }
    return { ...d, severity: d.severity === 'error' ? 'warning' : d.severity, message: `${d.message} (${said.join('; ')})`, fixes };
  });
}
