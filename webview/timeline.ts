// The canvas timeline: one lane per rank and stream, a time ruler, zoom (wheel, W/S), pan (drag, A/D,
// shift+wheel), selection with the same collective on every other rank. Only what is visible is drawn:
// zoomed out, each pixel column comes from a level-of-detail pyramid built when the trace arrives
// (lod.ts), and only events several pixels wide are walked, found by binary search in their duration
// class; zoomed in past the pyramid's finest level, events are drawn exactly and those narrower than a
// pixel collapse into one pixel column. A frame costs pixels × lanes plus the visible wide events.
// The canvas is only as tall as the view and stays put while a spacer scrolls: a trace may have more
// lanes than any canvas could be tall, and only the lanes in sight are drawn.
import type { TimelinePayload } from '../extension/core/trace/panel-protocol';
import { busBandwidth } from '../extension/core/trace/ops';
import { axisUnit, kernelNameForms, wheelAction } from './timeline-text';
import { h, clear, fmtBytes, fmtUs } from './dom';
import { kindColor } from './colors';
import { TimelineLod, EXACT_CLASS_GAP } from './lod';

const LANE_H = 22, RULER_H = 26;
/** The lane-label gutter fits the longest label, within these bounds (px). */
const GUTTER_MIN = 120, GUTTER_MAX = 360;
const FONT = '11px sans-serif';
/** The straggler's mark at the left edge of its collective: magenta, unlike every kind's colour. */
export const STRAGGLER = '#ff00e6';
/** The stripe under a collective matched across ranks by order alone (or with ranks missing). */
export const UNCERTAIN = '#00e5ff';

export interface TimelineStats {
  frames: number;
  /** Duration of the last draw (ms). */
  lastFrameMs: number;
  /** From the first input event that changed the view to the end of the draw showing it (ms). */
  lastInputToDrawnMs: number;
  /** The pyramid level the last frame read, -1 when it drew every visible event exactly. */
  lastLevel: number;
  /** How many lanes the last frame drew (those in the scroll viewport). */
  lastLanes: number;
  frameTimes: number[];
  /** Building the level-of-detail index when the trace arrived (ms). */
  lodBuildMs: number;
  /** Running the lane walkers once before the first input, so no frame pays for compiling them (ms). */
  warmUpMs: number;
}

export class Timeline {
  readonly root: HTMLElement;
  private canvas: HTMLCanvasElement;
  /** Below the canvas: makes the scroll height of every lane while the canvas shows those in sight. */
  private spacer: HTMLElement;
  private ctx: CanvasRenderingContext2D;
  private details: HTMLElement;
  private p!: TimelinePayload;
  private laneOff!: Int32Array;
  private lod!: TimelineLod;
  private laneLabels: string[] = [];
  /** Width of the lane-label column (px): the longest label fits. */
  gutter = GUTTER_MIN;
  /** Every lane label fits the gutter whole (else the longest are cut with an ellipsis). */
  private lanesFit = true;
  /** Per event name: its width in the canvas font and its short form (measured once, on first draw). */
  private nameFit: { forms: string[]; widths: number[] }[] = [];
  /** The event labels and ruler labels the last frame drew (tests read them back). */
  readonly drawn = { labels: [] as string[], ruler: [] as string[], lanes: [] as string[] };
  /** Draw every visible event exactly, never from the pyramid (tests compare the two). */
  exactOnly = false;
  private rafId = 0;
  /** When the first input since the last frame arrived (performance.now), -1 when none is pending. */
  private inputAt = -1;
  private colors: string[] = [];
  t0 = 0;
  t1 = 1;
  private tMin = 0;
  private tMax = 1;
  selected = -1;
  private dirty = false;
  private drag?: { x: number; t0: number; t1: number; moved: boolean };
  readonly stats: TimelineStats = { frames: 0, lastFrameMs: 0, lastInputToDrawnMs: 0, lastLevel: -1, lastLanes: 0, frameTimes: [], lodBuildMs: 0, warmUpMs: 0 };
  onView?: (t0: number, t1: number) => void;
  onReveal?: (entryIndex: number) => void;

  constructor() {
    this.canvas = h('canvas', { class: 'timeline-canvas', tabindex: 0, 'data-testid': 'timeline-canvas' });
    this.ctx = this.canvas.getContext('2d', { alpha: false })!;
    this.details = h('div', { class: 'details', 'data-testid': 'details' }, 'Click an event to see its details.');
    this.spacer = h('div', { class: 'timeline-spacer' });
    this.root = h('div', { class: 'timeline' }, h('div', { class: 'canvas-wrap' }, this.canvas, this.spacer), this.details);
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('mousedown', (e) => (this.drag = { x: e.clientX, t0: this.t0, t1: this.t1, moved: false }));
    window.addEventListener('mousemove', (e) => this.onDrag(e));
    // The whole name of the event under the pointer, whatever its label could show.
    this.canvas.addEventListener('mousemove', (e) => {
      if (this.drag?.moved || !this.p) return;
      const rect = this.canvas.getBoundingClientRect();
      const i = this.hit(e.clientX - rect.left, e.clientY - rect.top);
      this.canvas.title = i >= 0 ? `${this.p.names[this.p.name[i]]} — ${fmtUs(this.p.dur[i])}` : '';
    });
    window.addEventListener('mouseup', (e) => this.onUp(e));
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.resize()).observe(this.root);
    window.addEventListener('resize', () => this.resize());
    // Lanes scrolled out of sight are not drawn: scrolling brings them in.
    this.canvas.parentElement!.addEventListener('scroll', () => this.invalidate(), { passive: true });
  }

  setData(p: TimelinePayload, view?: { t0: number; t1: number }): void {
    this.p = p;
    const nLanes = p.lanes.length;
    this.laneOff = new Int32Array(nLanes + 1);
    for (let i = 0; i < p.lane.length; i++) this.laneOff[p.lane[i] + 1]++;
    for (let l = 0; l < nLanes; l++) this.laneOff[l + 1] += this.laneOff[l];
    let tMin = Infinity, tMax = -Infinity;
    for (let i = 0; i < p.start.length; i++) {
      const s = p.start[i], e = s + p.dur[i];
      if (s < tMin) tMin = s;
      if (e > tMax) tMax = e;
    }
    if (!Number.isFinite(tMin)) { tMin = 0; tMax = 1; }
    if (tMax <= tMin) tMax = tMin + 1;
    this.tMin = tMin;
    this.tMax = tMax;
    const t = performance.now();
    this.lod = new TimelineLod(p, this.laneOff, tMin, tMax);
    this.laneLabels = p.lanes.map((lane) => `rank ${lane.rank} · ${lane.name}`);
    this.ctx.font = FONT;
    let widest = 0;
    for (const t of this.laneLabels) widest = Math.max(widest, this.ctx.measureText(t).width);
    this.gutter = Math.ceil(Math.min(GUTTER_MAX, Math.max(GUTTER_MIN, widest + 12)));
    this.lanesFit = widest + 12 <= GUTTER_MAX;
    this.nameFit = [];
    this.colors = p.kinds.map(kindColor);
    this.parseColors();
    this.stats.lodBuildMs = performance.now() - t;
    this.warmPending = true;
    this.selected = -1;
    if (view && view.t1 > view.t0) { this.t0 = view.t0; this.t1 = view.t1; } else this.fit();
    this.resize();
    this.showDetails();
  }

  fit(): void {
    const pad = (this.tMax - this.tMin) * 0.02;
    this.t0 = this.tMin - pad;
    this.t1 = this.tMax + pad;
    this.invalidate();
  }

  setView(t0: number, t1: number): void {
    this.t0 = t0;
    this.t1 = Math.max(t1, t0 + 1e-3);
    this.invalidate();
  }

  private width(): number {
    return Math.max(1, this.canvas.clientWidth - this.gutter);
  }

  private resize(): void {
    if (!this.p) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(300, this.root.clientWidth);
    // every lane's height scrolls; the canvas is the part in sight (the wrap is at most 70 % of the page)
    const full = RULER_H + this.p.lanes.length * LANE_H + 4;
    const hgt = Math.max(RULER_H + LANE_H, Math.min(full, Math.floor(window.innerHeight * 0.7)));
    this.spacer.style.height = `${Math.max(0, full - hgt)}px`;
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${hgt}px`;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(hgt * dpr);
    this.invalidate();
  }

  private stripImg?: ImageData;
  private stripCanvas?: OffscreenCanvas;
  private strip = new Uint32Array(0);
  /** Kind colours as little-endian RGBA words for the strip. */
  private rgba = new Uint32Array(0);

  private parseColors(): void {
    const c = new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true })!;
    this.rgba = new Uint32Array(this.colors.length);
    this.colors.forEach((col, k) => {
      c.clearRect(0, 0, 1, 1);
      c.fillStyle = col;
      c.fillRect(0, 0, 1, 1);
      this.rgba[k] = new Uint32Array(c.getImageData(0, 0, 1, 1).data.buffer)[0];
    });
  }

  /** A kind's colour as drawn, [r, g, b]. */
  kindRgb(k: number): [number, number, number] {
    const c = this.rgba[k];
    return [c & 255, (c >>> 8) & 255, (c >>> 16) & 255];
  }

  private rects = new Map<number, { a: Float32Array; n: number }>();

  private batch(k: number, x: number, y: number, w: number, hh: number): void {
    let r = this.rects.get(k);
    if (!r) this.rects.set(k, (r = { a: new Float32Array(4096), n: 0 }));
    if (r.n + 4 > r.a.length) {
      const b = new Float32Array(r.a.length * 2);
      b.set(r.a);
      r.a = b;
    }
    r.a[r.n++] = x; r.a[r.n++] = y; r.a[r.n++] = w; r.a[r.n++] = hh;
  }

  invalidate(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.rafId = requestAnimationFrame(() => {
      this.dirty = false;
      this.draw();
    });
  }

  private xOf(t: number): number {
    return this.gutter + ((t - this.t0) / (this.t1 - this.t0)) * this.width();
  }

  private tOf(x: number): number {
    return this.t0 + ((x - this.gutter) / this.width()) * (this.t1 - this.t0);
  }

  /** Draws now if a frame is pending (the bench times input-to-drawn without waiting for vsync). */
  flush(): void {
    if (!this.dirty) return;
    cancelAnimationFrame(this.rafId);
    this.dirty = false;
    this.draw();
  }

  draw(): void {
    if (!this.p) return;
    const began = performance.now();
    const ctx = this.ctx, p = this.p, lod = this.lod;
    const dpr = window.devicePixelRatio || 1;
    const css = getComputedStyle(this.root);
    const bg = css.getPropertyValue('--ss-bg').trim() || '#1e1e1e';
    const fg = css.getPropertyValue('--ss-fg').trim() || '#cccccc';
    const grid = css.getPropertyValue('--ss-grid').trim() || '#444';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const W = this.canvas.width / dpr, H = this.canvas.height / dpr;
    // Only the lanes in sight: lane l sits at RULER_H + l·LANE_H − scrollTop, under the ruler that stays.
    const scrollTop = this.scrollTop();
    const firstLane = Math.min(p.lanes.length, Math.max(0, Math.floor(scrollTop / LANE_H)));
    const endLane = Math.min(p.lanes.length, Math.ceil((scrollTop + H - RULER_H) / LANE_H));
    const yOf = (l: number): number => RULER_H + l * LANE_H - scrollTop;
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, W, H);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    this.drawRuler(ctx, W, fg, grid);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, RULER_H, W, H - RULER_H);
    ctx.clip();
    const width = this.width();
    const scale = width / (this.t1 - this.t0);
    const usPerPx = 1 / scale;
    const sel = this.selected;
    const selMatch = sel >= 0 ? p.match[sel] : -1;
    // Zoomed out past the finest bucket, sub-rectangle events come from the pyramid; only the classes
    // whose events are several pixels wide are walked (exactly, for edges, labels and straggler marks).
    const level = this.exactOnly ? -1 : lod.levelFor(usPerPx);
    const minClass = level < 0 ? 0 : level + EXACT_CLASS_GAP;
    this.nLabels = 0;
    // Narrow and sub-pixel columns go into a one-pixel-high strip per lane (a typed array), drawn
    // stretched with one drawImage per lane: thousands of 1-px fillRects would dominate the frame.
    // One strip row per lane in sight (row l − firstLane).
    const stripW = Math.ceil(W) + 1, rows = Math.max(1, Math.ceil(H / LANE_H) + 1);
    if (!this.stripImg || this.stripImg.width !== stripW || this.stripImg.height !== rows) {
      this.stripImg = new ImageData(stripW, rows);
      this.stripCanvas = new OffscreenCanvas(stripW, rows);
      this.strip = new Uint32Array(this.stripImg.data.buffer);
    }
    const strip = this.strip;
    strip.fill(0);
    const right = this.gutter + width;
    const paintW = Math.min(Math.ceil(width), stripW - this.gutter);
    this.drawn.lanes.length = 0;
    for (let l = firstLane; l < endLane; l++) {
      const y = yOf(l), row = (l - firstLane) * stripW;
      if (l > 0 && p.lanes[l].rank !== p.lanes[l - 1].rank) {
        ctx.fillStyle = grid;
        ctx.fillRect(0, y, W, 1);
      }
      ctx.fillStyle = fg;
      const laneText = this.lanesFit ? this.laneLabels[l] : this.fitText(this.laneLabels[l], this.gutter - 8);
      ctx.fillText(laneText, 4, y + LANE_H / 2);
      this.drawn.lanes.push(laneText);
      const top = y + 2, hh = LANE_H - 4;
      if (level >= 0) lod.paintLane(strip, row, this.gutter, paintW, l, level, this.t0, usPerPx, this.rgba);
      this.walkLane(l, row, minClass, this.t0, this.t1, scale, stripW, right, top, hh, y);
    }
    const sctx = this.stripCanvas!.getContext('2d')!;
    sctx.putImageData(this.stripImg!, 0, 0);
    ctx.imageSmoothingEnabled = false;
    for (let l = firstLane; l < endLane; l++) ctx.drawImage(this.stripCanvas!, 0, l - firstLane, stripW, 1, 0, yOf(l) + 2, stripW, LANE_H - 4);
    // One fillStyle per colour: rectangles were batched by kind while walking the lanes.
    for (const [k, rects] of this.rects) {
      if (!rects.n) continue;
      ctx.fillStyle = k === -1 ? STRAGGLER : k === -2 ? UNCERTAIN : this.colors[k];
      const a = rects.a;
      for (let j = 0; j < rects.n; j += 4) ctx.fillRect(a[j], a[j + 1], a[j + 2], a[j + 3]);
      rects.n = 0;
    }
    ctx.fillStyle = '#000';
    const lb = this.labels;
    this.drawn.labels.length = 0;
    // A name is drawn whole, or its short form (the kernel without arguments and templates), or not at all:
    // never cut in the middle; the details and the hover title give the whole name.
    for (let j = 0; j < this.nLabels * 4; j += 4) {
      const text = this.labelFor(p.name[lb[j]], lb[j + 3] - 6);
      if (!text) continue;
      ctx.fillText(text, lb[j + 1] + 3, lb[j + 2]);
      if (this.drawn.labels.length < 2000) this.drawn.labels.push(text);
    }
    if (sel >= 0) {
      const related = selMatch >= 0 ? p.matches[selMatch].events : [sel];
      const uncertain = selMatch >= 0 && p.matches[selMatch].uncertain;
      for (const j of related) {
        const y = yOf(p.lane[j]);
        const x0 = this.xOf(p.start[j]);
        const w = Math.max(2, p.dur[j] * scale);
        ctx.strokeStyle = j === sel ? fg : '#ffbf00';
        ctx.lineWidth = 2;
        ctx.setLineDash(uncertain ? [4, 3] : []);
        ctx.strokeRect(x0, y + 1, w, LANE_H - 2);
      }
      ctx.setLineDash([]);
    }
    ctx.restore();
    const end = performance.now();
    const ms = end - began;
    this.stats.frames++;
    this.stats.lastFrameMs = ms;
    this.stats.lastLevel = level;
    this.stats.lastLanes = endLane - firstLane;
    this.stats.frameTimes.push(ms);
    if (this.stats.frameTimes.length > 200) this.stats.frameTimes.shift();
    if (this.inputAt >= 0) {
      this.stats.lastInputToDrawnMs = end - this.inputAt;
      this.inputAt = -1;
    }
    this.canvas.dataset.frames = String(this.stats.frames);
    if (this.warmPending) {
      // right after the first frame, off the first paint's path, before the user's first input
      this.warmPending = false;
      setTimeout(() => {
        const tw = performance.now();
        this.warmUp();
        this.stats.warmUpMs = performance.now() - tw;
      }, 0);
    }
  }

  private warmPending = false;

  /**
   * One lane's events of duration classes ≥ minClass that overlap [t0, t1]: wide ones batched as
   * rectangles (with straggler and uncertainty marks and labels), narrow ones into the lane's strip row,
   * sub-pixel ones one pixel column at a time (binary search to the next column).
   */
  private walkLane(l: number, rowBase: number, minClass: number, t0: number, t1: number, scale: number, stripW: number, right: number, top: number, hh: number, y: number): void {
    const p = this.p, lod = this.lod, C = lod.nClasses, idx = lod.classIdx, strip = this.strip;
    const usPerPx = 1 / scale, rank = p.lanes[l].rank;
    // Longest classes first: shorter events nested in longer ones are painted over them.
    for (let c = C - 1; c >= minClass; c--) {
      const lo = lod.classOff[l * C + c], hi = lod.classOff[l * C + c + 1];
      if (lo === hi) continue;
      let j = lod.lowerBound(p.start, t0 - lod.classMaxDur[l * C + c], lo, hi);
      while (j < hi) {
        const i = idx[j];
        const s = p.start[i];
        if (s > t1) break;
        const d = p.dur[i];
        if (s + d < t0) { j++; continue; }
        let x0 = this.gutter + (s - t0) * scale;
        let x1 = x0 + d * scale;
        if (x0 < this.gutter) x0 = this.gutter;
        if (x1 > right) x1 = right;
        const w = x1 - x0;
        const k = p.kind[i];
        if (w >= 8) {
          this.batch(k, x0, top, w, hh);
          const m = p.match[i];
          if (m >= 0) {
            const match = p.matches[m];
            // the straggler: everyone else waited for this rank (nobody did when all started together)
            if (match.straggler === rank && match.events.length > 1 && match.skewUs > 0) this.batch(-1, x0, top, 3, hh);
            if (match.uncertain) this.batch(-2, x0, top + hh - 3, w, 3);
          }
          if (w > 24) this.label(i, x0, y + LANE_H / 2, w);
          j++;
        } else if (w >= 1) {
          // narrow: a few pixels of the strip, no draw call of its own
          const col = this.rgba[k];
          const e = Math.min(Math.ceil(x1), stripW);
          for (let px = Math.floor(x0); px < e; px++) strip[rowBase + px] = col;
          j++;
        } else {
          // sub-pixel: paint this pixel column once, then jump to the class's first event of the next column
          const px = Math.floor(x0);
          strip[rowBase + px] = this.rgba[k];
          const next = lod.lowerBound(p.start, t0 + (px + 1 - this.gutter) * usPerPx, j + 1, hi);
          j = next > j ? next : j + 1;
        }
      }
    }
  }

  /**
   * Runs the lane walkers over a few views before the first input: the first exact frame would otherwise
   * pay for compiling them (tens of ms), which the user feels as a stutter when zooming in the first time.
   */
  private warmUp(): void {
    const p = this.p, n = Math.min(p.lanes.length, 256); // enough lanes to compile the walkers
    if (!n || !p.start.length) return;
    const W = 1200, stripW = W + this.gutter + 1;
    const strip = this.strip;
    this.strip = new Uint32Array(stripW); // scratch, one row for every lane: the frame's strip is the ImageData's own buffer
    const span = this.tMax - this.tMin;
    for (const zoom of [1, 1 / 64, 1 / 4096]) {
      const t0 = this.tMin + span * 0.37 * (1 - zoom), t1 = t0 + span * zoom;
      const scale = W / (t1 - t0);
      const level = this.lod.levelFor(1 / scale);
      for (let l = 0; l < n; l++) {
        if (level >= 0) this.lod.paintLane(this.strip, 0, this.gutter, W, l, level, t0, 1 / scale, this.rgba);
        this.walkLane(l, 0, 0, t0, t1, scale, stripW, this.gutter + W, 0, 1, 0);
      }
    }
    for (const r of this.rects.values()) r.n = 0;
    this.nLabels = 0;
    this.strip = strip;
  }

  private labels = new Float64Array(256);
  private nLabels = 0;

  private label(i: number, x: number, y: number, w: number): void {
    if ((this.nLabels + 1) * 4 > this.labels.length) {
      const b = new Float64Array(this.labels.length * 2);
      b.set(this.labels);
      this.labels = b;
    }
    const o = this.nLabels++ * 4;
    this.labels[o] = i; this.labels[o + 1] = x; this.labels[o + 2] = y; this.labels[o + 3] = w;
  }

  /** Ticks every 1, 2 or 5 × 10^k µs, about 100 px apart, all labelled in the one unit the step calls for. */
  private drawRuler(ctx: CanvasRenderingContext2D, W: number, fg: string, grid: string): void {
    const span = this.t1 - this.t0;
    const target = span / (this.width() / 100);
    const pow = 10 ** Math.floor(Math.log10(target));
    const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= target) ?? pow * 10;
    const unit = axisUnit(span, step);
    this.drawn.ruler.length = 0;
    ctx.fillStyle = fg;
    const first = Math.ceil(this.t0 / step) * step;
    for (let t = first; t <= this.t1; t += step) {
      const x = this.xOf(t);
      ctx.fillStyle = grid;
      ctx.fillRect(x, RULER_H - 6, 1, 6);
      ctx.fillStyle = fg;
      const text = unit.format(t);
      this.drawn.ruler.push(text);
      ctx.fillText(text, x + 2, RULER_H / 2 - 2);
    }
    ctx.fillStyle = grid;
    ctx.fillRect(0, RULER_H - 1, W, 1);
  }

  /** The text, whole if it fits in `w` px, else cut with an ellipsis (lane labels past GUTTER_MAX only). */
  private fitText(text: string, w: number): string {
    if (this.ctx.measureText(text).width <= w) return text;
    let lo = 0, hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.ctx.measureText(text.slice(0, mid) + '…').width <= w) lo = mid; else hi = mid - 1;
    }
    return text.slice(0, lo) + '…';
  }

  /** What an event label shows in `w` px: its whole name, else its shorter forms, else nothing. */
  private labelFor(ni: number, w: number): string | undefined {
    let f = this.nameFit[ni];
    if (!f) {
      const forms = kernelNameForms(this.p.names[ni]);
      f = this.nameFit[ni] = { forms, widths: forms.map((t) => this.ctx.measureText(t).width) };
    }
    for (let k = 0; k < f.forms.length; k++) if (f.widths[k] <= w) return f.forms[k];
    return undefined;
  }

  private zoomAt(x: number, factor: number): void {
    const t = this.tOf(x);
    const span = Math.min(Math.max((this.t1 - this.t0) * factor, 1e-3), (this.tMax - this.tMin) * 10 + 1);
    const frac = (t - this.t0) / (this.t1 - this.t0);
    this.t0 = t - frac * span;
    this.t1 = this.t0 + span;
    this.viewChanged();
  }

  private pan(dt: number): void {
    this.t0 += dt;
    this.t1 += dt;
    this.viewChanged();
  }

  private viewChanged(): void {
    if (this.inputAt < 0) this.inputAt = performance.now();
    this.invalidate();
    this.onView?.(this.t0, this.t1);
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const w = wheelAction(e, this.canvas.clientHeight);
    if (w.panPx) this.pan((w.panPx / this.width()) * (this.t1 - this.t0));
    if (w.zoom !== 1) this.zoomAt(e.clientX - rect.left, w.zoom);
  }

  private onKey(e: KeyboardEvent): void {
    const span = this.t1 - this.t0;
    const mid = this.gutter + this.width() / 2;
    switch (e.key.toLowerCase()) {
      case 'w': this.zoomAt(mid, 0.8); break;
      case 's': this.zoomAt(mid, 1.25); break;
      case 'a': this.pan(-span * 0.1); break;
      case 'd': this.pan(span * 0.1); break;
      case '0': this.fit(); this.onView?.(this.t0, this.t1); break;
      default: return;
    }
    e.preventDefault();
  }

  private onDrag(e: MouseEvent): void {
    if (!this.drag) return;
    const dx = e.clientX - this.drag.x;
    if (Math.abs(dx) > 2) this.drag.moved = true;
    if (!this.drag.moved) return;
    const dt = (-dx / this.width()) * (this.drag.t1 - this.drag.t0);
    this.t0 = this.drag.t0 + dt;
    this.t1 = this.drag.t1 + dt;
    this.viewChanged();
  }

  private onUp(e: MouseEvent): void {
    const d = this.drag;
    this.drag = undefined;
    if (!d || d.moved || e.target !== this.canvas) return;
    const rect = this.canvas.getBoundingClientRect();
    this.select(this.hit(e.clientX - rect.left, e.clientY - rect.top));
    this.canvas.focus();
  }

  /** The event under a point (the one nearest within 3 px), or -1. */
  hit(x: number, y: number): number {
    if (!this.p || x < this.gutter || y < RULER_H) return -1;
    const l = Math.floor((y - RULER_H + this.scrollTop()) / LANE_H);
    if (l < 0 || l >= this.p.lanes.length) return -1;
    const t = this.tOf(x), slack = 3 * (this.t1 - this.t0) / this.width();
    const lod = this.lod, C = lod.nClasses, start = this.p.start, dur = this.p.dur;
    let best = -1, bestDist = Infinity;
    for (let c = 0; c < C; c++) {
      const lo = lod.classOff[l * C + c], hi = lod.classOff[l * C + c + 1];
      for (let j = lod.lowerBound(start, t - lod.classMaxDur[l * C + c] - slack, lo, hi); j < hi && start[lod.classIdx[j]] <= t + slack; j++) {
        const i = lod.classIdx[j];
        const s = start[i], e = s + dur[i];
        const dist = t < s ? s - t : t > e ? t - e : 0;
        if (dist <= slack && (dist < bestDist || (dist === bestDist && (dur[i] < dur[best] || (dur[i] === dur[best] && i < best))))) { best = i; bestDist = dist; }
      }
    }
    return best;
  }

  /** Screen x, y of the middle of an event (tests click there). */
  eventPoint(i: number): { x: number; y: number } {
    const x0 = Math.max(this.gutter, this.xOf(this.p.start[i]));
    const x1 = Math.min(this.gutter + this.width(), this.xOf(this.p.start[i] + this.p.dur[i]));
    return { x: (x0 + x1) / 2, y: RULER_H + this.p.lane[i] * LANE_H + LANE_H / 2 - this.scrollTop() };
  }

  /** How far the lanes are scrolled (px). */
  private scrollTop(): number {
    return this.canvas.parentElement?.scrollTop ?? 0;
  }

  select(i: number): void {
    this.selected = i;
    this.invalidate();
    this.showDetails();
  }

  private showDetails(): void {
    const p = this.p, i = this.selected;
    clear(this.details);
    if (!p || i < 0) {
      this.details.append('Click an event to see its details. Wheel or W/S zooms, drag or A/D pans, 0 fits.');
      return;
    }
    const lane = p.lanes[p.lane[i]];
    const kind = p.kinds[p.kind[i]];
    const bytes = p.bytes[i];
    const rows: [string, string][] = [
      ['name', p.names[p.name[i]]], ['kind', kind], ['rank', String(lane.rank)], ['lane', lane.name],
      ['start', fmtUs(p.start[i])], ['duration', fmtUs(p.dur[i])],
    ];
    if (Number.isFinite(bytes)) rows.push(['bytes', fmtBytes(bytes)]);
    if (p.match[i] >= 0 || Number.isFinite(bytes)) {
      // The group: as the event names it, else the ranks it was matched across.
      const n = p.groupSize[i] || (p.match[i] >= 0 ? new Set(p.matches[p.match[i]].events.map((j) => p.lanes[p.lane[j]].rank)).size : 0);
      const bw = busBandwidth(kind, bytes, p.dur[i], n);
      rows.push(['bus bandwidth', 'gbps' in bw ? `${bw.gbps >= 10 ? bw.gbps.toFixed(1) : bw.gbps.toPrecision(3)} GB/s (${bw.formula})` : `— (${bw.reason})`]);
    }
    if (p.groupSize[i]) rows.push(['group size', String(p.groupSize[i])]);
    const mi = p.match[i];
    if (mi >= 0) rows.push(['group', `ranks ${[...new Set(p.matches[mi].events.map((j) => p.lanes[p.lane[j]].rank))].sort((a, b) => a - b).join(', ')}`]);
    if (p.seq[i] >= 0) rows.push(['sequence number', String(p.seq[i])]);
    const table = h('table', { class: 'kv' }, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))));
    this.details.append(h('h3', {}, p.names[p.name[i]]), table);
    if (p.entry[i] >= 0) {
      const en = p.entries[p.entry[i]];
      this.details.append(h('button', { class: 'link', 'data-testid': 'reveal', onclick: () => this.onReveal?.(p.entry[i]) }, `plan entry: ${en.key}${en.line ? ` (line ${en.line})` : ''}`));
    }
    const m = p.match[i];
    if (m >= 0) {
      const match = p.matches[m];
      const first = Math.min(...match.events.map((j) => p.start[j]));
      this.details.append(
        h('h4', {}, `${match.op} on every rank — matched by ${match.key}${match.uncertain ? ' (uncertain)' : ''}, skew ${fmtUs(match.skewUs)}`),
        match.uncertain ? h('p', { class: 'uncertain', 'data-testid': 'uncertain' }, match.key === 'group-order'
          ? 'Uncertain: the trace has no communicator id or sequence number here, so ranks were paired by the order of their collectives in the group.'
          : 'Uncertain: some ranks of the group have no matching event.') : '',
        h('table', { class: 'ranks', 'data-testid': 'match-table' },
          h('tr', {}, h('th', {}, 'rank'), h('th', {}, 'start'), h('th', {}, 'skew'), h('th', {}, 'duration')),
          ...[...match.events].sort((a, b) => p.lanes[p.lane[a]].rank - p.lanes[p.lane[b]].rank).map((j) => {
            const r = p.lanes[p.lane[j]].rank;
            const late = r === match.straggler && match.events.length > 1 && match.skewUs > 0;
            return h('tr', { class: late ? 'straggler' : '' },
              h('td', {}, `${r}${late ? ' (straggler)' : ''}`),
              h('td', {}, fmtUs(p.start[j])), h('td', {}, `+${fmtUs(p.start[j] - first)}`), h('td', {}, fmtUs(p.dur[j])));
          })),
      );
    }
  }
}
