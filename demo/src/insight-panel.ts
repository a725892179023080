// "Inside the model": the adapter and precision in use, timings of the last inspected call, the tokens as the model
// saw them, and the attention heatmap with layer and head pickers (the canvas is also keyboard-navigable: arrow keys
// move a highlighted cell whose value is read out below it). Data comes from the pipeline's inspect().
import type { ClassificationInput, InspectResult } from '../../src/index.ts';
import { byId, describeError } from './dom.ts';
import { formatMs } from './format.ts';
import { cellAt, drawHeatmap, headMatrix, type HeatmapLayout } from './heatmap.ts';
import type { LoadedModel } from './model-picker.ts';

const SPECIAL = /^\[(CLS|SEP|PAD|UNK|MASK)\]$|^<\/?s>$|^<(pad|unk|mask)>$/;

export class InsightPanel {
  private model: LoadedModel | null = null;
  private input: ClassificationInput | null = null;
  private result: InspectResult | null = null;
  private roundTripMs = 0;
  private seq = 0;
  private layout: HeatmapLayout | null = null;
  private focusCell: { row: number; col: number } | null = null;
  private readonly facts = byId<HTMLDListElement>('facts');
  private readonly tokens = byId<HTMLOListElement>('tokens');
  private readonly layer = byId<HTMLSelectElement>('layer');
  private readonly head = byId<HTMLSelectElement>('head');
  private readonly canvas = byId<HTMLCanvasElement>('heatmap');
  private readonly readout = byId('heatmap-readout');
  private readonly explainButton = byId<HTMLButtonElement>('explain-button');
  private readonly explainReadout = byId('explain-readout');

  constructor() {
    this.layer.addEventListener('change', () => void this.refresh());
    this.head.addEventListener('change', () => this.draw());
    this.canvas.tabIndex = 0;
    this.canvas.addEventListener('mousemove', (ev) => this.pointAt(ev.offsetX, ev.offsetY));
    this.canvas.addEventListener('keydown', (ev) => this.onKey(ev));
    // The highlighted cell is only drawn while the canvas has keyboard focus.
    this.canvas.addEventListener('focus', () => {
      if (!this.result) return;
      this.focusCell ??= { row: 0, col: 0 };
      this.draw();
      this.describeCell(this.focusCell);
    });
    this.canvas.addEventListener('blur', () => this.draw());
    this.explainButton.addEventListener('click', () => void this.explain());
    this.renderFacts();
  }

  setModel(model: LoadedModel | null): void {
    this.model = model;
    this.result = null;
    this.layer.replaceChildren();
    this.layer.disabled = this.head.disabled = true;
    this.tokens.replaceChildren();
    this.explainButton.disabled = true;
    this.explainReadout.textContent = '';
    this.renderFacts();
  }

  /**
   * clf.explain(): integrated gradients of the top label's logit w.r.t. the word embeddings (on the GPU, in the
   * Worker); each token is coloured by its signed share, strongest = most opaque. On demand: it costs a backward pass
   * per integration step.
   */
  private async explain(): Promise<void> {
    const clf = this.model?.classify;
    if (!clf || this.input === null) return;
    const seq = this.seq;
    this.explainButton.disabled = true;
    this.explainReadout.textContent = 'Explaining…';
    try {
      const e = await clf.explain(this.input);
      if (seq !== this.seq) return;
      const top = Math.max(1e-12, ...e.tokens.map((t) => Math.abs(t.score)));
      this.tokens.replaceChildren(...e.tokens.map((t) => {
        const li = document.createElement('li');
        li.textContent = t.token;
        li.className = t.score >= 0 ? 'pos' : 'neg';
        li.style.setProperty('--a', (0.15 + (0.85 * Math.abs(t.score)) / top).toFixed(3));
        li.dataset.score = String(t.score);
        li.title = `${t.score >= 0 ? '+' : ''}${t.score.toFixed(4)}`;
        return li;
      }));
      const sum = e.tokens.reduce((a, t) => a + t.score, 0);
      this.explainReadout.textContent = `Why "${e.label}": green tokens raised its logit, red ones lowered it (integrated gradients, total ${sum >= 0 ? '+' : ''}${sum.toFixed(4)}).`;
    } catch (err) {
      if (seq === this.seq) this.explainReadout.textContent = `Could not explain: ${describeError(err)}`;
    } finally {
      this.explainButton.disabled = !this.model?.classify;
    }
  }

  /** Inspects this input (after the scores were shown); stale answers are dropped. */
  async show(input: ClassificationInput): Promise<void> {
    this.input = input;
    await this.refresh();
  }

  clear(): void {
    this.seq++;
    this.input = null;
    this.result = null;
    this.tokens.replaceChildren();
    this.explainButton.disabled = true;
    this.explainReadout.textContent = '';
    this.canvas.getContext('2d')?.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.canvas.setAttribute('aria-label', 'Attention heatmap (no text yet)');
    this.readout.textContent = '';
    this.renderFacts();
  }

  private async refresh(): Promise<void> {
    const model = this.model;
    if (!model || this.input === null) return;
    const seq = ++this.seq;
    const layer = this.layer.value === '' ? undefined : Number(this.layer.value);
    const t0 = performance.now();
    try {
      const r = await model.pipe.inspect(this.input, layer === undefined ? {} : { layer });
      if (seq !== this.seq || model !== this.model) return;
      this.roundTripMs = performance.now() - t0;
      this.result = r;
      this.fillPickers(r);
      this.renderTokens(r.tokens);
      this.explainButton.disabled = !model.classify;
      this.explainReadout.textContent = '';
      this.renderFacts();
      this.draw();
    } catch (e) {
      if (seq !== this.seq) return;
      this.readout.textContent = `Could not inspect this input: ${describeError(e)}`;
    }
  }

  private fillPickers(r: InspectResult): void {
    if (this.layer.options.length !== r.numLayers) {
      this.layer.replaceChildren(...Array.from({ length: r.numLayers }, (_, i) => new Option(`${i + 1} of ${r.numLayers}`, String(i))));
    }
    this.layer.value = String(r.layer);
    if (this.head.options.length !== r.numHeads + 1) {
      const keep = this.head.value || '-1';
      this.head.replaceChildren(
        new Option('all heads (mean)', '-1'),
        ...Array.from({ length: r.numHeads }, (_, h) => new Option(`${h + 1} of ${r.numHeads}`, String(h))),
      );
      this.head.value = Number(keep) < r.numHeads ? keep : '-1';
    }
    this.layer.disabled = this.head.disabled = false;
  }

  private draw(): void {
    const r = this.result;
    if (!r) return;
    const T = r.tokens.length;
    const head = Number(this.head.value || '-1');
    const matrix = headMatrix(r.attentions, r.numHeads, T, head);
    if (this.focusCell && (this.focusCell.row >= T || this.focusCell.col >= T)) this.focusCell = null;
    this.layout = drawHeatmap(this.canvas, { tokens: r.tokens, matrix }, document.activeElement === this.canvas ? this.focusCell : null);
    const which = head < 0 ? 'mean of all heads' : `head ${head + 1}`;
    this.canvas.setAttribute('aria-label',
      `Attention heatmap, layer ${r.layer + 1}, ${which}, ${T} tokens. Focus it and use the arrow keys to read cells.`);
  }

  private pointAt(x: number, y: number): void {
    if (!this.layout) return;
    const cell = cellAt(this.layout, x, y);
    if (cell) this.describeCell(cell);
  }

  private onKey(ev: KeyboardEvent): void {
    const r = this.result;
    if (!r) return;
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const d = moves[ev.key];
    if (!d) return;
    ev.preventDefault(); // arrows move the cell, not the page
    const T = r.tokens.length;
    const c = this.focusCell ?? { row: 0, col: 0 };
    this.focusCell = { row: clamp(c.row + d[0], T), col: clamp(c.col + d[1], T) };
    this.draw();
    this.describeCell(this.focusCell);
  }

  private describeCell({ row, col }: { row: number; col: number }): void {
    const r = this.result;
    if (!r) return;
    const T = r.tokens.length;
    const value = headMatrix(r.attentions, r.numHeads, T, Number(this.head.value || '-1'))[row * T + col];
    this.readout.textContent = `${r.tokens[row]} (#${row + 1}) → ${r.tokens[col]} (#${col + 1}): ${value.toFixed(4)}`;
  }

  private renderTokens(tokens: string[]): void {
    this.tokens.replaceChildren(...tokens.map((t) => {
      const li = document.createElement('li');
      li.textContent = t;
      if (SPECIAL.test(t)) li.className = 'special';
      return li;
    }));
  }

  private renderFacts(): void {
    const info = this.model?.pipe.info;
    const rows: [string, string][] = [['Model', this.model?.name ?? 'none loaded']];
    if (info) {
      const a = info.adapter;
      const name = a.description || [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
      const cpu = info.device.backend === 'cpu';
      rows.push(['Backend', `${cpu ? 'CPU (WebAssembly)' : 'GPU (WebGPU)'} — ${info.device.reason}`]);
      rows.push([cpu ? 'Engine' : 'GPU adapter', `${name}${!cpu && a.isFallbackAdapter ? ' (software fallback adapter)' : ''}`]);
      rows.push(['Precision', `${info.dtype} — ${info.dtypeReason}`]);
    }
    const t = this.result?.timings;
    if (t) {
      rows.push(['Timings', `tokenize ${formatMs(t.tokenizeMs)} · GPU ${formatMs(t.gpuMs)} · total ${formatMs(t.totalMs)}`]);
      rows.push(['Page ↔ Worker', `${formatMs(this.roundTripMs)} for the whole inspect() call`]);
    }
    this.facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
  }
}

function el(tag: 'dt' | 'dd', text: string): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = text;
  return e;
}

const clamp = (v: number, T: number) => Math.max(0, Math.min(T - 1, v));
