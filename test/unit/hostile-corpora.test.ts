// The hostile config.json and tokenizer-file corpora (test/fixtures/hostile/), each case loaded in-process through
// the public loader (loadBert: config, tokenizer, safetensors headers, weights on the GPU) from a local folder. Each
// must fail with its own clear error within a second — never an internal TypeError about `undefined`, never by running
// out of memory — and the real-world oddities must load and encode. The same cases run through the CLI in
// hostile-cli.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { loadBert } from '../../src/model/load.ts';
import { configCases, configOddities, type CorpusCase } from '../fixtures/hostile/config-corpus.ts';
import { tokenizerCases, tokenizerOddities } from '../fixtures/hostile/tokenizer-corpus.ts';
import type { Files } from '../fixtures/weights/hostile-corpus.ts';
import { getTestGpu } from '../helpers/gpu.ts';

let gpu: GpuContext;
let tmp: string;
beforeAll(async () => {
  gpu = await getTestGpu();
  tmp = mkdtempSync(join(tmpdir(), 'bertgpu-corpora-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function folder(name: string, files: Files): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, f), body);
  return dir;
}

/** Messages of errors that escaped validation rather than being raised by it. */
const INTERNAL = /Cannot (read|set) propert|is not a function|is not iterable|is not defined|Cannot convert|Invalid array length|Maximum call stack|out of memory/i;

function corpus(title: string, cases: CorpusCase[]) {
  describe(title, () => {
    it('has at least 15 distinct cases', () => {
      expect(cases.length).toBeGreaterThanOrEqual(15);
      expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    });
    for (const c of cases) {
      it(c.name, async () => {
        const dir = folder(`${title}-${c.name}`, c.files);
        const started = performance.now();
        let err: unknown = null;
        try {
          const loaded = await loadBert(gpu, dirProvider(dir));
          await loaded.model.dispose();
        } catch (e) {
          err = e;
        }
        expect(performance.now() - started).toBeLessThan(1000);
        if (!(err instanceof Error)) throw new Error(`${c.name}: expected an error, got ${String(err)}`);
        expect(err.message).not.toMatch(INTERNAL);
        expect(err.message).toMatch(c.message);
      });
    }
  });
}

corpus('config.json', configCases());
corpus('tokenizer files', tokenizerCases());

describe('real-world oddities keep working', () => {
  for (const o of [...configOddities(), ...tokenizerOddities()]) {
    it(o.name, async () => {
      const loaded = await loadBert(gpu, dirProvider(folder(`odd-${o.name}`, o.files)));
      try {
        const { config } = loaded.model;
        expect(config.numHiddenLayers).toBe(1);
        expect(config.hiddenSize).toBe(8);
        // model_max_length 1e30 (HF's "no limit") → the model's own limit, max_position_embeddings.
        expect(loaded.maxLength).toBe(8);
        const started = performance.now();
        const e = loaded.tokenizer.encode(`a b ${'k'.repeat(16_000)}`, null, { truncation: { maxLength: loaded.maxLength } });
        expect(performance.now() - started).toBeLessThan(200);
        // vocab.txt listing "a" twice: HF keeps the last line's id.
        const a = loaded.tokenizer.tokenToId('a');
        expect(a).toBe(o.name === 'vocab-duplicate-line' ? 15 : 5);
        expect(Array.from(e.ids)).toEqual([2, a, 6, 1, 3]);
      } finally {
        await loaded.model.dispose();
      }
    });
  }
});
