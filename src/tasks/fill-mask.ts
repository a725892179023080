// fill-mask: texts with [MASK] → the masked-LM head's scores at each mask → the top-k tokens, as HF's FillMaskPipeline
// (and transformers.js) return them: { score, token, token_str, sequence }. One input with one mask gives a list of
// predictions; with several masks, a list per mask; an array of inputs, one such result per input.
import { architectureName, hasMaskedLmHead } from '../model/config.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { Encoding } from '../tokenizer/types.ts';
import { readOptions, spelling } from './options.ts';
import type { TaskModule } from './task.ts';
import { describe } from './text-classification.ts';

/** Options of a fill-mask call. */
export interface FillMaskOptions {
  /** Predictions per mask, best first (default 5; at most the number of targets). */
  top_k?: number;
  /** `top_k`'s camelCase spelling. */
  topK?: number;
  /**
   * Only rank these words (HF's `targets`): each is a vocabulary token, or else the first token it splits into. Scores
   * stay probabilities over the whole vocabulary.
   */
  targets?: string | string[];
  /** Aborts the call: it rejects with an AbortError. */
  signal?: AbortSignal;
}

/** One candidate for a [MASK], in the shape of HF's and transformers.js's fill-mask pipelines. */
export interface FillMaskPrediction {
  /** Softmax probability over the whole vocabulary. */
  score: number;
  /** Token id. */
  token: number;
  /** The token decoded on its own (a continuation piece keeps its "##"). */
  token_str: string;
  /** The input with this token in place of the mask, decoded (special tokens dropped when there is one mask). */
  sequence: string;
}

/** One text's predictions: a list (best first) when it has one [MASK], else one such list per [MASK], in order. */
export type FillMaskResult = FillMaskPrediction[] | FillMaskPrediction[][];

export interface PreparedFillMask {
  rows: Encoding[];
  /** For each row, the positions of its mask tokens. */
  masks: number[][];
  /** The same positions: the rows whose masked-LM scores the forward computes. */
  predict: number[][];
  single: boolean;
  /** The `targets` as token ids (null: rank the whole vocabulary). */
  candidates: number[] | null;
}

export function checkFillMaskOptions(options: unknown): FillMaskOptions {
  const o = readOptions('fill-mask', options, { top_k: 'topK', topK: 'topK', targets: 'targets' }) as FillMaskOptions;
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1)) throw new TypeError(`${spelling(o, 'topK')} must be a positive integer, got ${String(o.topK)}`);
  const targets = o.targets === undefined ? [] : typeof o.targets === 'string' ? [o.targets] : o.targets;
  if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) throw new TypeError('targets must be a string or an array of strings');
  if (o.targets !== undefined && targets.length === 0) throw new TypeError('targets is an empty array; give at least one word, or leave targets out');
  return o;
}

/** HF's FillMaskPipeline.get_target_ids: the token itself, else its first piece; words with no token are dropped. */
export function targetIds(tokenizer: BertTokenizer, targets: string | string[]): number[] {
  const ids = new Set<number>();
  for (const t of typeof targets === 'string' ? [targets] : targets) {
    const id = tokenizer.tokenToId(t) ?? tokenizer.encode(t, null, { addSpecialTokens: false }).ids[0];
    if (id !== undefined) ids.add(id);
  }
  if (ids.size === 0) throw new Error(`none of the targets ${JSON.stringify(targets)} gives a token of this vocabulary`);
  return [...ids];
}

/**
 * Token rows and mask positions for `inputs`, and the targets' ids, all checked before any GPU work. `where(i)` names
 * input i in messages (the CLI numbers its input lines).
 */
export function prepareFillMask(tokenizer: BertTokenizer, maxLength: number, inputs: unknown,
  options: Pick<FillMaskOptions, 'targets'> & { where?: (i: number) => string } = {}): PreparedFillMask {
  const { where } = options;
  const maskId = tokenizer.maskTokenId;
  if (maskId === undefined) throw new Error(`this tokenizer has no mask token (${JSON.stringify(tokenizer.maskToken)} is not in its vocabulary)`);
  const single = !Array.isArray(inputs);
  const texts = single ? [inputs] : (inputs as unknown[]);
  if (texts.length === 0) throw new TypeError('inputs is an empty array; give at least one text');
  const rows: Encoding[] = [];
  const masks: number[][] = [];
  texts.forEach((text, i) => {
    const name = where ? where(i) : single ? 'inputs' : `inputs[${i}]`;
    if (typeof text !== 'string') throw new TypeError(`${name} must be a string, got ${describe(text)}`);
    const e = tokenizer.encode(text, null, { truncation: { maxLength } });
    const at = maskPositions(e.ids, maskId);
    // A mask cut off by truncation would silently change the answer (and its shape); say so instead.
    const all = e.ids.length >= maxLength ? maskPositions(tokenizer.encode(text, null, { truncation: false }).ids, maskId) : at;
    if (all.length === 0) {
      throw new Error(`${name}: no mask token (${tokenizer.maskToken}) found in ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`);
    }
    if (all.length > at.length) {
      throw new Error(`${name}: ${all.length - at.length} of its ${all.length} ${tokenizer.maskToken} tokens are beyond the first ${maxLength} tokens the model reads; shorten the text`);
    }
    rows.push(e);
    masks.push(at);
  });
  return { rows, masks, predict: masks, single, candidates: options.targets === undefined ? null : targetIds(tokenizer, options.targets) };
}

function maskPositions(ids: ArrayLike<number>, maskId: number): number[] {
  const at: number[] = [];
  for (let p = 0; p < ids.length; p++) if (ids[p] === maskId) at.push(p);
  return at;
}

/** logits[i]: (k_i, V) scores at row i's k_i masks, in the order of `prepared.masks[i]`. */
export function finishFillMask(tokenizer: BertTokenizer, prepared: PreparedFillMask, logits: Float32Array[], V: number, options: FillMaskOptions): FillMaskResult | FillMaskResult[] {
  const { candidates } = prepared;
  const k = Math.min(options.topK ?? 5, candidates?.length ?? V);
  const results = prepared.rows.map((row, r) => {
    const oneMask = prepared.masks[r].length === 1;
    const perMask = prepared.masks[r].map((pos, m) => {
      const probs = softmax(logits[r].subarray(m * V, (m + 1) * V));
      const ranked = candidates ? [...candidates].sort((a, b) => probs[b] - probs[a] || a - b).slice(0, k) : topIndices(probs, k);
      return ranked.map((token) => {
        const ids = Array.from(row.ids);
        ids[pos] = token;
        return {
          score: probs[token],
          token,
          token_str: tokenizer.decode([token]),
          // As HF: with several masks the other [MASK]s (and so all special tokens) stay, so the text reads right.
          sequence: tokenizer.decode(ids.filter((id) => id !== tokenizer.padTokenId), { skipSpecialTokens: oneMask }),
        };
      });
    });
    return oneMask ? perMask[0] : perMask;
  });
  return prepared.single ? results[0] : results;
}

/** Softmax in float64 (the vocabulary is large: f32 sums would lose the small probabilities). */
function softmax(x: Float32Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i] - max);
  for (let i = 0; i < x.length; i++) out[i] /= sum;
  return out;
}

/** Indices of the k largest values, largest first; ties go to the lower index (as torch.topk on CPU in practice). */
function topIndices(values: Float64Array, k: number): number[] {
  if (k > 64) {
    // Insertion into a k-long list costs ~V·k; for a large k a full sort is cheaper.
    return Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
  }
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (best.length === k && values[i] <= values[best[k - 1]]) continue;
    let j = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(i);
    while (j > 0 && values[best[j - 1]] < values[i]) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

/** The fill-mask task: a BertForMaskedLM or BertForPreTraining head's token scores at each [MASK]. */
export const fillMaskTask: TaskModule<'fill-mask', FillMaskOptions, PreparedFillMask, FillMaskResult | FillMaskResult[]> = {
  name: 'fill-mask',
  checkModel({ label, config, head }) {
    if (!hasMaskedLmHead(head)) {
      throw new Error(`${label} has no masked-LM head (architectures: ${config.architectures.join(', ') || 'none'}; fill-mask needs ${architectureName(config, 'ForMaskedLM')}${config.modelType === 'bert' || config.modelType === 'albert' ? ` or ${architectureName(config, 'ForPreTraining')}` : ''})`);
    }
  },
  // Only the [MASK] rows go through the V-wide decoder.
  outputs: (config) => [{ name: 'mlmLogits', layout: 'selected', width: config.vocabSize }],
  options: checkFillMaskOptions,
  prepare: ({ tokenizer, maxLength }, inputs, options) => prepareFillMask(tokenizer, maxLength, inputs, { targets: options.targets }),
  finish: ({ tokenizer, config }, prepared, rows, options) => finishFillMask(tokenizer, prepared, rows.map((r) => r.mlmLogits!), config.vocabSize, options),
  cli: {
    command: 'fill-mask',
    usage: '--model M [--json] [--top-k K] [--file F | TEXT...]\n      the likeliest tokens for each [MASK] (default 5; needs a BertForMaskedLM or BertForPreTraining model)',
    flags: { 'top-k': { type: 'string' } },
    pairs: false,
    options: (_, { topK }) => (topK === undefined ? {} : { top_k: topK }),
    // Plain: "token score" pairs, masks separated by " | "; --json: the pipeline's result for the line.
    format(result: FillMaskResult, _, o) {
      if (o.json) return JSON.stringify(result);
      const perMask = (Array.isArray(result[0]) ? result : [result]) as FillMaskPrediction[][];
      return perMask.map((preds) => preds.map((p) => `${p.token_str} ${p.score.toFixed(4)}`).join('  ')).join(' | ');
    },
  },
};
