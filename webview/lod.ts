// Level of detail for the timeline, built once when a trace arrives so that no frame walks more events
// than it can show.
//  - A per-lane pyramid of time buckets at power-of-two widths: each bucket keeps the share of its time
//    covered by events (`cov`), its dominant kind and that kind's share (`dom`). A zoomed-out frame reads
//    the coarsest level still finer than a pixel: a few buckets per pixel column, whatever the event count.
//  - Per lane, events grouped by duration class (⌊log2(dur / base)⌋), each group sorted by start: the
//    events wide enough to draw as rectangles at a zoom are found by binary search in the classes that
//    can hold them, and a lane with one very long event no longer forces a walk from the lane's start.
// Pure data: no DOM, so the same code runs in the panel and in Node tests.

export interface LodInput {
  /** µs, sorted by lane then start. */
  start: Float64Array;
  dur: Float64Array;
  lane: Uint16Array | Uint32Array;
  kind: Uint8Array;
}

/** Total finest-level buckets over all lanes (memory: about 10 bytes per finest bucket with every level). */
export const DEFAULT_BUCKET_BUDGET = 1 << 20;
/** Shares are stored as 16-bit fractions; any event at all keeps a bucket at 1 or more. */
const Q = 65535;
/** Finest buckets per lane stay within these powers of two. */
const MIN_LOG2 = 4, MAX_LOG2 = 18;
/** Duration classes of events whose class is at least this far above the level are drawn exactly. */
export const EXACT_CLASS_GAP = 3;

export class TimelineLod {
  /** Time of bucket 0's left edge (µs). */
  readonly origin: number;
  /** Width of a finest-level bucket (µs). */
  readonly base: number;
  /** log2 of the finest-level bucket count per lane; levels are 0..log2 (the last has one bucket). */
  readonly log2: number;
  readonly nLanes: number;
  /**
   * Per lane, every level back to back (level j starts at levelOff[j] and has 2^(log2 - j) buckets): the
   * share of the bucket's time covered by events, in 1/65535 (overlaps capped at the whole bucket).
   */
  readonly cov: Uint16Array[];
  /** Per lane and bucket, like `cov`: the share covered by the dominant kind, in 1/65535. */
  readonly dom: Uint16Array[];
  /** Per lane and bucket: the dominant kind. */
  readonly domKind: Uint8Array[];
  readonly levelOff: Int32Array;
  /** Per lane: event indices grouped by duration class, each class sorted by start (CSR by classOff). */
  readonly classIdx: Int32Array;
  /** Offsets into classIdx: lane l, class c spans [classOff[l * nClasses + c], classOff[l * nClasses + c + 1]). */
  readonly classOff: Int32Array;
  /** Longest duration in each lane's class (µs): how far before a view an event of it can start. */
  readonly classMaxDur: Float64Array;
  readonly nClasses: number;
  /** Shortest duration of each class: base · 2^c (class 0 from 0). */
  private readonly classStart: Float64Array;

  constructor(p: LodInput, laneOff: Int32Array, tMin: number, tMax: number, budget = DEFAULT_BUCKET_BUDGET) {
    const nLanes = laneOff.length - 1;
    this.nLanes = nLanes;
    // No finer than a few buckets per event of the busiest lane: a small trace draws exactly anyway.
    let most = 1;
    for (let l = 0; l < nLanes; l++) most = Math.max(most, laneOff[l + 1] - laneOff[l]);
    const perLane = Math.max(1, Math.min(Math.floor(budget / Math.max(1, nLanes)), most * 4));
    const log2 = Math.min(MAX_LOG2, Math.max(MIN_LOG2, Math.floor(Math.log2(perLane))));
    this.log2 = log2;
    const n0 = 1 << log2;
    this.origin = tMin;
    // Spans under a picosecond would underflow the bucket width: such a trace is one instant.
    const span = tMax - tMin > 1e-6 ? tMax - tMin : 1e-6;
    // A hair wider than span/n0, so the trace's last instant still falls inside the last bucket.
    this.base = (span / n0) * (1 + 1e-9);
    this.levelOff = new Int32Array(log2 + 2);
    for (let j = 0; j <= log2; j++) this.levelOff[j + 1] = this.levelOff[j] + (n0 >> j);
    const total = this.levelOff[log2 + 1];
    this.cov = [];
    this.dom = [];
    this.domKind = [];
    this.nClasses = log2 + 1;
    const C = this.nClasses;
    this.classStart = new Float64Array(C);
    for (let c = 1; c < C; c++) this.classStart[c] = this.base * 2 ** c;
    this.classOff = new Int32Array(nLanes * C + 1);
    this.classMaxDur = new Float64Array(nLanes * C);
    this.classIdx = new Int32Array(p.start.length);
    const cls = new Uint8Array(p.start.length);
    for (let l = 0; l < nLanes; l++) {
      const cov = new Uint16Array(total), dom = new Uint16Array(total), kind = new Uint8Array(total);
      this.fillFinest(p, l, laneOff[l], laneOff[l + 1], cov, dom, kind, n0, cls);
      this.reduceLevels(cov, dom, kind);
      this.cov.push(cov);
      this.dom.push(dom);
      this.domKind.push(kind);
    }
    this.placeClasses(laneOff, cls);
  }

  /** Duration class of an event: 0 for anything up to two finest buckets, then one per doubling. */
  classOf(dur: number): number {
    // Most events are short: counting doublings up from the bottom beats a logarithm.
    const th = this.classStart;
    let c = 0;
    while (c + 1 < th.length && dur >= th[c + 1]) c++;
    return c;
  }

  /**
   * One lane's events into the finest level; on the same pass,
   * each event's duration class, counted per lane and class for the class index.
   */
  private fillFinest(p: LodInput, lane: number, lo: number, hi: number, cov: Uint16Array, dom: Uint16Array, kind: Uint8Array, n0: number, cls: Uint8Array): void {
    const inv = 1 / this.base, origin = this.origin, start = p.start, dur = p.dur, kinds = p.kind;
    const C = this.nClasses, th = this.classStart, counts = this.classOff, maxDur = this.classMaxDur, row = lane * C;
    // Each bucket an event touches gets its share: the kind already dominant grows; another kind takes
    // the bucket only with a larger share (a one-counter majority vote, exact when a bucket holds one kind).
    // Instants and events far below a bucket still mark it: every event is visible at every zoom.
    for (let i = lo; i < hi; i++) {
      const d = dur[i];
      let c = 0;
      while (c + 1 < C && d >= th[c + 1]) c++;
      cls[i] = c;
      counts[row + c + 1]++;
      if (d > maxDur[row + c]) maxDur[row + c] = d;
      const s = (start[i] - origin) * inv;
      const e = s + d * inv;
      const k = kinds[i];
      let b = Math.floor(s), b1 = Math.floor(e);
      if (b < 0) b = 0;
      if (b1 >= n0) b1 = n0 - 1;
      if (b > b1) b = b1;
      for (; b <= b1; b++) {
        const lft = b > s ? b : s, rgt = b + 1 < e ? b + 1 : e;
        // the share in 1/65535, rounded up (never 0), sums saturating at the whole bucket
        const q = rgt - lft >= 1 ? Q : Math.ceil((rgt - lft > 0 ? rgt - lft : 0) * Q) || 1;
        const cv = cov[b] + q;
        cov[b] = cv > Q ? Q : cv;
        if (kind[b] === k || dom[b] === 0) {
          kind[b] = k;
          const dv = dom[b] + q;
          dom[b] = dv > Q ? Q : dv;
        } else if (q > dom[b]) { kind[b] = k; dom[b] = q; }
      }
    }
  }

  private reduceLevels(cov: Uint16Array, dom: Uint16Array, kind: Uint8Array): void {
    for (let j = 1; j <= this.log2; j++) {
      const src = this.levelOff[j - 1], dst = this.levelOff[j], n = this.levelOff[j + 1] - dst;
      for (let b = 0; b < n; b++) {
        const a = src + 2 * b, c = a + 1, o = dst + b;
        // halves rounded up: a bucket with any event stays marked at every level
        cov[o] = (cov[a] + cov[c] + 1) >> 1;
        if (cov[a] === 0 && cov[c] === 0) continue;
        if (kind[a] === kind[c] && cov[a] > 0 && cov[c] > 0) { kind[o] = kind[a]; dom[o] = (dom[a] + dom[c] + 1) >> 1; } else if (dom[a] >= dom[c] && cov[a] > 0) { kind[o] = kind[a]; dom[o] = (dom[a] + 1) >> 1; } else { kind[o] = kind[c]; dom[o] = (dom[c] + 1) >> 1; }
      }
    }
  }

  /** The class index from the counts fillFinest made: a stable counting sort, so each class keeps start order. */
  private placeClasses(laneOff: Int32Array, cls: Uint8Array): void {
    const C = this.nClasses, counts = this.classOff;
    for (let x = 0; x < this.nLanes * C; x++) counts[x + 1] += counts[x];
    const fill = counts.slice(0, this.nLanes * C);
    for (let l = 0; l < this.nLanes; l++) {
      for (let i = laneOff[l]; i < laneOff[l + 1]; i++) this.classIdx[fill[l * C + cls[i]]++] = i;
    }
  }

  /** The coarsest level whose buckets are no wider than `usPerPx`, or -1 when even the finest is wider. */
  levelFor(usPerPx: number): number {
    if (!(usPerPx >= this.base)) return -1;
    const j = Math.floor(Math.log2(usPerPx / this.base));
    return j > this.log2 ? this.log2 : j;
  }

  /** First position in [lo, hi) of classIdx whose event starts at or after t. */
  lowerBound(start: Float64Array, t: number, lo: number, hi: number): number {
    const idx = this.classIdx;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (start[idx[mid]] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Paints one lane's pixel columns from `level` into `row` (one Uint32 RGBA word per pixel, `x0` the
   * first drawn pixel, `width` pixels), pixel px covering [t0 + (px - x0) · usPerPx, + usPerPx). A column
   * takes the dominant kind of the buckets it touches; empty columns are left as they are.
   */
  paintLane(row: Uint32Array, rowBase: number, x0: number, width: number, lane: number, level: number, t0: number, usPerPx: number, rgba: Uint32Array): void {
    const w = this.base * 2 ** level;
    const off = this.levelOff[level], n = this.levelOff[level + 1] - off;
    const cov = this.cov[lane], dom = this.dom[lane], kind = this.domKind[lane];
    const rel = (t0 - this.origin) / w, step = usPerPx / w;
    for (let px = 0; px < width; px++) {
      const a = rel + px * step;
      const bEnd = a + step;
      if (bEnd <= 0) continue;
      if (a >= n) break;
      let b = a < 0 ? 0 : Math.floor(a);
      const last = Math.min(n, Math.ceil(bEnd));
      let best = -1, bestDom = -1;
      for (; b < last; b++) {
        const o = off + b;
        if (cov[o] > 0 && dom[o] > bestDom) { bestDom = dom[o]; best = o; }
      }
      if (best >= 0) row[rowBase + x0 + px] = rgba[kind[best]];
    }
  }
}
