// Safetensors headers: names, shapes and dtypes of a checkpoint without reading tensor data, mapped to
// transformers' module names with the conversions transformers applies at load.
import { openSync, readSync, closeSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from './types';
import { parseJsonLocated } from '../util/json';

export interface TensorHeader {
  name: string;
  dtype: DType;
  shape: number[];
  file: string;
}

const DTYPES: Record<string, DType> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', F8_E4M3: 'float8_e4m3fn', F8_E5M2: 'float8_e5m2',
  I64: 'int64', I32: 'int32', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

export class CheckpointError extends Error {}

/** Read one file's header: the 8-byte little-endian length and the JSON that follows. Never the data. */
export function readSafetensorsHeader(path: string): TensorHeader[] {
  const fd = openSync(path, 'r');
  try {
    const lenBuf = Buffer.alloc(8);
    if (readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new CheckpointError(`${path}: too short for a safetensors header`);
    const len = Number(lenBuf.readBigUInt64LE(0));
    const size = statSync(path).size;
    if (len <= 0 || len > 100 * 1024 * 1024 || 8 + len > size) throw new CheckpointError(`${path}: header length ${len} does not fit a ${size}-byte file`);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, 8);
    let header: Record<string, { dtype: string; shape: number[] }>;
    try {
      header = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw new CheckpointError(`${path}: header is not JSON (${(e as Error).message})`);
    }
    return Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .map(([name, v]) => {
        const ok = v && typeof v === 'object' && typeof v.dtype === 'string' && Array.isArray(v.shape) && v.shape.every((d) => Number.isInteger(d) && d >= 0);
        if (!ok) throw new CheckpointError(`${path}: tensor "${name}" has no valid header entry (expected {"dtype": "BF16", "shape": [int, ...], "data_offsets": [start, end]})`);
        return { name, dtype: DTYPES[v.dtype] ?? 'uint8', shape: v.shape, file: path };
      });
  } finally {
    closeSync(fd);
  }
}

/** Every tensor header of a checkpoint folder: model.safetensors, or the shards of model.safetensors.index.json. */
export function readCheckpointFolder(dir: string): TensorHeader[] {
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let weightMap: Record<string, string> | undefined;
    try {
      weightMap = (parseJsonLocated(readFileSync(index, 'utf8'), index) as { weight_map?: Record<string, string> } | null)?.weight_map;
    } catch (e) {
      throw new CheckpointError((e as Error).message);
    }
    if (!weightMap || typeof weightMap !== 'object') throw new CheckpointError(`${index}: no "weight_map" object (expected {"weight_map": {tensor name: shard file}})`);
    const files = [...new Set(Object.values(weightMap))];
    for (const f of files) if (!existsSync(join(dir, f))) throw new CheckpointError(`${index}: weight_map names shard "${f}", which is not in ${dir}`);
    return files.flatMap((f) => readSafetensorsHeader(join(dir, f)));
  }
  const single = join(dir, 'model.safetensors');
  if (existsSync(single)) return readSafetensorsHeader(single);
  throw new CheckpointError(`${dir}: no model.safetensors or model.safetensors.index.json`);
}

export interface ConvertedCheckpoint {
  params: { name: string; shape: number[]; dtype: DType }[];
  setAside: { key: string; reason: string }[];
}

/**
 * Apply transformers' load-time conversions: per-expert Linear weights fused into 3-D experts tensors
 * (Mixtral block_sparse_moe.experts.N.w1/w3/w2; Qwen3-MoE and DeepSeek-V3 mlp.experts.N.gate/up/down_proj),
 * block_sparse_moe → mlp; keys transformers drops (the extra MTP layers past num_hidden_layers, FP8 scales) set aside.
 */
export function convertCheckpoint(tensors: TensorHeader[], numHiddenLayers?: number): ConvertedCheckpoint {
  const setAside: { key: string; reason: string }[] = [];
  const out = new Map<string, { name: string; shape: number[]; dtype: DType }>();
  type Group = { gate?: number[]; up?: number[]; down?: number[]; experts: Set<number>; dtype: DType };
  const fused = new Map<string, Group>();
  for (const t of tensors) {
    let name = t.name;
    if (/(_scale_inv|\.weight_scale|\.input_scale)$/.test(name)) {
      setAside.push({ key: name, reason: 'FP8 quantisation scale, consumed by the quantiser, not a model parameter' });
      continue;
    }
    const layer = name.match(/^model\.layers\.(\d+)\./);
    if (layer && numHiddenLayers !== undefined && Number(layer[1]) >= numHiddenLayers) {
      setAside.push({ key: name, reason: `layer ${layer[1]} is past num_hidden_layers=${numHiddenLayers} (multi-token-prediction layer), dropped at load` });
      continue;
    }
    name = name.replace('.block_sparse_moe.', '.mlp.');
    const m = name.match(/^(.*\.mlp\.experts)\.(\d+)\.(w1|w3|w2|gate_proj|up_proj|down_proj)\.weight$/);
    if (m) {
      const g = fused.get(m[1]) ?? { experts: new Set<number>(), dtype: t.dtype };
      g.experts.add(Number(m[2]));
      const role = m[3] === 'w1' || m[3] === 'gate_proj' ? 'gate' : m[3] === 'w3' || m[3] === 'up_proj' ? 'up' : 'down';
      g[role] = t.shape;
      fused.set(m[1], g);
      continue;
    }
    out.set(name, { name, shape: t.shape, dtype: t.dtype });
  }
  for (const [prefix, g] of fused) {
    const E = g.experts.size;
    if (g.gate && g.up) out.set(`${prefix}.gate_up_proj`, { name: `${prefix}.gate_up_proj`, shape: [E, g.gate[0] + g.up[0], g.gate[1]], dtype: g.dtype });
    if (g.down) out.set(`${prefix}.down_proj`, { name: `${prefix}.down_proj`, shape: [E, g.down[0], g.down[1]], dtype: g.dtype });
  }
  return { params: [...out.values()].sort((a, b) => naturalCompare(a.name, b.name)), setAside };
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
