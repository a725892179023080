// A runtime Worker that dies: terminated by the page mid-call (no event fires at all), closing itself, or throwing
// uncaught in its global scope. Pending and later calls must reject with an error that says what happened and what
// to do, never hang; a new pipeline works afterwards. The real runtime Worker (src/runtime/worker.ts), started the
// way pipeline() starts it, with a test-only listener added next to it by a same-origin module shim.
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/index.ts';
import { softmax } from '../../src/model/heads.ts';
import { makeCallable, type TextClassificationPipeline } from '../../src/runtime/callable.ts';
import { WorkerRuntime } from '../../src/runtime/worker-client.ts';
import runtimeWorkerUrl from '../../src/runtime/worker.ts?worker&url';
import { expectClose } from '../helpers/validate.ts';
import reference from '../fixtures/tiny-bert/reference.json';

const modelUrl = () => `${location.origin}/test/fixtures/tiny-bert`;
const labels = ['negative', 'neutral', 'positive'];
const single = (reference as unknown as { cases: { name: string; text: string[]; textPair?: string[]; logits: { data: number[] } }[] }).cases
  .find((c) => c.name === 'single')!;

/** The runtime Worker, plus a listener that makes it fail on request (a test hook that ships nowhere). */
function startCrashableWorker(): Worker {
  const shim = `import ${JSON.stringify(new URL(runtimeWorkerUrl, location.href).href)};
self.addEventListener('message', (ev) => {
  if (ev.data && ev.data.test === 'throw') setTimeout(() => { throw new Error('test: uncaught in the Worker'); });
  if (ev.data && ev.data.test === 'close') self.close();
});`;
  return new Worker(URL.createObjectURL(new Blob([shim], { type: 'text/javascript' })), { type: 'module', name: 'bertgpu' });
}

async function crashablePipeline(): Promise<{ worker: Worker; classify: TextClassificationPipeline }> {
  const worker = startCrashableWorker();
  const classify = makeCallable(await WorkerRuntime.create(worker, 'text-classification', modelUrl(), {})) as TextClassificationPipeline;
  return { worker, classify };
}

/** The promise's outcome, or a rejection saying it was still pending after `ms` (the bug: for ever). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms))]);
}

async function expectScoresOfReference(classify: TextClassificationPipeline): Promise<void> {
  const r = await classify(single.text[0], { topK: null });
  expectClose('after a crash', labels.map((l) => r.find((x) => x.label === l)!.score), softmax(single.logits.data), { atol: 1e-4, rtol: 0 });
}

const stopped = /bertgpu Worker stopped .*create a new pipeline/;

describe('a runtime Worker that dies', () => {
  it('terminated mid-call: pending and later calls reject clearly; dispose() is quiet; a new pipeline works', async () => {
    const { worker, classify } = await crashablePipeline();
    await expectScoresOfReference(classify);
    const pending = classify(Array.from({ length: 64 }, (_, i) => `the movie was great fun ${i}`));
    const stats = classify.stats();
    worker.terminate(); // fires no event on the Worker object
    await expect(within(pending, 10_000, 'the call')).rejects.toThrow(stopped);
    await expect(within(stats, 10_000, 'stats()')).rejects.toThrow(stopped);
    await expect(within(classify('hello'), 10_000, 'a later call')).rejects.toThrow(stopped);
    await expect(within(classify.loss('hello', [0]), 10_000, 'a later loss()')).rejects.toThrow(stopped);
    await within(classify.dispose(), 10_000, 'dispose()');
    const fresh = await pipeline('text-classification', modelUrl());
    try {
      await expectScoresOfReference(fresh);
    } finally {
      await fresh.dispose();
    }
  });

  it('dying while the model loads (as when it runs out of memory there): pipeline creation rejects clearly', async () => {
    const worker = startCrashableWorker();
    let killed = false;
    const creating = WorkerRuntime.create(worker, 'text-classification', modelUrl(), {}, () => {
      if (!killed) worker.terminate();
      killed = true;
    });
    await expect(within(creating, 10_000, 'pipeline creation')).rejects.toThrow(stopped);
    expect(killed).toBe(true);
  });

  it('closing itself (self.close(), no event either): the same', async () => {
    const { worker, classify } = await crashablePipeline();
    const pending = classify('the plot was good');
    worker.postMessage({ test: 'close' });
    const error = await within(pending.then(() => null, (e: Error) => e), 10_000, 'the call');
    // The call may have been answered before the Worker closed; a later one cannot be.
    if (error) expect(error.message).toMatch(stopped);
    await expect(within(classify('hello'), 10_000, 'a later call')).rejects.toThrow(stopped);
    await classify.dispose();
  });

  it('an uncaught error in its global scope: pending and later calls reject naming it', async () => {
    const { worker, classify } = await crashablePipeline();
    const pending = classify(Array.from({ length: 64 }, (_, i) => `the acting was terrible ${i}`));
    worker.postMessage({ test: 'throw' });
    const failed = /bertgpu Worker failed: .*test: uncaught in the Worker.*create a new pipeline/;
    const error = await within(pending.then(() => null, (e: Error) => e), 10_000, 'the call');
    if (error) expect(error.message).toMatch(failed);
    await expect(within(classify('hello'), 10_000, 'a later call')).rejects.toThrow(failed);
    await classify.dispose();
    const fresh = await crashablePipeline();
    await expectScoresOfReference(fresh.classify);
    await fresh.classify.dispose();
  });
});
