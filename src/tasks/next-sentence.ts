// next-sentence-prediction: BERT's second pre-training task. A { text, textPair } pair → the NSP head's two scores
// (HF's BertForNextSentencePrediction: index 0 "textPair follows text", index 1 "textPair is random") → softmax, as
// [{ label: 'IsNext' | 'NotNext', score }] best first; an array of pairs gives one such array per pair.
import { applyScore } from '../model/heads.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { Encoding } from '../tokenizer/types.ts';
import { hasNextSentenceHead } from '../model/config.ts';
import { readOptions } from './options.ts';
import type { TaskModule } from './task.ts';
import { normalizeInputs, type LabelScore } from './text-classification.ts';

/** Options of a next-sentence-prediction call. */
export interface NextSentenceOptions {
  /** Aborts the call: it rejects with an AbortError. */
  signal?: AbortSignal;
}

export const NSP_LABELS = ['IsNext', 'NotNext'] as const;

export function checkNextSentenceOptions(options: unknown): NextSentenceOptions {
  return readOptions('next-sentence-prediction', options, {}) as NextSentenceOptions;
}

export function prepareNextSentence(tokenizer: BertTokenizer, maxLength: number, inputs: unknown): { rows: Encoding[]; single: boolean } {
  const { items, single } = normalizeInputs(inputs);
  items.forEach((item, i) => {
    if (item.textPair === undefined) throw new TypeError(`${single ? 'inputs' : `inputs[${i}]`} needs a textPair (text_pair): next-sentence prediction scores a pair { text, text_pair }`);
  });
  // Truncation as HF's tokenizer default for pairs (longest_first), so both sentences keep their share.
  return { rows: items.map((item) => tokenizer.encode(item.text, item.textPair!, { truncation: { maxLength } })), single };
}

/** logits[i]: the (2) NSP scores of pair i. */
export function finishNextSentence(logits: Float32Array[], single: boolean): LabelScore[] | LabelScore[][] {
  const results = logits.map((l) => applyScore(Array.from(l), 'softmax')
    .map((score, i) => ({ label: NSP_LABELS[i], score }))
    .sort((a, b) => b.score - a.score));
  return single ? results[0] : results;
}

/** The next-sentence-prediction task: BERT's NSP head (BertForNextSentencePrediction or BertForPreTraining). */
export const nextSentenceTask: TaskModule<'next-sentence-prediction', NextSentenceOptions, { rows: Encoding[]; single: boolean }, LabelScore[] | LabelScore[][]> = {
  name: 'next-sentence-prediction',
  checkModel({ label, config, head }) {
    if (!hasNextSentenceHead(head)) {
      throw new Error(`${label} has no next-sentence head (architectures: ${config.architectures.join(', ') || 'none'}; ` +
        'next-sentence-prediction needs BertForNextSentencePrediction or BertForPreTraining)');
    }
  },
  outputs: () => [{ name: 'nspLogits', layout: 'sequence', width: 2 }],
  options: checkNextSentenceOptions,
  prepare: ({ tokenizer, maxLength }, inputs) => prepareNextSentence(tokenizer, maxLength, inputs),
  finish: (_, prepared, rows) => finishNextSentence(rows.map((r) => r.nspLogits!), prepared.single),
};
