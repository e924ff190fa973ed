// Rotary position embedding as the model's config defines it: the inverse frequencies of every rotated
// pair (with the config's rope scaling: linear, llama3 or yarn) and the factor yarn puts on cos and sin.
// The `rope` op carries them as attributes, so every executor applies the very same rotation.
import type { NormalizedConfig } from '../models/types';

export interface RopeSpec {
  /** Inverse frequency of each rotated pair (length = rotary dim / 2). */
  invFreq: number[];
  /** Multiplies cos and sin (yarn's attention factor; 1 otherwise). */
  attnFactor: number;
  /** Pairs are adjacent elements (2i, 2i+1), de-interleaved on output as transformers' apply_rotary_pos_emb_interleave does;
   *  otherwise pairs are (i, i + d/2) (rotate_half). */
  interleaved: boolean;
}

export class RopeConfigError extends Error {}

type Scaling = Record<string, unknown>;

const numOr = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** The rope parameters of a config: transformers 5's `rope_parameters`, or `rope_theta` with `rope_scaling`. */
function ropeParameters(raw: Record<string, unknown>): { theta: number; scaling?: Scaling } {
  const params = raw.rope_parameters;
  if (params && typeof params === 'object') {
    const p = params as Scaling;
    const type = String(p.rope_type ?? p.type ?? 'default');
    return { theta: numOr(p.rope_theta, numOr(raw.rope_theta, 10000)), scaling: type === 'default' ? undefined : p };
  }
  const s = raw.rope_scaling;
  return { theta: numOr(raw.rope_theta, 10000), scaling: s && typeof s === 'object' ? (s as Scaling) : undefined };
}

/** transformers' yarn_get_mscale. */
export function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/**
 * The rotation of a `dim`-wide rotary part under `cfg`'s rope settings (dim = head_dim, or
 * qk_rope_head_dim for multi-head latent attention). Unknown scaling types are refused by name.
 */
export function ropeSpec(cfg: NormalizedConfig, dim: number): RopeSpec {
  if (dim % 2 !== 0) throw new RopeConfigError(`rotary dim ${dim} is odd; rotary embedding rotates pairs`);
  const raw = cfg.raw;
  const { theta, scaling } = ropeParameters(raw);
  const half = dim / 2;
  const base = Array.from({ length: half }, (_, i) => 1 / theta ** ((2 * i) / dim));
  // DeepSeek's configs default rope_interleave to true; other families rotate halves.
  const interleaved = typeof raw.rope_interleave === 'boolean' ? raw.rope_interleave : cfg.modelType === 'deepseek_v3';
  if (!scaling) return { invFreq: base, attnFactor: 1, interleaved };
  const type = String(scaling.rope_type ?? scaling.type ?? 'default');
  const factor = numOr(scaling.factor, 1);
  switch (type) {
    case 'default':
    case 'dynamic': // dynamic NTK only changes frequencies beyond the trained length; rehearsals stay far below it
      return { invFreq: base, attnFactor: 1, interleaved };
    case 'linear':
      return { invFreq: base.map((f) => f / factor), attnFactor: 1, interleaved };
    case 'llama3': {
      const low = numOr(scaling.low_freq_factor, 1);
      const high = numOr(scaling.high_freq_factor, 4);
      const oldLen = numOr(scaling.original_max_position_embeddings, 8192);
      const lowWavelen = oldLen / low;
      const highWavelen = oldLen / high;
      const invFreq = base.map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return f / factor;
        const smooth = (oldLen / wavelen - low) / (high - low);
        return (1 - smooth) * (f / factor) + smooth * f;
      });
      return { invFreq, attnFactor: 1, interleaved };
    }
    case 'yarn': {
      const origMax = numOr(scaling.original_max_position_embeddings, numOr(raw.max_position_embeddings, 4096));
      const betaFast = numOr(scaling.beta_fast, 32);
      const betaSlow = numOr(scaling.beta_slow, 1);
      const mscale = numOr(scaling.mscale, 0);
      const mscaleAll = numOr(scaling.mscale_all_dim, 0);
      const attnFactor = typeof scaling.attention_factor === 'number' ? scaling.attention_factor : mscale && mscaleAll ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAll) : yarnMscale(factor);
      const correctionDim = (rotations: number) => (dim * Math.log(origMax / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
      const truncate = scaling.truncate !== false;
      let lo = correctionDim(betaFast);
      let hi = correctionDim(betaSlow);
      if (truncate) {
        lo = Math.floor(lo);
        hi = Math.ceil(hi);
      }
      lo = Math.max(lo, 0);
      hi = Math.min(hi, dim - 1);
      if (lo === hi) hi += 0.001;
      const invFreq = base.map((f, i) => {
        const ramp = Math.min(1, Math.max(0, (i - lo) / (hi - lo)));
        const extrapolation = 1 - ramp;
        return (f / factor) * (1 - extrapolation) + f * extrapolation;
      });
      return { invFreq, attnFactor, interleaved };
    }
    default:
      throw new RopeConfigError(`rope scaling "${type}" is not supported (linear, llama3, yarn, dynamic and default are)`);
  }
}

/** The softmax scale of multi-head latent attention: qk_head_dim^-½, times yarn's mscale² where the config sets mscale_all_dim. */
export function mlaSoftmaxScale(cfg: NormalizedConfig, qkHeadDim: number): number {
  const { scaling } = ropeParameters(cfg.raw);
  let s = 1 / Math.sqrt(qkHeadDim);
  const all = scaling ? numOr(scaling.mscale_all_dim, 0) : 0;
  if (scaling && all) {
    const m = yarnMscale(numOr(scaling.factor, 1), all);
    s *= m * m;
  }
  return s;
}
