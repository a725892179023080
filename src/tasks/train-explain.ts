// clf.explain(input, { method, steps, label }): one signed score per token from the GPU engine's attributions
// (Trainer.attributions: gradient × input or integrated gradients of a label's logit w.r.t. the word embeddings).
// The Trainer that computes them is made once from the model's f32 weights (Trainer.createForAttributions: the
// weights alone, no gradient buffer or AdamW moments) and kept until the weights change (a train() run) or the
// pipeline goes.
import type { GpuContext } from '../gpu/device.ts';
import { sequenceBucket } from '../model/batch-shape.ts';
import type { BertConfig } from '../model/config.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import { Trainer } from '../train/trainer.ts';
import { normalizeInputs } from './text-classification.ts';
import type { TrainableModel } from './train-checkpoint.ts';

/** Options of `clf.explain()`. */
export interface ExplainOptions {
  /** 'integrated-gradients' (default: path integral from a baseline, sums to the logit's change) or 'gradient-x-input'. */
  method?: 'gradient-x-input' | 'integrated-gradients';
  /** Integrated gradients: intervals of the path (default 20). */
  steps?: number;
  /** The label whose logit is explained, by name (default: the predicted one). */
  label?: string;
}

/** One token's attribution. */
export interface TokenAttribution {
  /** The token as the model saw it ([CLS], word pieces, [SEP]). */
  token: string;
  /** Its signed contribution to the label's logit. */
  score: number;
}

/** What `clf.explain()` returns: the label explained and a score per token. */
export interface Explanation {
  /** The label whose logit was explained. */
  label: string;
  /** Every token of the input, special tokens included, in order, with its score. */
  tokens: TokenAttribution[];
}

const KEYS = ['method', 'steps', 'label'];

export class Explainer {
  private trainer: Promise<Trainer> | null = null;
  /** The explain() calls in flight: a reset frees the Trainer only after they end. */
  private inFlight = new Set<Promise<unknown>>();

  /** Frees the Trainer (the weights changed, or the pipeline goes) once the calls using it have ended. */
  reset(): void {
    const t = this.trainer;
    this.trainer = null;
    void Promise.allSettled([...this.inFlight]).then(() => t?.then((x) => x.dispose(), () => undefined));
  }

  explain(gpu: GpuContext, model: () => Promise<TrainableModel>, ctx: { tokenizer: BertTokenizer; maxLength: number; config: BertConfig }, input: unknown, options: unknown): Promise<Explanation> {
    const run = this.run(gpu, model, ctx, input, options);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run)).catch(() => undefined);
    return run;
  }

  private async run(gpu: GpuContext, model: () => Promise<TrainableModel>, ctx: { tokenizer: BertTokenizer; maxLength: number; config: BertConfig }, input: unknown, options: unknown): Promise<Explanation> {
    if (options === undefined) options = {};
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('explain(): options must be an object { method?, steps?, label? }');
    const o = options as ExplainOptions;
    for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new TypeError(`explain(): unknown option '${k}' (known: ${KEYS.join(', ')})`);
    const { items, single } = normalizeInputs(input, 'explain(): input');
    if (!single) throw new TypeError('explain(): takes one input (a text or { text, textPair }), not an array');
    const { tokenizer, maxLength, config } = ctx;
    const labelIndex = o.label === undefined ? null : config.id2label.indexOf(o.label);
    if (labelIndex === -1) throw new RangeError(`explain(): unknown label ${JSON.stringify(o.label)} (known labels: ${config.id2label.map((l) => JSON.stringify(l)).join(', ')})`);
    const e = tokenizer.encode(items[0].text, items[0].textPair ?? null, { truncation: { maxLength } });
    const n = e.ids.length;
    // Padded to the inference bucket (masked keys: the real tokens' scores do not change), so few plans are made.
    const T = sequenceBucket(n, config.maxPositionEmbeddings);
    const pad = (a: ArrayLike<number>, fill: number) => Int32Array.from({ length: T }, (_, t) => (t < n ? a[t] : fill));
    const batch = { B: 1, T, inputIds: pad(e.ids, tokenizer.padTokenId), tokenTypeIds: pad(e.tokenTypeIds, 0), attentionMask: pad(e.attentionMask, 0) };
    this.trainer ??= model().then((m) => Trainer.createForAttributions(gpu, { config: m.config, weights: m.weights }));
    const trainer = await this.trainer.catch((err: Error) => {
      this.trainer = null;
      throw err;
    });
    let label = labelIndex;
    if (label === null) {
      const logits = await trainer.evaluateLogits(batch);
      label = logits.indexOf(Math.max(...logits));
    }
    const method = o.method ?? 'integrated-gradients';
    let scores: Float32Array;
    try {
      scores = await trainer.attributions(batch, { method, label, ...(o.steps !== undefined ? { steps: o.steps } : {}) });
    } catch (err) {
      const message = (err as Error).message;
      // Option errors are named as explain() takes them; anything else goes up as it is.
      if (/^attributions: options\./.test(message)) throw new RangeError(message.replace(/^attributions: options\./, 'explain(): option '));
      throw err;
    }
    return { label: config.id2label[label], tokens: Array.from({ length: n }, (_, t) => ({ token: tokenizer.idToToken(e.ids[t]) ?? `[${e.ids[t]}]`, score: scores[t] })) };
  }
}
