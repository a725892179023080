// "Teach it": labelled lines (pasted, or a TSV/CSV file) fine-tune a copy of the loaded model (section 1; the bundled
// one by default) on this GPU — a fresh head for the labels found in the data — with a live plot (loss per step, training accuracy per epoch) and Cancel;
// then the taught model classifies text and can be downloaded as a Hugging Face folder (its Files, one link each).
// Each epoch is one train() call followed by evaluate() on the same lines, so the plot gets an accuracy per epoch
// (each call starts a fresh AdamW state: fine for a demo, and said so in the status line).
import { pipeline, type TextClassificationPipeline, type TrainExample } from '../../src/index.ts';
import { parseCsvRecords } from '../../src/train/csv.ts';
import { parseTrainingData } from '../../src/train/data.ts';
import { byId, describeError, isAbort } from './dom.ts';
import { formatScore } from './format.ts';
import { BUNDLED_NAME, bundledModelUrl, type LoadedModel } from './model-picker.ts';

const MAX_EXAMPLES = 2000;

/** The label column's values in order of first appearance (TSV: the last column; CSV: the "label" column). */
function labelsIn(content: string, csv: boolean): string[] {
  const seen = new Set<string>();
  if (csv) {
    const [header, ...rows] = parseCsvRecords(content, 'data');
    const at = header?.fields.findIndex((f) => f.trim().toLowerCase() === 'label') ?? -1;
    if (at >= 0) for (const r of rows) if (r.fields[at]?.trim()) seen.add(r.fields[at].trim());
  } else {
    for (const line of content.split(/\r?\n/)) {
      const cols = line.split('\t');
      if (cols.length >= 2 && cols.at(-1)!.trim()) seen.add(cols.at(-1)!.trim());
    }
  }
  return [...seen];
}

function looksLikeCsv(content: string): boolean {
  const first = content.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0];
  return !first.includes('\t') && /(^|,)\s*"?text"?\s*(,|$)/i.test(first) && /(^|,)\s*"?label"?\s*(,|$)/i.test(first);
}

export class TeachPanel {
  private clf: TextClassificationPipeline | null = null;
  /** What a run starts from: the model loaded in section 1 (any BERT checkpoint; its head, if any, is replaced). */
  private base: { source: string | File[]; name: string } | null = null;
  private controller: AbortController | null = null;
  private urls: string[] = [];
  private losses: number[] = [];
  private accuracies: Array<{ step: number; accuracy: number }> = [];
  private readonly input = byId<HTMLTextAreaElement>('teach-input');
  private readonly file = byId<HTMLInputElement>('teach-file');
  private readonly epochs = byId<HTMLInputElement>('teach-epochs');
  private readonly trainButton = byId<HTMLButtonElement>('teach-button');
  private readonly cancelButton = byId<HTMLButtonElement>('teach-cancel');
  private readonly status = byId('teach-status');
  private readonly plot = byId<HTMLCanvasElement>('teach-plot');
  private readonly tryBox = byId('teach-try');
  private readonly tryText = byId<HTMLInputElement>('teach-text');
  private readonly result = byId('teach-result');
  private readonly downloads = byId('teach-downloads');

  constructor() {
    byId<HTMLFormElement>('teach-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.train();
    });
    this.cancelButton.addEventListener('click', () => this.controller?.abort());
    this.file.addEventListener('change', () => {
      const f = this.file.files?.[0];
      if (f) void f.text().then((t) => { this.input.value = t; });
    });
    byId<HTMLFormElement>('teach-try-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.classify();
    });
  }

  setModel(model: LoadedModel | null): void {
    this.base = model ? { source: model.source, name: model.name } : null;
  }

  private examples(): { examples: TrainExample[]; labels: string[] } {
    const content = this.input.value;
    const csv = looksLikeCsv(content);
    const labels = labelsIn(content, csv);
    if (labels.length < 2) throw new Error(`the data needs at least two different labels (found ${labels.length === 0 ? 'none' : JSON.stringify(labels[0])}); lines are text<TAB>label`);
    const parsed = parseTrainingData(content, { id2label: labels, problemType: 'single_label_classification' }, { file: 'data', format: csv ? 'csv' : 'tsv' });
    if (parsed.length > MAX_EXAMPLES) throw new Error(`that is ${parsed.length} examples; the demo takes at most ${MAX_EXAMPLES}`);
    return { labels, examples: parsed.map((e) => (e.textPair === undefined ? { text: e.text, label: e.label } : { text: e.text, textPair: e.textPair, label: e.label })) };
  }

  async train(): Promise<void> {
    let data;
    const epochs = Number(this.epochs.value);
    try {
      if (!Number.isInteger(epochs) || epochs < 1 || epochs > 50) throw new Error('epochs must be a whole number from 1 to 50');
      data = this.examples();
    } catch (e) {
      this.status.textContent = `Cannot train: ${describeError(e)}`;
      return;
    }
    this.trainButton.disabled = true;
    this.cancelButton.hidden = false;
    this.tryBox.hidden = true;
    this.downloads.replaceChildren();
    this.losses = [];
    this.accuracies = [];
    this.draw();
    const controller = this.controller = new AbortController();
    try {
      await this.clf?.dispose();
      this.clf = null;
      const base = this.base ?? { source: bundledModelUrl(), name: BUNDLED_NAME };
      this.status.textContent = `Loading ${base.name} with a fresh head for ${data.labels.join(', ')}…`;
      const clf = this.clf = await pipeline('text-classification', base.source, { labels: data.labels, signal: controller.signal });
      for (let epoch = 1; epoch <= epochs; epoch++) {
        this.status.textContent = `Epoch ${epoch}/${epochs} on ${data.examples.length} examples (${clf.info.adapter.description || clf.info.adapter.vendor})…`;
        await clf.train(data.examples, {
          epochs: 1, batchSize: 8, lr: 1e-3, scheduler: 'constant', dropout: 0.1, seed: epoch, signal: controller.signal,
          onStep: (s) => {
            this.losses.push(s.loss);
            this.draw();
          },
        });
        const m = await clf.evaluate(data.examples);
        this.accuracies.push({ step: this.losses.length, accuracy: m.accuracy ?? 0 });
        this.draw();
        this.status.textContent = `Epoch ${epoch}/${epochs}: loss ${m.loss.toFixed(4)}, training accuracy ${formatScore(m.accuracy ?? 0)}`;
      }
      this.status.textContent += ' — trained. (Each epoch is one train() call, so AdamW restarts per epoch.)';
      this.tryBox.hidden = false;
      await this.offerDownload(clf);
    } catch (e) {
      this.status.textContent = isAbort(e) ? 'Training cancelled; the model keeps the last finished epoch.' : `Training failed: ${describeError(e)}`;
      if (isAbort(e) && this.clf && this.accuracies.length > 0) {
        this.tryBox.hidden = false;
        await this.offerDownload(this.clf).catch(() => undefined);
      }
    } finally {
      this.trainButton.disabled = false;
      this.cancelButton.hidden = true;
      this.controller = null;
    }
  }

  private async offerDownload(clf: TextClassificationPipeline): Promise<void> {
    for (const u of this.urls) URL.revokeObjectURL(u);
    const files = await clf.save();
    this.urls = files.map((f) => URL.createObjectURL(f));
    this.downloads.replaceChildren(...files.map((f, i) => Object.assign(document.createElement('a'), {
      href: this.urls[i], download: f.name, textContent: `${f.name} (${f.size} bytes)`, className: 'button-link',
    })));
  }

  private async classify(): Promise<void> {
    if (!this.clf) return;
    try {
      const [best] = await this.clf(this.tryText.value);
      this.result.textContent = `${best.label} ${formatScore(best.score)}`;
    } catch (e) {
      this.result.textContent = `Failed: ${describeError(e)}`;
    }
  }

  /** Loss per step (line, left scale from 0 to the largest loss) and training accuracy per epoch (dots, 0–100 %). */
  private draw(): void {
    const c = this.plot;
    const g = c.getContext('2d')!;
    g.clearRect(0, 0, c.width, c.height);
    const n = Math.max(2, this.losses.length);
    const top = Math.max(1e-6, ...this.losses);
    const x = (i: number) => 4 + ((c.width - 8) * i) / (n - 1);
    g.strokeStyle = '#1f6feb';
    g.lineWidth = 2;
    g.beginPath();
    this.losses.forEach((l, i) => (i === 0 ? g.moveTo(x(i), c.height - 4 - ((c.height - 8) * l) / top) : g.lineTo(x(i), c.height - 4 - ((c.height - 8) * l) / top)));
    g.stroke();
    g.fillStyle = '#2da44e';
    for (const a of this.accuracies) {
      g.beginPath();
      g.arc(x(a.step - 1), c.height - 4 - (c.height - 8) * a.accuracy, 4, 0, 2 * Math.PI);
      g.fill();
    }
    c.setAttribute('aria-label', `Loss over ${this.losses.length} steps (last ${this.losses.at(-1)?.toFixed(4) ?? '—'}); training accuracy ${this.accuracies.map((a) => formatScore(a.accuracy)).join(', ') || '—'}`);
  }
}
