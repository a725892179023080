// "Fill in the blank" (shown for masked-LM models): a text with [MASK]s, filled on submit and, when "as I type" is on,
// 300 ms after the last keystroke. Each mask gets its five likeliest tokens as bars with their probabilities. An
// older call still in flight is aborted when a newer one starts, and its answer is never shown.
import type { FillMaskPrediction } from '../../src/index.ts';
import { byId, debounce, describeError, isAbort, showError, submitOnEnter } from './dom.ts';
import type { LoadedModel } from './model-picker.ts';
import { scoreBar } from './score-bar.ts';

export class FillMaskPanel {
  private model: LoadedModel | null = null;
  private controller: AbortController | null = null;
  private readonly section = byId('fill-section');
  private readonly text = byId<HTMLTextAreaElement>('mask-text');
  private readonly live = byId<HTMLInputElement>('mask-live');
  private readonly results = byId('mask-results');
  private readonly errorBox = byId('fill-error');
  private readonly debounced = debounce(() => void this.run(), 300);

  /** Called with every text that got predictions, so the insight panel can look inside the same call. */
  constructor(private readonly onFilled: (text: string | null) => void) {
    const form = byId<HTMLFormElement>('fill-form');
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.debounced.cancel();
      void this.run();
    });
    this.text.addEventListener('input', () => {
      if (this.live.checked) this.debounced();
    });
    // Enter fills, Shift+Enter is a new line, as in the classify box.
    submitOnEnter(this.text, form);
  }

  setModel(model: LoadedModel | null): void {
    this.model = model?.fill ? model : null;
    this.section.hidden = this.model === null;
    this.results.replaceChildren();
    if (this.model) void this.run();
  }

  async run(): Promise<void> {
    this.controller?.abort();
    const model = this.model;
    const text = this.text.value;
    showError(this.errorBox, null);
    if (!model?.fill) return;
    if (text.trim() === '') {
      this.results.replaceChildren();
      delete this.results.dataset.text;
      this.onFilled(null);
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    this.results.setAttribute('aria-busy', 'true');
    try {
      const result = await model.fill(text, { signal: controller.signal });
      if (controller.signal.aborted || model !== this.model) return;
      // One mask gives a list of predictions, several a list per mask.
      this.render(Array.isArray(result[0]) ? (result as FillMaskPrediction[][]) : [result as FillMaskPrediction[]], text);
      this.onFilled(text);
    } catch (e) {
      if (isAbort(e) || model !== this.model) return;
      this.results.replaceChildren();
      showError(this.errorBox, `Could not fill the masks: ${describeError(e)}`);
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.results.removeAttribute('aria-busy');
      }
    }
  }

  private render(perMask: FillMaskPrediction[][], text: string): void {
    this.results.dataset.text = text;
    this.results.replaceChildren(...perMask.map((predictions, m) => {
      const group = document.createElement('section');
      group.className = 'mask-group';
      const title = Object.assign(document.createElement('h3'), { textContent: perMask.length > 1 ? `[MASK] ${m + 1}` : '[MASK]' });
      const list = document.createElement('ol');
      list.className = 'label-bars';
      list.setAttribute('aria-label', `Likeliest tokens for mask ${m + 1}`);
      list.append(...predictions.map((p) => scoreBar(p.token_str, p.score, { token: String(p.token) }, p.sequence)));
      group.append(title, list);
      return group;
    }));
  }
}
