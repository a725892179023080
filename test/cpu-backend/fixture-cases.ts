// Every tiny-bert* fixture with a PyTorch fp64 reference.json, as (batch, outputs, expected slices) cases for the CPU
// model: the same comparisons the GPU forward tests make (bert-forward, bert-mlm, the NER/QA windows), 1e-4 absolute.
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BertOutputName, BertOutputs, EncodedBatch } from '../../src/model/forward-types.ts';
import { batchOf, fixturesDir, validRows, type RefCase } from '../model/fixture.ts';

export interface FixtureCheck {
  name: string;
  batch: EncodedBatch;
  outputs: BertOutputName[];
  /** Pairs of (label, got, want) to compare. */
  compare(out: BertOutputs, C: number): Array<[string, ArrayLike<number>, ArrayLike<number>]>;
}

interface MlmCase { name: string; inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][]; maskPositions: number[][]; maskLogits: number[][][]; nsp: number[][]; rowLogits0: number[] }
interface WindowRow { inputIds: number[]; attentionMask: number[]; tokenTypeIds: number[]; logits: { dims: number[]; data: number[] } }

export function fixtureModels(): string[] {
  return readdirSync(fixturesDir).filter((d) => d.startsWith('tiny-bert') && existsSync(join(fixturesDir, d, 'reference.json'))).sort();
}

export function fixtureChecks(model: string): FixtureCheck[] {
  const ref = JSON.parse(readFileSync(join(fixturesDir, model, 'reference.json'), 'utf8')) as { vocabSize?: number; cases: unknown[] };
  const cases = ref.cases as Array<Record<string, unknown>>;
  if (cases[0] && 'maskLogits' in cases[0]) {
    const V = ref.vocabSize!;
    return (cases as unknown as MlmCase[]).map((c) => ({
      name: c.name, batch: batchOf(c), outputs: ['mlmLogits', 'nspLogits'],
      compare: (out) => {
        const T = c.inputIds[0].length;
        const pairs: Array<[string, ArrayLike<number>, ArrayLike<number>]> = [['[CLS] row', out.mlmLogits!.subarray(0, V), c.rowLogits0], ['nsp', out.nspLogits!, c.nsp.flat()]];
        c.maskPositions.forEach((ps, b) => ps.forEach((p, k) => pairs.push([`row ${b} mask ${k}`, out.mlmLogits!.subarray((b * T + p) * V, (b * T + p + 1) * V), c.maskLogits[b][k]])));
        return pairs;
      },
    }));
  }
  if (cases[0] && 'windows' in cases[0]) {
    // NER / QA: each window row alone through the token head, as the pipeline runs it.
    return cases.flatMap((c) => Object.entries(c.windows as Record<string, WindowRow[]>).flatMap(([key, rows]) => rows.map((r, i) => ({
      name: `${c.name as string} ${key} window ${i}`,
      batch: batchOf({ inputIds: [r.inputIds], tokenTypeIds: [r.tokenTypeIds], attentionMask: [r.attentionMask] }),
      outputs: ['logits'] as BertOutputName[],
      compare: (out: BertOutputs) => [['logits', out.logits!, r.logits.data]] as Array<[string, ArrayLike<number>, ArrayLike<number>]>,
    }))));
  }
  return (cases as unknown as RefCase[]).map((c) => ({
    name: c.name, batch: batchOf(c), outputs: ['lastHiddenState', 'poolerOutput', 'logits'],
    compare: (out, C) => [
      ['logits', out.logits!, c.logits.data],
      ['pooler', out.poolerOutput!, c.poolerOutput.data],
      ['hidden', validRows(out.lastHiddenState!, c.attentionMask, C), validRows(c.lastHiddenState.data, c.attentionMask, C)],
    ],
  }));
}
