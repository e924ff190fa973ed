// The gradients of the lowering's attention op (causal within each of `batch` sequences, query head h
// reading key/value head ⌊h / (hq/hk)⌋, scores scaled by `scale`), as training runs its backward:
// probabilities recomputed from q and k, then per query row i and key j ≤ i
//   dV_j += P_ij · dY_i,  dP_ij = dY_i · V_j,  dS_ij = P_ij · (dP_ij − Σ_j' P_ij' dP_ij'),
//   dQ_i += scale · dS_ij · K_j,  dK_j += scale · dS_ij · Q_i
// (the key/value gradients of query heads sharing a key/value head add up). Sums in double; the
// native addon's attention_backward computes the same.

export interface AttentionDims {
  tokens: number;
  headDim: number;
  vHeadDim: number;
  batch: number;
  scale: number;
}

export function attentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, dy: Float32Array, o: AttentionDims): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const T = o.tokens, d = o.headDim, dvw = o.vHeadDim;
  const qw = q.length / T, kw = k.length / T, vw = v.length / T;
  const hq = qw / d, hk = kw / d, per = hq / hk, S = T / o.batch;
  const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length);
  const p = new Float64Array(S), dp = new Float64Array(S);
  for (let b = 0; b < o.batch; b++)
    for (let h = 0; h < hq; h++) {
      const kh = Math.floor(h / per);
      for (let i = 0; i < S; i++) {
        const qi = (b * S + i) * qw + h * d;
        const yi = (b * S + i) * hq * dvw + h * dvw;
        let m = -Infinity;
        for (let j = 0; j <= i; j++) {
          const kj = (b * S + j) * kw + kh * d;
          let s = 0;
          for (let c = 0; c < d; c++) s += q[qi + c] * k[kj + c];
          p[j] = s * o.scale;
          m = Math.max(m, p[j]);
        }
        let z = 0;
        for (let j = 0; j <= i; j++) z += p[j] = Math.exp(p[j] - m);
        let D = 0;
        for (let j = 0; j <= i; j++) {
          p[j] /= z;
          const vj = (b * S + j) * vw + kh * dvw;
          let s = 0;
          for (let c = 0; c < dvw; c++) {
            s += dy[yi + c] * v[vj + c];
            dv[vj + c] += p[j] * dy[yi + c];
          }
          dp[j] = s;
          D += p[j] * s;
        }
        for (let j = 0; j <= i; j++) {
          const ds = p[j] * (dp[j] - D) * o.scale;
          const kj = (b * S + j) * kw + kh * d;
          for (let c = 0; c < d; c++) {
            dq[qi + c] += ds * k[kj + c];
            dk[kj + c] += ds * q[qi + c];
          }
        }
      }
    }
  return { dq: Float32Array.from(dq), dk: Float32Array.from(dk), dv: Float32Array.from(dv) };
}
