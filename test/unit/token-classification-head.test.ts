// The per-token head graph part (src/model/token-heads.ts): HF's weight names and shapes, one matmul over every token
// row of the last hidden state. (Its GPU logits vs PyTorch come once bert.ts calls it: see the fixtures' logits.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import { addTokenHead, tokenHeadWeights, TOKEN_HEAD_OF_ARCHITECTURE } from '../../src/model/token-heads.ts';
import { fixturesDir } from '../model/fixture.ts';

const config = (name: string) => parseBertConfig(readFileSync(join(fixturesDir, name, 'config.json'), 'utf8'));

describe('per-token heads', () => {
  it('architectures name the heads', () => {
    expect(TOKEN_HEAD_OF_ARCHITECTURE[config('tiny-bert-ner').architectures[0] as keyof typeof TOKEN_HEAD_OF_ARCHITECTURE]).toBe('token-classification');
    expect(TOKEN_HEAD_OF_ARCHITECTURE[config('tiny-bert-qa').architectures[0] as keyof typeof TOKEN_HEAD_OF_ARCHITECTURE]).toBe('question-answering');
  });
  it('weights: classifier [num_labels, C] / qa_outputs [2, C], as in the fixtures\' safetensors headers', () => {
    for (const [name, head] of [['tiny-bert-ner', 'token-classification'], ['tiny-bert-qa', 'question-answering']] as const) {
      const buf = readFileSync(join(fixturesDir, name, 'model.safetensors'));
      const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8')) as Record<string, { shape: number[] }>;
      for (const w of tokenHeadWeights(config(name), head)) expect(header[w.name]?.shape, `${name} ${w.name}`).toEqual(w.shape);
      expect(Object.keys(header).some((k) => k.startsWith('bert.pooler'))).toBe(false);
    }
  });
  it('graph: one matmul over all B·T rows to (B·T, width)', () => {
    const c = config('tiny-bert-ner');
    const g = new GraphBuilder();
    const x = g.activation('lastHiddenState', [3 * 7, c.hiddenSize], 'f32');
    const out = addTokenHead(g, c, 'token-classification', x, 21, 'f32');
    const graph = g.build();
    expect(graph.tensors[out].shape).toEqual([21, 5]);
    expect(graph.ops).toEqual([expect.objectContaining({ kind: 'matmul', x, M: 21, N: 5, K: 64, xRowStep: 1, epilogue: 'none' })]);
    const qa = new GraphBuilder();
    const h = qa.activation('h', [4, 64], 'f16');
    expect(qa.build().tensors.length).toBe(1);
    const o = addTokenHead(qa, config('tiny-bert-qa'), 'question-answering', h, 4, 'f16');
    expect(qa.build().tensors.filter((t) => t.role === 'weight').map((t) => [t.name, t.shape, t.type]))
      .toEqual([['qa_outputs.weight', [2, 64], 'f16'], ['qa_outputs.bias', [2], 'f16']]);
    expect(qa.build().tensors[o].shape).toEqual([4, 2]);
  });
});
