// Norm-wise comparison of the sharded run against the reference, module by module.
import type { ModuleOutput, Layout } from './lower';

/** The global [tokens, width] tensor a module output stands for, from every rank's local piece. */
export function assemble(out: ModuleOutput, buffers: Map<string, Float32Array>[], tokens: number): Float32Array {
  const world = buffers.length;
  const parts = buffers.map((b) => b.get(out.buffer));
  if (parts.some((p) => !p)) throw new Error(`${out.module}: output ${out.buffer} missing on some rank`);
  const l: Layout = out.layout;
  const W = out.width;
  if (world === 1 || l.kind === 'R') return parts[0]!;
  const y = new Float32Array(tokens * W);
  if (l.kind === 'P') {
    for (const p of parts) for (let i = 0; i < y.length; i++) y[i] += p![i];
  } else if (l.dim === 0) {
    parts.forEach((p, r) => y.set(p!, (r * tokens * W) / world));
  } else {
    const w = W / world;
    parts.forEach((p, r) => {
      for (let t = 0; t < tokens; t++) y.set(p!.subarray(t * w, (t + 1) * w), t * W + r * w);
    });
  }
  return y;
}

/** ‖a − ref‖ / ‖ref‖ (Infinity when the sizes differ). */
export function relError(a: Float32Array, ref: Float32Array): number {
  if (a.length !== ref.length) return Infinity;
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - ref[i]) ** 2;
    n += ref[i] ** 2;
  }
  return n === 0 ? Math.sqrt(d) : Math.sqrt(d / n);
}

export interface ModuleComparison {
  module: string;
  layer?: number;
  relError: number;
  entry?: ModuleOutput['entry'];
}

/** Every module's error, in flow order; the reference and the sharded walk visit the same steps. */
export function compareModules(sharded: ModuleOutput[], shardedBuffers: Map<string, Float32Array>[], reference: ModuleOutput[], refBuffers: Map<string, Float32Array>[], tokens: number): ModuleComparison[] {
  const out: ModuleComparison[] = [];
  for (let i = 0; i < Math.min(sharded.length, reference.length); i++) {
    const s = sharded[i];
    const ref = reference[i];
    out.push({ module: s.module, layer: s.layer, relError: relError(assemble(s, shardedBuffers, tokens), assemble(ref, refBuffers, tokens)), entry: s.entry });
  }
  return out;
}
