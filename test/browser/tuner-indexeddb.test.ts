// Autotuning in Chromium (SwiftShader): loadBert({ tune: 'on' }) tunes the default bucket while the tiny-bert
// fixture downloads, stores the choices in IndexedDB, and a second load reads them instead of timing; the tuned
// forward matches PyTorch at 1e-4. (Software adapters are not tuned under 'auto'; 'on' forces it here, with the software
// profile: SwiftShader compiles the GPU profile's ~25 candidates in more than the 2 s tuning waits for them.)
import { afterAll, describe, expect, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { browserTuningStore } from '../../src/gpu/tuner-cache.ts';
import { httpProvider } from '../../src/hub/files.ts';
import { loadBert } from '../../src/model/load.ts';
import { expectClose } from '../helpers/validate.ts';
import reference from '../fixtures/tiny-bert/reference.json';

interface RefCase { name: string; inputIds: number[][]; tokenTypeIds: number[][]; attentionMask: number[][]; logits: { data: number[] } }
const [first] = (reference as unknown as { cases: RefCase[] }).cases;
const dbName = `bertgpu-tuning-test-${Date.now()}`;
afterAll(() => new Promise<void>((resolve) => {
  const r = indexedDB.deleteDatabase(dbName);
  r.onsuccess = r.onerror = r.onblocked = () => resolve();
}));

describe('tuning in Chromium', () => {
  it('tunes during load, stores in IndexedDB, and a second load reads the store', async () => {
    const gpu = await requestBrowserGpu();
    const provider = httpProvider(`${location.origin}/test/fixtures/tiny-bert`);
    const options = { kernelProfile: 'software', tune: 'on', tuningStore: browserTuningStore(indexedDB, dbName) } as const;
    let timed: string[] = [];
    try {
      const { model } = await loadBert(gpu, provider, options);
      try {
        // Tuned before loadBert returned (the default bucket: 1 × 64 tokens for this config).
        expect(model.tuning.length).toBeGreaterThan(0);
        timed = model.tuning.filter((o) => o.source === 'timed').map((o) => o.key);
        expect(timed.length).toBeGreaterThan(0);
        const B = first.inputIds.length;
        const T = first.inputIds[0].length;
        const out = await model.forward({ B, T, inputIds: Int32Array.from(first.inputIds.flat()), tokenTypeIds: Int32Array.from(first.tokenTypeIds.flat()),
          attentionMask: Int32Array.from(first.attentionMask.flat()) }, ['logits']);
        expectClose(`${first.name} logits`, out.logits!, first.logits.data, { atol: 1e-4, rtol: 0 });
      } finally {
        await model.dispose();
      }
      const again = await loadBert(gpu, provider, { ...options, tuningStore: browserTuningStore(indexedDB, dbName) });
      try {
        const source = new Map(again.model.tuning.map((o) => [o.key, o.source]));
        for (const key of timed) expect(source.get(key), key).toBe('cache');
      } finally {
        await again.model.dispose();
      }
    } finally {
      gpu.device.destroy();
    }
  }, 120_000);
});
