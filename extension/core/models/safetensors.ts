// Safetensors headers: names, shapes and dtypes of a checkpoint without reading tensor data, mapped to
// transformers' module names with the conversions transformers applies at load.
import { join } from 'node:path';
import type { DType } from './types';
import { parseJsonLocated, parseJsonStrict, lineColumn } from '../util/json';
import { InputError } from '../input-error';
import { hostFiles, readInputText, hostFileMessages } from '../host/files';
import { LIMITS } from '../limits';

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

/** A bad checkpoint file, located (the header's JSON starts at byte 8, column 9 of line 1). */
export class CheckpointError extends InputError {}

const utf8 = new TextDecoder('utf-8');

/** Read one file's header: the 8-byte little-endian length and the JSON that follows. Never the data. */
export function readSafetensorsHeader(path: string): TensorHeader[] {
  const host = hostFiles();
  const st = host.stat(path);
  if (!st) throw hostFileMessages.notFound(path);
  if (st.kind !== 'file') throw st.kind === 'dir' ? hostFileMessages.isFolder(path) : hostFileMessages.notRegular(path);
  const lenBytes = host.read(path, { maxBytes: 8, offset: 0, length: 8 });
  if (lenBytes.length !== 8) throw new CheckpointError(path, 1, 1, 'too short for a safetensors header (8-byte length, then JSON)');
  const len = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  const limit = LIMITS.fileBytes.safetensorsHeader.bytes;
  if (len <= 0 || len > limit || 8 + len > st.size) {
    throw new CheckpointError(path, 1, 1, `header length ${len} does not fit a ${st.size}-byte file${len > limit ? ` (the limit for a safetensors header is ${limit} bytes)` : ''}`);
  }
  const text = utf8.decode(host.read(path, { maxBytes: limit, offset: 8, length: len }));
  let header: Record<string, { dtype: string; shape: number[] }>;
  try {
    header = parseJsonStrict(text, path) as typeof header;
  } catch (e) {
    // Located in the file: the JSON starts after the 8 length bytes.
    const at = e instanceof InputError ? e : undefined;
    throw new CheckpointError(path, at?.line ?? 1, (at?.column ?? 1) + (at?.line === 1 ? 8 : 0), `header is not JSON (${at?.detail ?? (e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointError(path, 1, 9, 'header is not a JSON object of tensor entries');
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, v]) => {
      const ok = v && typeof v === 'object' && typeof v.dtype === 'string' && Array.isArray(v.shape) && v.shape.length <= 16 && v.shape.every((d) => Number.isInteger(d) && d >= 0 && d <= LIMITS.tensorElements);
      if (!ok) throw new CheckpointError(path, 1, 9 + keyOffset(text, name), `tensor "${name}" has no valid header entry (expected {"dtype": "BF16", "shape": [int, ...], "data_offsets": [start, end]})`);
      const elements = v.shape.reduce((a, d) => a * d, 1);
      if (elements > LIMITS.tensorElements) throw new CheckpointError(path, 1, 9 + keyOffset(text, name), `tensor "${name}" has ${elements} elements, over the limit of ${LIMITS.tensorElements}`);
      return { name, dtype: DTYPES[v.dtype] ?? 'uint8', shape: v.shape, file: path };
    });
}

/** Where a tensor's key sits in the header text (its first occurrence as a JSON string). */
function keyOffset(text: string, name: string): number {
  const at = text.indexOf(JSON.stringify(name));
  return at < 0 ? 0 : lineColumn(text, at).column - 1;
}

/** Every tensor header of a checkpoint folder: model.safetensors, or the shards of model.safetensors.index.json. */
export function readCheckpointFolder(dir: string): TensorHeader[] {
  const host = hostFiles();
  const index = join(dir, 'model.safetensors.index.json');
  if (host.stat(index)) {
    const text = readInputText(index, 'checkpointIndex');
    const weightMap = (parseJsonLocated(text, index) as { weight_map?: Record<string, string> } | null)?.weight_map;
    if (!weightMap || typeof weightMap !== 'object') throw new CheckpointError(index, 1, 1, 'no "weight_map" object (expected {"weight_map": {tensor name: shard file}})');
    const files = [...new Set(Object.values(weightMap))];
    for (const f of files) {
      const where = lineColumn(text, Math.max(0, text.indexOf(JSON.stringify(f))));
      if (typeof f !== 'string' || !host.stat(join(dir, f))) throw new CheckpointError(index, where.line, where.column, `weight_map names shard ${JSON.stringify(f)}, which is not in ${dir}`);
    }
    return files.flatMap((f) => readSafetensorsHeader(join(dir, f)));
  }
  const single = join(dir, 'model.safetensors');
  if (host.stat(single)) return readSafetensorsHeader(single);
  throw new CheckpointError(dir, 1, 1, 'no model.safetensors or model.safetensors.index.json');
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
