// "Classify": one text (and an optional second text for pair models), classified on submit and, when "as I type" is
// on, 300 ms after the last keystroke. Shows every label as a bar with its score. An older call still in flight is
// aborted when a newer one starts, and its answer is never shown.
import type { ClassificationInput, LabelScore } from '../../src/index.ts';
import { byId, debounce, describeError, isAbort, showError, submitOnEnter } from './dom.ts';
import type { LoadedModel } from './model-picker.ts';
import { scoreBar } from './score-bar.ts';

export class ClassifyPanel {
  private model: LoadedModel | null = null;
  private controller: AbortController | null = null;
  private readonly text = byId<HTMLTextAreaElement>('text');
  private readonly pair = byId<HTMLTextAreaElement>('text-pair');
  private readonly live = byId<HTMLInputElement>('live');
  private readonly bars = byId<HTMLOListElement>('label-bars');
  private readonly errorBox = byId('classify-error');
  private readonly debounced = debounce(() => void this.run(), 300);

  /** Called with every input that got scores, so the insight panel can look inside the same call. */
  constructor(private readonly onClassified: (input: ClassificationInput | null) => void) {
    byId<HTMLFormElement>('classify-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.debounced.cancel();
      void this.run();
    });
    const typed = () => {
      if (this.live.checked) this.debounced();
    };
    this.text.addEventListener('input', typed);
    this.pair.addEventListener('input', typed);
    // Enter submits, Shift+Enter is a new line: the keyboard path to "Classify" without leaving the text box.
    for (const box of [this.text, this.pair]) submitOnEnter(box, byId<HTMLFormElement>('classify-form'));
  }

  setModel(model: LoadedModel | null): void {
    // A fill-mask model has no labels: this section is hidden for it (main.ts).
    this.model = model?.classify ? model : null;
    this.bars.replaceChildren();
    if (this.model) void this.run();
  }

  /** The current input: the text, or `{ text, textPair }` when the second box is filled. */
  currentInput(): ClassificationInput | null {
    const text = this.text.value;
    if (text.trim() === '') return null;
    const textPair = this.pair.value;
    return textPair.trim() === '' ? text : { text, textPair };
  }

  async run(): Promise<void> {
    this.controller?.abort();
    const model = this.model;
    const input = this.currentInput();
    showError(this.errorBox, null);
    if (!model) {
      showError(this.errorBox, 'Load a model first (section 1).');
      return;
    }
    if (input === null) {
      this.bars.replaceChildren();
      delete this.bars.dataset.text;
      this.onClassified(null);
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    this.bars.setAttribute('aria-busy', 'true');
    try {
      const scores = await model.classify!(input, { topK: null, signal: controller.signal });
      if (controller.signal.aborted || model !== this.model) return;
      this.render(scores, input);
      this.onClassified(input);
    } catch (e) {
      if (isAbort(e) || model !== this.model) return; // replaced by a newer call or model
      this.bars.replaceChildren();
      showError(this.errorBox, `Classification failed: ${describeError(e)}`);
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.bars.removeAttribute('aria-busy');
      }
    }
  }

  private render(scores: LabelScore[], input: ClassificationInput): void {
    // Which input these bars belong to (as text), so a reader can tell fresh results from the previous ones.
    this.bars.dataset.text = typeof input === 'string' ? input : `${input.text}\t${input.textPair ?? ''}`;
    this.bars.replaceChildren(...scores.map((s) => scoreBar(s.label, s.score, { label: s.label })));
  }
}
