// The benchmark page's result views: the latency table (both sides, speed-up, GFLOP/s), the adapter facts, and
// bertgpu's per-op profile (dispatches grouped by op and kernel, heaviest first) for each shape.
import type { BenchResult, ShapeResult, SideTimes } from './bench-run.ts';

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
const side = (t: SideTimes | null) => (t ? `${ms(t.medianMs)} (min ${ms(t.minMs)}, n ${t.timesMs.length})` : '—');
const rate = (t: SideTimes | null) => (t?.gflops != null ? t.gflops.toFixed(1) : '—');

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function table(caption: string, head: string[], rows: string[][], attrs: Record<string, string> = {}): HTMLTableElement {
  const t = el('table', undefined, attrs);
  t.append(el('caption', caption));
  const thead = el('thead');
  const hr = el('tr');
  for (const h of head) hr.append(el('th', h, { scope: 'col' }));
  thead.append(hr);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((c, i) => tr.append(i === 0 ? el('th', c, { scope: 'row' }) : el('td', c)));
    tbody.append(tr);
  }
  t.append(thead, tbody);
  return t;
}

export function summaryTable(result: BenchResult): HTMLTableElement {
  const rows = result.shapes.map((s) => [
    `${s.B} × ${s.T}`, side(s.bertgpu), side(s.transformersJs),
    s.speedup === null ? '—' : `${s.speedup.toFixed(2)}×`, rate(s.bertgpu), rate(s.transformersJs),
    'totals' in s.profile ? ms(s.profile.totals.gpuMs) : '—',
  ]);
  return table('Latency per call (median of the timed rounds; both sides through their pipeline API)',
    ['sequences × tokens', result.settings.device === 'cpu' ? 'bertgpu (CPU backend)' : 'bertgpu', `transformers.js (${result.settings.device === 'cpu' ? 'wasm' : 'WebGPU'})`, 'speed-up', 'bertgpu GFLOP/s', 'transformers.js GFLOP/s', 'bertgpu GPU time (profile)'],
    rows, { id: 'bench-summary' });
}

export function adapterList(result: BenchResult): HTMLDListElement {
  const dl = el('dl', undefined, { class: 'facts', id: 'bench-adapter' });
  const add = (k: string, v: string) => dl.append(el('dt', k), el('dd', v));
  const a = result.adapter;
  if (!a) add('Adapter', 'none (navigator.gpu.requestAdapter() gave nothing)');
  else {
    add('Adapter', [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ') || '(the browser gives no details)');
    add('Software adapter', a.isFallbackAdapter ? 'yes (correct, but no measure of a GPU)' : 'no');
    add('Features', a.features.join(', ') || 'none');
  }
  if ('dtype' in result.bertgpu) add('bertgpu precision', `${result.bertgpu.dtype} — ${result.bertgpu.dtypeReason}`);
  if ('device' in result.bertgpu && result.bertgpu.device) add('bertgpu backend', `${result.bertgpu.device.backend} — ${result.bertgpu.device.reason}`);
  const t = result.transformersJs;
  if ('version' in t) add('transformers.js', `${t.version}, ${t.device === 'wasm' ? `wasm (${t.wasmThreads ?? '?'} thread(s))` : 'WebGPU'}, fp32 ONNX`);
  if (result.crossOriginIsolated !== undefined) add('crossOriginIsolated', result.crossOriginIsolated ? 'yes (CPU sides may use threads)' : 'no (CPU sides single-threaded)');
  add('Browser', result.userAgent);
  return dl;
}

/** One table per shape: dispatches grouped by op and kernel, with their share of the forward's GPU time. */
export function profileTables(result: BenchResult): HTMLElement[] {
  return result.shapes.map((s: ShapeResult) => {
    const box = el('div', undefined, { class: 'bench-profile', 'data-shape': `${s.B}x${s.T}` });
    if (!('totals' in s.profile)) {
      box.append(el('p', `${s.B} × ${s.T}: no per-op profile — ${s.profile.error}`, { class: 'hint' }));
      return box;
    }
    const groups = new Map<string, { op: string; kernel: string; n: number; gpuMs: number; flops: number }>();
    for (const d of s.profile.dispatches) {
      const key = `${d.op}/${d.kernel}`;
      const g = groups.get(key) ?? { op: d.op, kernel: d.kernel, n: 0, gpuMs: 0, flops: 0 };
      g.n++;
      g.gpuMs += d.gpuMs;
      g.flops += d.flops;
      groups.set(key, g);
    }
    const total = s.profile.totals.gpuMs;
    const rows = [...groups.values()].sort((a, b) => b.gpuMs - a.gpuMs).map((g) => [
      g.op, g.kernel, String(g.n), ms(g.gpuMs), total > 0 ? `${((100 * g.gpuMs) / total).toFixed(1)} %` : '—',
      g.gpuMs > 0 ? (g.flops / g.gpuMs / 1e6).toFixed(1) : '—',
    ]);
    box.append(table(`bertgpu per op at ${s.B} × ${s.T} (${s.profile.totals.dispatches} dispatches, ${ms(total)} GPU, ` +
      `${s.profile.totals.gflops.toFixed(1)} GFLOP/s; ${s.profile.dtype})`, ['op', 'kernel', 'dispatches', 'GPU time', 'share', 'GFLOP/s'], rows));
    return box;
  });
}
