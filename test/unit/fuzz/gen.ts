// fast-check arbitraries for every input kind the CLI reads: real files from the examples and fixtures,
// mutated at the level of their JSON values (numbers at and past the limits, wrong types, deep nesting)
// and of their bytes (cuts, insertions, flips), plus generated Python plans, pickles and gzip.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';

/** Number texts that have broken readers: past 2^53, past the limits, Infinity in JSON, fractions, negatives. */
export const WEIRD_NUMBERS = ['0', '-1', '-0', '0.5', '1e7', '1e400', '-1e400', '1e308', '9007199254740993', '4294967296', '100000000', '65537', '1000000', '2', '4', '8', '4611686018427387904'];

const weirdNumber = fc.constantFrom(...WEIRD_NUMBERS);
const shortText = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', 'colwise', 'rowwise', 'tp', 'dp', 'ep', 'bfloat16', 'float32', 'auto', 'Float', 'toString', '__proto__', 'constructor', 'a\nb', '\u2028', '../..', '/dev/zero'));

/** A JSON value as raw text (numbers kept as written, so 1e400 reaches the reader). */
const rawValue: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    weirdNumber,
    shortText.map((s) => JSON.stringify(s)),
    fc.constantFrom('true', 'false', 'null', '[]', '{}'),
    fc.array(tie('v'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
    fc.array(fc.tuple(shortText, tie('v')), { maxLength: 4 }).map((kv) => `{${kv.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).v;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every value's place in a parsed JSON document, root first. */
function places(root: Json): { parent: Json[] | { [k: string]: Json }; key: string | number }[] {
  const out: { parent: Json[] | { [k: string]: Json }; key: string | number }[] = [];
  const todo: Json[] = [root];
  while (todo.length) {
    const v = todo.pop()!;
    if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); todo.push(x); });
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) { out.push({ parent: v, key: k }); todo.push(v[k]); }
  }
  return out;
}

const PLACEHOLDER = '@@RAW@@';

/** Replaces some values of a JSON document with generated raw values (or drops them). */
export function jsonValueMutations(text: string): fc.Arbitrary<string> {
  return fc.array(fc.tuple(fc.nat(), fc.oneof(rawValue, fc.constant('<drop>'))), { minLength: 1, maxLength: 5 }).map((muts) => {
    const root = JSON.parse(stripComments(text)) as Json;
    const raws: string[] = [];
    for (const [i, raw] of muts) {
      const ps = places(root);
      if (!ps.length) break;
      const { parent, key } = ps[i % ps.length];
      if (raw === '<drop>') {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
      } else {
        (parent as Record<string, Json>)[key as string] = `${PLACEHOLDER}${raws.length}`;
        raws.push(raw);
      }
    }
    return JSON.stringify(root, null, 1).replace(new RegExp(`"${PLACEHOLDER}(\\d+)"`, 'g'), (_, n) => raws[Number(n)]);
  });
}

function stripComments(text: string): string {
  return text.replace(/^\s*\/\/.*$/gm, '');
}

/** Byte-level damage: a cut, an insertion, a flipped byte, a duplicated run. */
export function byteMutations(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = bytes.length;
  return fc.oneof(
    fc.nat({ max: n }).map((k) => bytes.subarray(0, k)),
    fc.tuple(fc.nat({ max: n }), fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.constantFrom('{', '[', '"', '\\', '\n', '\u0000', '\xff', '[[[[[[[[', ':', ',').map((s) => Buffer.from(s, 'latin1')))).map(([k, ins]) => Buffer.concat([bytes.subarray(0, k), ins, bytes.subarray(k)])),
    fc.tuple(fc.nat({ max: Math.max(0, n - 1) }), fc.integer({ min: 1, max: 255 })).map(([k, x]) => { const b = Buffer.from(bytes); if (n) b[k] ^= x; return b; }),
    fc.tuple(fc.nat({ max: n }), fc.nat({ max: 64 })).map(([k, len]) => Buffer.concat([bytes.subarray(0, k), bytes.subarray(k, k + len), bytes.subarray(k)])),
  );
}

/** A JSON document mutated in its values, then maybe in its bytes, or wrapped in deep nesting. */
export function jsonInput(text: string): fc.Arbitrary<Uint8Array> {
  const deep = fc.integer({ min: 200, max: 20000 }).map((d) => Buffer.from(text.replace(/\{/, `{"deep":${'['.repeat(d)}${']'.repeat(d)},`)));
  return fc.oneof(
    { weight: 4, arbitrary: jsonValueMutations(text).map((t) => Buffer.from(t)) },
    { weight: 3, arbitrary: jsonValueMutations(text).chain((t) => byteMutations(Buffer.from(t))) },
    { weight: 1, arbitrary: deep },
  );
}

/** Maybe gzipped, maybe with the gzip cut or damaged. */
export function maybeGzip(bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<{ bytes: Uint8Array; gz: boolean }> {
  return fc.oneof(
    { weight: 3, arbitrary: bytes.map((b) => ({ bytes: b, gz: false })) },
    { weight: 1, arbitrary: bytes.map((b) => ({ bytes: gzipSync(b), gz: true })) },
    { weight: 1, arbitrary: bytes.chain((b) => byteMutations(gzipSync(b))).map((b) => ({ bytes: b, gz: true })) },
  );
}

/** Pickle protocol 2 of plain data, as Python's pickle.dumps writes it (enough for Flight Recorder dumps); iterative, so deep input pickles too. */
export function pickle(v: unknown): Uint8Array {
  const out: number[] = [0x80, 2];
  const u32 = (n: number) => out.push(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
  const todo: ({ op: number } | { v: unknown })[] = [{ v }];
  while (todo.length) {
    const t = todo.pop()!;
    if ('op' in t) { out.push(t.op); continue; }
    const x = t.v;
    if (x === null || x === undefined) out.push(0x4e);
    else if (x === true) out.push(0x88);
    else if (x === false) out.push(0x89);
    else if (typeof x === 'number' && Number.isInteger(x) && Math.abs(x) < 2 ** 31) { out.push(0x4a); u32(x >>> 0); }
    else if (typeof x === 'number') { const b = Buffer.alloc(8); b.writeDoubleBE(x); out.push(0x47, ...b); }
    else if (typeof x === 'string') { const b = Buffer.from(x, 'utf8'); out.push(0x58); u32(b.length); for (const c of b) out.push(c); }
    else if (Array.isArray(x)) { out.push(0x5d, 0x28); todo.push({ op: 0x65 }); for (let i = x.length - 1; i >= 0; i--) todo.push({ v: x[i] }); }
    else if (typeof x === 'object') {
      out.push(0x7d, 0x28);
      todo.push({ op: 0x75 });
      const kv = Object.entries(x as object);
      for (let i = kv.length - 1; i >= 0; i--) todo.push({ v: kv[i][1] }, { v: kv[i][0] });
    }
  }
  out.push(0x2e);
  return Uint8Array.from(out);
}

/** Python plan sources: the constructs the reader knows, with generated values, then maybe damaged. */
export const pythonPlan: fc.Arbitrary<string> = (() => {
  const pyValue = fc.oneof(weirdNumber, shortText.map((s) => JSON.stringify(s)), fc.constantFrom('None', 'True', '"auto"', 'tp_plan', 'f"{x}"', 'lambda: 1', '[1, 2]', '{"a": 1}', '*args', '**kw', 'x.y', '(1,)'));
  const entry = fc.tuple(fc.oneof(shortText, fc.constantFrom('model.layers.*.self_attn.q_proj', 'model.layers.*.mlp.down_proj', 'lm_head', 'model.layers.*.mlp.experts')), fc.oneof(pyValue, fc.constantFrom('"colwise"', '"rowwise"', '"packed_colwise"', 'ColwiseParallel()', 'RowwiseParallel(input_layouts=Shard(1))', 'SequenceParallel()')));
  const dict = fc.array(entry, { maxLength: 6 }).map((es) => `{${es.map(([k, v]) => `\n    ${JSON.stringify(k)}: ${v},`).join('')}\n}`);
  const stmt = fc.oneof(
    dict.map((d) => `tp_plan = ${d}`),
    dict.map((d) => `base_model_ep_plan = ${d}`),
    fc.tuple(pyValue, pyValue).map(([a, b]) => `model = AutoModelForCausalLM.from_pretrained("./", tp_plan=${a}, tp_size=${b})`),
    pyValue.map((a) => `config = DistributedConfig(enable_expert_parallel=${a})`),
    dict.map((d) => `parallelize_module(model, mesh, ${d})`),
    fc.tuple(pyValue, pyValue).map(([a, b]) => `class MyConfig(PretrainedConfig):\n    model_type = "llama"\n    num_hidden_layers = ${a}\n    hidden_size = ${b}\n    base_model_tp_plan = {"layers.*.mlp.up_proj": "colwise"}`),
    fc.constantFrom('from transformers import AutoModelForCausalLM', 'import torch', 'def f(x):\n    return x', 'x = TPStyle("colwise")', '@decorator\nclass A: pass', 'async def g(): await h()', 'if True:\n  pass\nelse:'),
  );
  const source = fc.array(stmt, { minLength: 1, maxLength: 6 }).map((ss) => ss.join('\n') + '\n');
  return fc.oneof(
    { weight: 3, arbitrary: source },
    { weight: 2, arbitrary: source.chain((s) => byteMutations(Buffer.from(s))).map((b) => Buffer.from(b).toString('utf8')) },
  );
})();

/** A safetensors file: the 8-byte little-endian length (true, or generated), then a header text. */
export const safetensors: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    jsonValueMutations(JSON.stringify({ 'model.embed_tokens.weight': { dtype: 'BF16', shape: [32, 16], data_offsets: [0, 1024] }, 'model.norm.weight': { dtype: 'F32', shape: [16], data_offsets: [1024, 1088] } })),
    fc.option(fc.constantFrom(0n, 1n, 7n, 2n ** 63n, 2n ** 64n - 1n, 100000000000n)),
  )
  .map(([header, len]) => {
    const h = Buffer.from(header);
    const l = Buffer.alloc(8);
    l.writeBigUInt64LE(len ?? BigInt(h.length));
    return Buffer.concat([l, h, Buffer.alloc(64)]);
  });

/** Command-line arguments: the commands, their options, odd values. */
export function cliArgs(files: string[]): fc.Arbitrary<string[]> {
  const command = fc.constantFrom('check', 'shapes', 'comms', 'layout', 'run', 'trace', 'demo', 'help', '--help', 'nope', '');
  const option = fc.constantFrom('--mesh', '--model', '--plan', '--ep', '--json', '--ranks', '--tokens', '--layers', '--width-scale', '--memory-budget', '--backend', '--gpu-memory', '--transformers', '--shape', '--placements', '--calibration', '--nccl-tests', '--help', '--');
  const value = fc.oneof(weirdNumber, shortText, fc.constantFrom(...files), fc.constantFrom('tp=4', 'dp=2,tp=4', 'tp=100000000', 'tp=0', 'a=1,a=2', '0-99999999', '0,3', 'cpu', 'cuda', 'auto', 'Shard(0),R', 'S(9)', '7,5', 'summary', 'export-csv', 'llama-3-8b', 'deepseek-v3'));
  return fc.tuple(command, fc.array(fc.oneof(value, option), { maxLength: 8 })).map(([c, rest]) => [c, ...rest]);
}
