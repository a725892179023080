// The family fixtures' text cases (test/fixtures/tiny-<family>/text-reference.json, written by
// scripts/fixtures/make_family_fixtures.py): texts, HF Rust's encodings, float64 outputs, HF's pipeline results.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from './fixture.ts';

export interface RefTensor { dims: number[]; data: number[] }
export interface TextCase {
  name: string;
  text: string[];
  textPair?: string[];
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  tokens: string[][];
  offsets: number[][][];
  logits?: RefTensor;
  lastHiddenState: RefTensor;
  mlmLogits?: RefTensor;
}
export interface TextReference {
  cases: TextCase[];
  pipelines: {
    tokenClassification: Array<{ case: string; row: number; text: string; aggregation_strategy: string; entities: unknown }>;
    questionAnswering: Array<{ row: number; question: string; context: string; top_k: number; answer: unknown }>;
    /** A text longer than the model in windows sharing `stride` tokens, every aggregation strategy. */
    tokenClassificationWindows: { text: string; stride: number; maxLength: number; windows: number; expected: Array<{ aggregation_strategy: string; entities: unknown }> };
    /** A context over several windows (Rust's overflowing encodings, only_second, doc_stride overlap). */
    questionAnsweringWindows: Array<{ question: string; context: string; max_seq_len: number; doc_stride: number; top_k: number; windows: number; answer: unknown }>;
  };
}

export const FAMILIES = ['tiny-distilbert', 'tiny-roberta', 'tiny-xlm-roberta', 'tiny-electra', 'tiny-albert'] as const;
export const MASK_TOKEN: Record<string, string> = { 'tiny-roberta': '<mask>', 'tiny-xlm-roberta': '<mask>', 'tiny-albert': '[MASK]', 'tiny-distilbert': '[MASK]', 'tiny-electra': '[MASK]' };
export function readTextReference(folder: string): TextReference {
  return JSON.parse(readFileSync(join(fixturesDir, folder, 'text-reference.json'), 'utf8')) as TextReference;
}

