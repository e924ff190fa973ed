// What the timeline writes and how it reads the wheel, apart from the canvas: the ruler's one unit, the
// short form of a kernel name, and the zoom a wheel or pinch event asks for.

/** One unit for every label of the ruler, from the visible span; decimals from the tick step. */
export function axisUnit(span: number, step: number): { unit: string; format(t: number): string } {
  const [unit, us] = span >= 2e6 ? ['s', 1e6] : span >= 2e3 ? ['ms', 1e3] : ['µs', 1];
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step / us) + 1e-9)));
  return { unit, format: (t) => `${(t / us).toFixed(decimals)} ${unit}` };
}

/** Cuts a C++ name at its top-level argument list and removes its template arguments. */
function withoutArgsAndTemplates(name: string): string {
  let out = '', depth = 0;
  for (const c of name.replace(/\(anonymous namespace\)::/g, '')) {
    if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === '(' && depth === 0) break;
    else if (depth === 0) out += c;
  }
  return out.trim();
}

/**
 * The short form of a GPU kernel's name, for a label too narrow for the whole: no return type, template
 * arguments, namespaces or argument list; NCCL's kernels as "nccl AllReduce_Sum_f32_RING_LL". A name with
 * none of these is its own short form.
 */
export function shortKernelName(name: string): string {
  const bare = withoutArgsAndTemplates(name);
  const last = (bare.split(/\s+/).pop() ?? bare).split('::').pop() ?? bare;
  const nccl = /^nccl(?:Dev)?Kernel_(.+)$/.exec(last);
  const short = nccl ? `nccl ${nccl[1]}` : last;
  return short && short.length < name.length ? short : name;
}

/**
 * The forms a label may take, longest first: the whole name, its short form, and for NCCL the collective
 * alone ("nccl AllReduce"). The timeline draws the first that fits, else nothing.
 */
export function kernelNameForms(name: string): string[] {
  const short = shortKernelName(name);
  const op = /^nccl ([A-Za-z]+)_/.exec(short);
  return [...new Set([name, short, ...(op ? [`nccl ${op[1]}`] : [])])];
}

/** Zoom per wheel event: e^(K·Δ) with Δ in pixels, bounded so one event never zooms by more than e^(K·MAX). */
export const WHEEL_ZOOM_PER_PX = 0.001;
/** Pinch (ctrl+wheel, as trackpads and browsers send it) moves a few pixels per event: a larger gain. */
export const PINCH_ZOOM_PER_PX = 0.01;
/** Largest |Δ| one event counts (px): a fast spin zooms by at most e^0.1 ≈ 1.105 per event. */
export const WHEEL_MAX_PX = 100;

const LINE_PX = 16;

/**
 * What a wheel event asks of the timeline: a zoom factor (>1 zooms out) proportional to its vertical delta
 * and a pan in pixels from shift+wheel or a trackpad's horizontal swipe. Lines and pages become pixels.
 */
export function wheelAction(e: Pick<WheelEvent, 'deltaX' | 'deltaY' | 'deltaMode' | 'ctrlKey' | 'shiftKey' | 'metaKey'>, pagePx: number): { zoom: number; panPx: number } {
  const unit = e.deltaMode === 1 ? LINE_PX : e.deltaMode === 2 ? Math.max(1, pagePx) : 1;
  const dx = e.deltaX * unit, dy = e.deltaY * unit;
  if (e.shiftKey && !e.ctrlKey) return { zoom: 1, panPx: dy || dx };
  if (!e.ctrlKey && !e.metaKey && Math.abs(dx) > Math.abs(dy)) return { zoom: 1, panPx: dx };
  const gain = e.ctrlKey || e.metaKey ? PINCH_ZOOM_PER_PX : WHEEL_ZOOM_PER_PX;
  const bounded = Math.max(-WHEEL_MAX_PX, Math.min(WHEEL_MAX_PX, dy));
  return { zoom: Math.exp(Math.min(0.1, Math.max(-0.1, bounded * gain))), panPx: 0 };
}
