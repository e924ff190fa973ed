import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lower, interpret, generateBoxes, fullBox, relError, ropeSpec, mlaSoftmaxScale } from '../../../extension/core/lower';
import { graphFromConfig } from '../../../extension/core/models';
import { rehearse } from '../../../extension/core/rehearse';

const TINY = JSON.parse(readFileSync('test/fixtures/lower/mla-tiny.config.json', 'utf8')) as Record<string, unknown>;

/** A generated tensor, as the lowering's buffers hold it. */
function gen(key: string, shape: number[], scale: number): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  generateBoxes(key, shape, fullBox(shape), scale, out);
  return out;
}

/** x [M, K] · w[N, K]ᵀ. */
function linear(x: Float32Array, M: number, K: number, w: Float32Array, N: number): Float32Array {
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
    y[m * N + n] = s;
  }
  return y;
}

function rmsnorm(x: Float32Array, w: Float32Array, eps: number): Float32Array {
  const H = w.length;
  const y = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += H) {
    let ss = 0;
    for (let j = 0; j < H; j++) ss += x[o + j] ** 2;
    const inv = 1 / Math.sqrt(ss / H + eps);
    for (let j = 0; j < H; j++) y[o + j] = x[o + j] * inv * w[j];
  }
  return y;
}

/**
 * DeepSeek-V3 attention of layer 0 written out the way modeling_deepseek_v3.py reads: split, interleaved
 * RoPE (view(d/2, 2).transpose, then rotate_half), the rotary key expanded to every head, causal softmax.
 */
function deepseekAttention(cfg: Record<string, number>, T: number): Float32Array {
  const H = cfg.hidden_size;
  const nh = cfg.num_attention_heads;
  const [nope, rope, dv, kvr, qr] = [cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim, cfg.kv_lora_rank, cfg.q_lora_rank];
  const qk = nope + rope;
  const p = 'model.layers.0';
  const x = gen('hidden_states', [T, H], 1);
  const h = rmsnorm(x, gen(`${p}.input_layernorm.weight`, [H], 1), cfg.rms_norm_eps);
  const qa = rmsnorm(linear(h, T, H, gen(`${p}.self_attn.q_a_proj.weight`, [qr, H], 1 / Math.sqrt(H)), qr), gen(`${p}.self_attn.q_a_layernorm.weight`, [qr], 1), cfg.rms_norm_eps);
  const q = linear(qa, T, qr, gen(`${p}.self_attn.q_b_proj.weight`, [nh * qk, qr], 1 / Math.sqrt(qr)), nh * qk);
  const kvA = linear(h, T, H, gen(`${p}.self_attn.kv_a_proj_with_mqa.weight`, [kvr + rope, H], 1 / Math.sqrt(H)), kvr + rope);
  const kPass = new Float32Array(T * kvr);
  for (let t = 0; t < T; t++) kPass.set(kvA.subarray(t * (kvr + rope), t * (kvr + rope) + kvr), t * kvr);
  const kv = linear(rmsnorm(kPass, gen(`${p}.self_attn.kv_a_layernorm.weight`, [kvr], 1), cfg.rms_norm_eps), T, kvr, gen(`${p}.self_attn.kv_b_proj.weight`, [nh * (nope + dv), kvr], 1 / Math.sqrt(kvr)), nh * (nope + dv));
  // Plain RoPE at theta 10000 on de-interleaved pairs.
  const invFreq = Array.from({ length: rope / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / rope));
  const rot = (v: number[], t: number): number[] => {
    const d = [...v.filter((_, i) => i % 2 === 0), ...v.filter((_, i) => i % 2 === 1)];
    const half = rope / 2;
    return d.map((val, i) => {
      const th = t * invFreq[i % half];
      const rotated = i < half ? -d[i + half] : d[i - half];
      return val * Math.cos(th) + rotated * Math.sin(th);
    });
  };
  const Q = (t: number, hd: number) => {
    const row = Array.from(q.subarray(t * nh * qk + hd * qk, t * nh * qk + (hd + 1) * qk));
    return [...row.slice(0, nope), ...rot(row.slice(nope), t)];
  };
  const K = (t: number, hd: number) => {
    const kn = Array.from(kv.subarray(t * nh * (nope + dv) + hd * (nope + dv), t * nh * (nope + dv) + hd * (nope + dv) + nope));
    return [...kn, ...rot(Array.from(kvA.subarray(t * (kvr + rope) + kvr, (t + 1) * (kvr + rope))), t)];
  };
  const V = (t: number, hd: number) => Array.from(kv.subarray(t * nh * (nope + dv) + hd * (nope + dv) + nope, t * nh * (nope + dv) + (hd + 1) * (nope + dv)));
  const out = new Float32Array(T * nh * dv);
  const scale = 1 / Math.sqrt(qk);
  for (let hd = 0; hd < nh; hd++)
    for (let t = 0; t < T; t++) {
      const q1 = Q(t, hd);
      const s = Array.from({ length: t + 1 }, (_, j) => K(j, hd).reduce((a, kj, c) => a + kj * q1[c], 0) * scale);
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= t; j++) V(j, hd).forEach((vj, c) => (out[t * nh * dv + hd * dv + c] += (e[j] / z) * vj));
    }
  return out;
}

test('MLA lowered from the module graph computes DeepSeek-V3 attention (split, interleaved RoPE, shared rotary key)', () => {
  const graph = graphFromConfig(TINY);
  const T = 6;
  const ref = lower({ graph, layers: [0], tokens: T });
  const run = interpret(ref.programs, { trace: false });
  const attn = ref.outputs.find((o) => o.module === 'model.layers.0.self_attn')!;
  const got = run.buffers[0].get(attn.buffer)!;
  const want = deepseekAttention(TINY as Record<string, number>, T);
  assert.equal(got.length, T * 8 * 12);
  const err = relError(got, want);
  assert.ok(err < 1e-5, `relative error ${err}`);
  // Both rotary parts are rotated, and attention runs with head dim nope + rope and value head dim v.
  const ops = ref.programs.ranks[0].ops;
  assert.equal(ops.filter((o) => o.op === 'rope').length, 2);
  assert.ok(ops.some((o) => o.op === 'attention' && o.attrs?.headDim === 16 && o.attrs?.vHeadDim === 12));
});

test('yarn RoPE of DeepSeek-V3: extrapolated low dims, interpolated high dims, mscale² on the softmax scale', () => {
  const cfg = graphFromConfig(JSON.parse(readFileSync('examples/deepseek-v3/config.json', 'utf8'))).config;
  const spec = ropeSpec(cfg, 64);
  const base = (i: number) => 1 / 10000 ** ((2 * i) / 64);
  assert.equal(spec.interleaved, true);
  assert.equal(spec.attnFactor, 1); // mscale = mscale_all_dim = 1
  assert.equal(spec.invFreq.length, 32);
  // Correction range for beta 32..1 over 4096 trained positions: dims 10..23.
  for (const i of [0, 5, 10]) assert.ok(Math.abs(spec.invFreq[i] - base(i)) < 1e-12);
  for (const i of [23, 31]) assert.ok(Math.abs(spec.invFreq[i] - base(i) / 40) < 1e-12);
  const ramp = (16 - 10) / 13;
  assert.ok(Math.abs(spec.invFreq[16] - (base(16) / 40) * ramp - base(16) * (1 - ramp)) < 1e-12);
  const m = 0.1 * Math.log(40) + 1;
  assert.ok(Math.abs(mlaSoftmaxScale(cfg, 192) - (m * m) / Math.sqrt(192)) < 1e-12);
  // Llama 3.1's scaling keeps high frequencies and divides low ones by the factor.
  const l31 = graphFromConfig({ ...JSON.parse(readFileSync('examples/llama-3-8b/config.json', 'utf8')), rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }).config;
  const s31 = ropeSpec(l31, 128);
  assert.equal(s31.invFreq[0], 1);
  assert.ok(Math.abs(s31.invFreq[63] - 1 / 500000 ** (126 / 128) / 8) < 1e-15);
  assert.throws(() => ropeSpec({ ...l31, raw: { ...l31.raw, rope_scaling: { rope_type: 'longrope', factor: 2 } } }, 128), /longrope/);
});

test('MLA sharded by heads (q_b_proj, kv_b_proj colwise, o_proj rowwise) matches the reference on 4 ranks', async () => {
  const r = await rehearse('test/fixtures/lower/mla-tp.shardplan.json', { widthScale: 1 });
  assert.equal(r.verdict, 'match', JSON.stringify(r.error ?? r.firstMismatch));
  assert.ok(r.maxRelError <= 1e-5);
  const attn = r.modules.filter((m) => m.module.endsWith('.self_attn'));
  assert.equal(attn.length, 2);
  // Heads split: each rank runs attention over 2 of the 8 heads, and o_proj's partial sums are all-reduced.
  const ar = r.trace.events.filter((e) => e.source === 'measured' && e.rank === 0 && e.name === 'all_reduce' && e.pass === 'forward');
  assert.ok(ar.some((e) => e.entry?.key === 'layers.*.self_attn.o_proj'));
});

test('MLA left whole on every rank (transformers\' own plan) and MLA without a query LoRA both match', async () => {
  for (const f of ['mla-unsharded-attention', 'mla-q-proj']) {
    const r = await rehearse(`test/fixtures/lower/${f}.shardplan.json`, { widthScale: 1 });
    assert.equal(r.verdict, 'match', `${f}: ${JSON.stringify(r.error ?? r.firstMismatch)}`);
    assert.ok(r.maxRelError <= 1e-5);
  }
});

test('MLA faults: heads split on q_b_proj only is a located error; kv_b_proj split as a fused pair is a mismatch at kv_b_proj', async () => {
  const whole = await rehearse('test/fixtures/lower/mla-kv-b-whole.shardplan.json', { widthScale: 1 });
  assert.equal(whole.verdict, 'error');
  assert.match(whole.error!.message, /2 of 8 query heads but 8 key\/value heads/);
  assert.equal(whole.error!.module, 'model.layers.0.self_attn');
  assert.equal(whole.error!.planEntry, 'layers.*.self_attn.q_b_proj');
  assert.equal(whole.error!.line, 6);
  const packed = await rehearse('test/fixtures/lower/mla-kv-b-packed.shardplan.json', { widthScale: 1 });
  assert.equal(packed.verdict, 'mismatch');
  assert.equal(packed.firstMismatch!.module, 'model.layers.0.self_attn.kv_b_proj');
  assert.equal(packed.firstMismatch!.planEntry, 'layers.*.self_attn.kv_b_proj');
  assert.equal(packed.firstMismatch!.line, 8);
  assert.ok(packed.firstMismatch!.relError > 1e-2);
  const kvA = await rehearse('test/fixtures/lower/mla-kv-a-colwise.shardplan.json', { widthScale: 1 });
  assert.equal(kvA.verdict, 'error');
  assert.ok(kvA.error!.line && kvA.error!.file?.endsWith('mla-kv-a-colwise.shardplan.json'));
});
