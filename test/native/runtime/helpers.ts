// Shared by the native suite: builds the runtime child once and makes small RankPrograms.
import { buildSync } from 'esbuild';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BufferDecl, RankOp, RankPrograms, BufferDType } from '../../../extension/core/lower/types';

let built: string | undefined;
export function childPath(): string {
  if (built) return built;
  built = join(process.cwd(), '.test-out', 'runtime-child.js');
  // As scripts/build.mjs bundles it: the ESM builds of dependencies (jsonc-parser's UMD build requires files esbuild cannot follow).
  buildSync({ entryPoints: ['extension/runtime/child.ts'], outfile: built, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', mainFields: ['module', 'main'] });
  return built;
}

export const addonBuilt = () => existsSync('native/build/Release/shardscope_native.node');

export class Prog {
  p: RankPrograms;
  constructor(worldSize: number, groups: number[][] = [Array.from({ length: worldSize }, (_, i) => i)]) {
    this.p = { worldSize, groups, buffers: [], ranks: Array.from({ length: worldSize }, (_, rank) => ({ rank, ops: [] })) };
  }
  buf(rank: number, id: string, shape: number[], dtype: BufferDType = 'f32', init?: BufferDecl['init']): this {
    this.p.buffers.push({ id, shape, dtype, rank, ...(init ? { init } : {}) });
    return this;
  }
  op(rank: number, op: RankOp['op'], ins: string[], outs: string[], extra: Partial<RankOp> = {}): this {
    this.p.ranks[rank].ops.push({ op, ins, outs, label: { entry: `${op}#${this.p.ranks[rank].ops.length}` }, ...extra });
    return this;
  }
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    a[i] = (s / 4294967296) * 2 - 1;
  }
  return a;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol * (1 + Math.abs(expected[i])))) throw new Error(`${what}[${i}]: ${actual[i]} != ${expected[i]}`);
  }
}

/** Rounds to bf16 (nearest even), as the addon stores it. */
export function bf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = ((u[0] + 0x7fff + ((u[0] >>> 16) & 1)) >>> 16) << 16;
  return f[0];
}
