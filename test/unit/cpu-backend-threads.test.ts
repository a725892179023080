// Kernel threads (worker_threads over a shared memory): every op split over 2 and 3 threads gives bit-identical
// outputs to one thread (the split never changes a sum's order), on the classifier and the masked-LM fixtures, with
// concurrent forwards serialised; a thread that cannot start is an error at create().
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CpuBertModel } from '../../src/cpu-backend/cpu-model.ts';
import { loadCpuBertWeights } from '../../src/cpu-backend/cpu-weights.ts';
import { spawnNodeThread } from '../../src/cpu-backend/node-threads.ts';
import type { ThreadPort } from '../../src/cpu-backend/threads.ts';
import { openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { fixturesDir } from '../model/fixture.ts';
import { fixtureChecks } from '../cpu-backend/fixture-cases.ts';

async function load(model: string, count: number): Promise<CpuBertModel> {
  const weights = await loadCpuBertWeights(await openModel(dirProvider(join(fixturesDir, model))));
  return CpuBertModel.create(weights, count > 1 ? { threads: { count, spawn: spawnNodeThread } } : {});
}

describe('CPU backend kernel threads', () => {
  it('a thread holds the process only while a reply is outstanding: an awaited reply arrives, then the process exits without dispose()', async () => {
    // A Node script that forgets dispose() must end: Node re-refs a Worker when a 'message' listener is added, which
    // kept such a process alive forever (the packed-tarball consumer test hung on it).
    const script = `import { spawnNodeThread } from ${JSON.stringify(join(process.cwd(), 'src/cpu-backend/node-threads.ts'))};
const t = spawnNodeThread("const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => setTimeout(() => parentPort.postMessage(m), 300))");
const reply = new Promise((resolve) => t.onMessage(resolve)); t.onError(() => {});
t.post('hello');
console.log(await reply);`;
    // A file, not `-e`: an eval'd script ended the process regardless.
    const dir = mkdtempSync(join(tmpdir(), 'bertgpu-threads-'));
    try {
      writeFileSync(join(dir, 'forgets-dispose.mjs'), script);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(dir, 'forgets-dispose.mjs')], { timeout: 20_000 });
      expect(stdout.trim()).toBe('hello'); // the awaited reply kept it alive (13: an unsettled top-level await)
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  for (const model of ['tiny-bert', 'tiny-bert-mlm']) {
    it(`${model}: 2 and 3 threads equal 1 thread bit for bit, concurrent forwards included`, async () => {
      const one = await load(model, 1);
      const many = [await load(model, 2), await load(model, 3)];
      try {
        expect(many.map((m) => m.threadCount)).toEqual([2, 3]);
        const checks = fixtureChecks(model);
        for (const m of many) {
          // All cases at once: forwards share the arena, so the model must run them one after another.
          const [want, got] = await Promise.all([one, m].map((x) => Promise.all(checks.map((c) => x.forward(c.batch, c.outputs)))));
          got.forEach((out, i) => {
            for (const name of checks[i].outputs) expect(Array.from(out[name]!), `${checks[i].name} ${name}`).toEqual(Array.from(want[i][name]!));
          });
        }
      } finally {
        await Promise.all([one, ...many].map((m) => m.dispose()));
      }
    });
  }

  it('a thread that cannot start its kernels fails create() with the reason', async () => {
    const broken = (): ThreadPort => spawnNodeThread("require('node:worker_threads').parentPort.on('message', () => require('node:worker_threads').parentPort.postMessage({ ready: false, error: 'no kernels here' }))");
    const weights = await loadCpuBertWeights(await openModel(dirProvider(join(fixturesDir, 'tiny-bert'))));
    await expect(CpuBertModel.create(weights, { threads: { count: 2, spawn: broken } })).rejects.toThrow(/could not start its kernels: no kernels here/);
  });
});
