// "Batch": pasted lines (a tab splits off an optional second text) classified in one call, shown as a table with
// every label's score, and offered as a CSV download (a Blob URL on a link with `download`).
import type { ClassificationInput, LabelScore } from '../../src/index.ts';
import { toCsv } from './csv.ts';
import { byId, describeError } from './dom.ts';
import { formatScore } from './format.ts';
import type { LoadedModel } from './model-picker.ts';

/** Enough for a demo; a bigger paste would just sit in one long call. */
const MAX_LINES = 1000;

interface Row {
  text: string;
  textPair: string;
  scores: LabelScore[];
}

export class BatchPanel {
  private model: LoadedModel | null = null;
  private csvUrl: string | null = null;
  private readonly input = byId<HTMLTextAreaElement>('batch-input');
  private readonly button = byId<HTMLButtonElement>('batch-button');
  private readonly status = byId('batch-status');
  private readonly table = byId<HTMLTableElement>('batch-table');
  private readonly link = byId<HTMLAnchorElement>('csv-link');

  constructor() {
    byId<HTMLFormElement>('batch-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.run();
    });
  }

  setModel(model: LoadedModel | null): void {
    // Classification only: this section is hidden for a fill-mask model (main.ts).
    this.model = model?.classify ? model : null;
  }

  async run(): Promise<void> {
    const model = this.model;
    const lines = this.input.value.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (!model) {
      this.status.textContent = 'Load a model first (section 1).';
      return;
    }
    if (lines.length === 0) {
      this.status.textContent = 'Paste some lines first: one text per line.';
      return;
    }
    if (lines.length > MAX_LINES) {
      this.status.textContent = `That is ${lines.length} lines; the demo takes at most ${MAX_LINES}.`;
      return;
    }
    const items = lines.map((l) => {
      const tab = l.indexOf('\t');
      return tab < 0 ? { text: l, textPair: '' } : { text: l.slice(0, tab), textPair: l.slice(tab + 1) };
    });
    const inputs: ClassificationInput[] = items.map((i) => (i.textPair ? { text: i.text, textPair: i.textPair } : i.text));
    this.button.disabled = true;
    this.status.textContent = `Classifying ${lines.length} line${lines.length === 1 ? '' : 's'}…`;
    const t0 = performance.now();
    try {
      const results = await model.classify!(inputs, { topK: null });
      const rows: Row[] = items.map((it, i) => ({ ...it, scores: results[i] }));
      this.render(rows, model.classify!.info.labels);
      this.status.textContent = `${rows.length} line${rows.length === 1 ? '' : 's'} classified in ${Math.round(performance.now() - t0)} ms.`;
    } catch (e) {
      this.table.hidden = this.link.hidden = true;
      this.status.textContent = `Batch failed: ${describeError(e)}`;
    } finally {
      this.button.disabled = false;
    }
  }

  private render(rows: Row[], labels: string[]): void {
    const withPairs = rows.some((r) => r.textPair !== '');
    const head = ['#', 'text', ...(withPairs ? ['second text'] : []), 'label', 'score', ...labels.map((l) => `score: ${l}`)];
    const tr = document.createElement('tr');
    tr.append(...head.map((h) => Object.assign(document.createElement('th'), { scope: 'col', textContent: h })));
    this.table.tHead!.replaceChildren(tr);
    const body = this.table.tBodies[0];
    body.replaceChildren(...rows.map((r, i) => {
      const row = document.createElement('tr');
      const byLabel = new Map(r.scores.map((s) => [s.label, s.score]));
      const cells: [string, boolean][] = [
        [String(i + 1), true], [r.text, false], ...(withPairs ? [[r.textPair, false] as [string, boolean]] : []),
        [r.scores[0].label, false], [formatScore(r.scores[0].score), true],
        ...labels.map((l) => [formatScore(byLabel.get(l) ?? NaN), true] as [string, boolean]),
      ];
      row.append(...cells.map(([text, num]) => Object.assign(document.createElement('td'), { textContent: text, className: num ? 'num' : '' })));
      return row;
    }));
    this.table.hidden = false;

    // The CSV keeps full precision; the table rounds for reading.
    const csvHead = ['text', ...(withPairs ? ['text_pair'] : []), 'label', 'score', ...labels.map((l) => `score_${l}`)];
    const csvRows = rows.map((r) => {
      const byLabel = new Map(r.scores.map((s) => [s.label, s.score]));
      return [r.text, ...(withPairs ? [r.textPair] : []), r.scores[0].label, r.scores[0].score, ...labels.map((l) => byLabel.get(l) ?? '')];
    });
    if (this.csvUrl) URL.revokeObjectURL(this.csvUrl);
    this.csvUrl = URL.createObjectURL(new Blob([toCsv([csvHead, ...csvRows])], { type: 'text/csv;charset=utf-8' }));
    this.link.href = this.csvUrl;
    this.link.textContent = `Download CSV (${rows.length} row${rows.length === 1 ? '' : 's'})`;
    this.link.hidden = false;
  }
}
