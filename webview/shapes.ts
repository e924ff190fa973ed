// The shapes view: the mesh as a grid of ranks (click selects a rank), memory per rank against the GPU
// limit, and the module tree with every parameter and activation: placements, global and local shapes,
// where other ranks differ, bytes. Uneven shards and experts held whole stand out.
import { ASSUMED_GPU_LIMIT_BYTES, type ShapesPayload, type ShapesTensor, type EntryRef } from '../extension/core/trace/panel-protocol';
import { h, clear, fmtBytes, fmtShape } from './dom';

interface TreeNode {
  name: string;
  path: string;
  children: Map<string, TreeNode>;
  tensors: ShapesTensor[];
}

export class ShapesView {
  readonly root = h('div', { class: 'shapes' });
  private p?: ShapesPayload;
  rank = 0;
  onRank?: (r: number) => void;
  onReveal?: (e: EntryRef) => void;
  collapsed = new Set<string>();

  setData(p: ShapesPayload, rank: number): void {
    this.p = p;
    this.rank = rank < p.coords.length ? rank : 0;
    this.render();
  }

  private render(): void {
    const p = this.p;
    clear(this.root);
    if (!p) return;
    this.root.append(h('div', { class: 'shapes-side' }, this.meshGrid(p), this.memoryChart(p), this.findings(p)), this.tree(p));
  }

  private meshGrid(p: ShapesPayload): HTMLElement {
    const dims = p.mesh;
    const cols = dims.length ? dims[dims.length - 1].size : 1;
    const grid = h('div', { class: 'mesh-grid', 'data-testid': 'mesh' });
    grid.style.gridTemplateColumns = `repeat(${cols}, auto)`;
    p.coords.forEach((c, r) => {
      grid.append(h('button', {
        class: r === this.rank ? 'rank selected' : 'rank', 'data-rank': r, title: dims.map((d, i) => `${d.name}=${c[i]}`).join(', '),
        onclick: () => { this.rank = r; this.onRank?.(r); this.render(); },
      }, h('span', { class: 'rank-n' }, `rank ${r}`), h('span', { class: 'coord' }, `(${c.join(', ')})`)));
    });
    return h('section', {}, h('h3', {}, `mesh ${dims.map((d) => `${d.name}=${d.size}`).join(' × ')}`), grid);
  }

  /**
   * Bars against the GPU limit: the limit sits at a fixed place, a rank under it fills its share of it and
   * one over it runs past the marker in the error colour (the scale grows to the largest rank then).
   */
  private memoryChart(p: ShapesPayload): HTMLElement {
    const limit = p.gpuLimitBytes ?? ASSUMED_GPU_LIMIT_BYTES;
    const assumed = p.gpuLimitBytes === undefined || p.gpuLimitSource === 'assumed';
    const limitText = `GPU limit ${fmtBytes(limit)}${assumed ? ' (assumed)' : p.gpuLimitSource ? ` (${p.gpuLimitSource})` : ''}`;
    const max = Math.max(limit, ...p.memory.map((m) => m.total));
    const chart = h('div', { class: 'mem-chart', 'data-testid': 'memory' });
    p.memory.forEach((m, r) => {
      const over = m.total > limit;
      const bar = h('div', { class: over ? 'bar over' : 'bar', 'data-testid': 'mem-bar' });
      bar.style.width = `${(m.total / max) * 100}%`;
      const marker = h('div', { class: assumed ? 'limit assumed' : 'limit', 'data-testid': 'mem-limit', title: limitText });
      marker.style.left = `${(limit / max) * 100}%`;
      const parts = `params ${fmtBytes(m.params)}, grads ${fmtBytes(m.grads)}, optimizer ${fmtBytes(m.optimizer)}, activations ${fmtBytes(m.activations)}, KV cache ${fmtBytes(m.kvCache)}`;
      chart.append(h('div', { class: r === this.rank ? 'mem-row selected' : 'mem-row' },
        h('span', { class: 'mem-label' }, `rank ${r}`), h('div', { class: 'track', title: `${parts} · ${limitText}` }, bar, marker),
        h('span', { class: over ? 'mem-value over' : 'mem-value' }, over ? `${fmtBytes(m.total)} (+${fmtBytes(m.total - limit)})` : fmtBytes(m.total))));
    });
    return h('section', {}, h('h3', {}, 'memory per rank'), h('p', { class: 'mem-limit-text', 'data-testid': 'mem-limit-text' }, limitText), chart);
  }

  private findings(p: ShapesPayload): HTMLElement | string {
    if (!p.findings.length) return '';
    return h('section', {}, h('h3', {}, 'findings'), h('ul', { class: 'findings' }, ...p.findings.map((f) => h('li', { class: f.severity }, `${f.code}: ${f.message}`))));
  }

  private tree(p: ShapesPayload): HTMLElement {
    const root: TreeNode = { name: '', path: '', children: new Map(), tensors: [] };
    for (const t of p.tensors) {
      let node = root;
      if (t.module) {
        for (const part of t.module.split('.')) {
          const path = node.path ? `${node.path}.${part}` : part;
          let c = node.children.get(part);
          if (!c) node.children.set(part, (c = { name: part, path, children: new Map(), tensors: [] }));
          node = c;
        }
      }
      node.tensors.push(t);
    }
    // Chains of single children (model → layers) fold into one row.
    const container = h('div', { class: 'tree', 'data-testid': 'tree' });
    const renderNode = (n: TreeNode): HTMLElement => {
      let label = n.name, node = n;
      while (node.children.size === 1 && !node.tensors.length) {
        node = [...node.children.values()][0];
        label = label ? `${label}.${node.name}` : node.name;
      }
      const flags = this.flags(node);
      const det = h('details', { open: !this.collapsed.has(node.path), 'data-path': node.path },
        h('summary', {}, label || '(model)', flags.uneven ? h('span', { class: 'badge uneven' }, 'uneven') : '', flags.replicated ? h('span', { class: 'badge replicated' }, 'experts replicated') : ''),
        ...(node.tensors.length ? [this.tensorTable(node.tensors, p)] : []),
        ...[...node.children.values()].map(renderNode));
      det.addEventListener('toggle', () => { if (det.open) this.collapsed.delete(node.path); else this.collapsed.add(node.path); });
      return det;
    };
    container.append(renderNode(root));
    return container;
  }

  private flags(n: TreeNode): { uneven: boolean; replicated: boolean } {
    let uneven = false, replicated = false;
    const walk = (x: TreeNode): void => {
      for (const t of x.tensors) { uneven ||= t.uneven; replicated ||= t.replicatedExperts; }
      for (const c of x.children.values()) walk(c);
    };
    walk(n);
    return { uneven, replicated };
  }

  private tensorTable(ts: ShapesTensor[], p: ShapesPayload): HTMLElement {
    const r = this.rank;
    return h('table', { class: 'tensors' },
      h('tr', {}, ...['name', 'placements', 'global', `local on rank ${r}`, 'other ranks', 'bytes'].map((c) => h('th', {}, c))),
      ...ts.map((t) => {
        const local = t.localShapes[r] ?? [];
        const mine = JSON.stringify(local);
        const differ = t.localShapes.map((s, k) => [k, s] as const).filter(([, s]) => JSON.stringify(s) !== mine);
        const note = t.emptyRanks.length ? `empty on ranks ${t.emptyRanks.join(', ')}; ` : '';
        const other = differ.length ? note + differ.slice(0, 4).map(([k, s]) => `${k}: ${fmtShape(s)}`).join(', ') + (differ.length > 4 ? ` … (${differ.length} ranks)` : '') : 'same';
        const cls = ['tensor', t.kind, t.uneven ? 'uneven' : '', t.replicatedExperts ? 'replicated' : '', t.entry ? 'has-entry' : ''].filter(Boolean).join(' ');
        return h('tr', {
          class: cls, 'data-tensor': `${t.module}.${t.name}`, title: t.entry ? `placed by ${t.entry.key} — click to reveal` : 'no plan entry places it',
          onclick: () => { if (t.entry) this.onReveal?.(t.entry); },
        },
        h('td', {}, `${t.kind === 'activation' ? '⟶ ' : ''}${t.name}`), h('td', {}, t.placements.join(', ') || '—'), h('td', {}, fmtShape(t.globalShape)),
        h('td', {}, fmtShape(local)), h('td', {}, other), h('td', {}, fmtBytes(t.bytesPerRank[r] ?? 0)));
      }));
  }
}
