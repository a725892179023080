// The BPE/Unigram code loads on demand: a module graph that imports BertTokenizer without the 'bertgpu/tokenizer'
// entry (the library's Worker) refuses such a tokenizer.json with a clear error until prepareTokenizerJson(json) has
// imported it, and the tokenizer Worker's service does that itself on 'init'. Fresh module graphs per test
// (vi.resetModules), so nothing registered by another import leaks in.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { xlmrTokenizerJson } from '../fixtures/tokenizer/xlmr.ts';

const json = xlmrTokenizerJson();

beforeEach(() => {
  vi.resetModules();
});

describe('BPE/Unigram code on demand', () => {
  it('fromTokenizerJson names the missing step; prepareTokenizerJson loads the code; WordPiece needs nothing', async () => {
    const { BertTokenizer } = await import('../../src/tokenizer/tokenizer.ts');
    const models = await import('../../src/tokenizer/pipeline-models.ts');
    expect(() => BertTokenizer.fromTokenizerJson(json)).toThrow(/Unigram tokenizer code is not loaded; await prepareTokenizerJson/);
    expect(models.needsPipelineLibrary(json)).toBe(true);
    expect(models.needsPipelineLibrary(JSON.stringify(json))).toBe(true);
    expect(models.needsPipelineLibrary({ model: { type: 'WordPiece' } })).toBe(false);
    expect(models.needsPipelineLibrary('{"model":{"type":"WordPiece"}}')).toBe(false);
    await models.prepareTokenizerJson(json);
    expect(Array.from(BertTokenizer.fromTokenizerJson(json).encode('Hello world').ids).length).toBeGreaterThan(2);
  });

  it("the Worker's service loads the code on 'init' and answers later requests in order", async () => {
    const { TokenizerService } = await import('../../src/tokenizer/protocol.ts');
    const service = new TokenizerService();
    const init = service.handleInOrder({ id: 1, type: 'init', source: { tokenizerJson: JSON.stringify(json) } });
    const encode = service.handleInOrder({ id: 2, type: 'encode', text: 'Hello world' });
    expect((await init).reply).toMatchObject({ id: 1, type: 'result' });
    const reply = (await encode).reply as { type: string; value: { ids: Int32Array } };
    expect(reply.type).toBe('result');
    expect(reply.value.ids[0]).toBe(0);
  });

  it("importing 'bertgpu/tokenizer' registers the code eagerly", async () => {
    const { BertTokenizer } = await import('../../src/tokenizer/index.ts');
    expect(BertTokenizer.fromTokenizerJson(json).maskToken).toBe('<mask>');
  });
});
