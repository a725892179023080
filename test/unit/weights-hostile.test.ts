// The hostile corpus (test/fixtures/weights/hostile-corpus.ts), each case loaded through the whole path — Hub layout
// on a real local server and a local folder — onto the GPU. Each must fail with its own specific error within
// seconds, leave no GPU buffer allocated, and cause no unhandled rejection.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferRegistry } from '../../src/gpu/buffers.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { httpProvider, type FileProvider } from '../../src/hub/files.ts';
import { loadBertWeights, openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { WeightsError } from '../../src/weights/errors.ts';
import { hostileCases, sharded, tinyTensors, validFolder, type Files } from '../fixtures/weights/hostile-corpus.ts';
import { writeSafetensors } from '../helpers/safetensors-writer.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';

let gpu: GpuContext;
let server: TestServer;
let tmp: string;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(async () => {
  gpu = await getTestGpu();
  server = await startServer();
  tmp = mkdtempSync(join(tmpdir(), 'bertgpu-hostile-'));
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  // Give stray promises a turn to surface before checking.
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
  expect(unhandled).toEqual([]);
});

function serve(name: string, files: Files): FileProvider {
  for (const [f, body] of Object.entries(files)) setFile(server, `/hostile/${name}/resolve/main/${f}`, typeof body === 'string' ? body : body);
  return httpProvider(`hostile/${name}`, { endpoint: server.url, retries: 1, retryDelayMs: 5 });
}

function onDisk(name: string, files: Files): FileProvider {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, f), body);
  return dirProvider(dir);
}

async function attempt(provider: FileProvider, registry: BufferRegistry): Promise<unknown> {
  try {
    const w = await loadBertWeights(await openModel(provider), registry);
    w.dispose();
    return null;
  } catch (e) {
    return e;
  }
}

describe('hostile corpus', () => {
  const cases = hostileCases();

  it('has at least 15 distinct cases, and the base folder they mutate is valid', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    const registry = new BufferRegistry(gpu.device);
    expect(await attempt(serve('valid', validFolder()), registry)).toBeNull();
    expect(await attempt(onDisk('valid', validFolder()), registry)).toBeNull();
    expect(await attempt(serve('valid-sharded', sharded()), registry)).toBeNull();
    expect(await attempt(onDisk('valid-sharded', sharded()), registry)).toBeNull();
    expect(registry.liveCount).toBe(0);
  });

  it('a zero-size tensor (a 0 dimension: 0 bytes, valid in HF safetensors) loads, listed as unused', async () => {
    const registry = new BufferRegistry(gpu.device);
    const files = validFolder({ 'model.safetensors': writeSafetensors([...tinyTensors(), { name: 'extra.empty', dtype: 'F32', shape: [0, 8], data: [] }]) });
    for (const provider of [serve('zero-dim', files), onDisk('zero-dim', files)]) {
      const w = await loadBertWeights(await openModel(provider), registry);
      expect(w.unused).toEqual(['extra.empty']);
      w.dispose();
    }
    expect(registry.liveCount).toBe(0);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.code}`, async () => {
      const registry = new BufferRegistry(gpu.device);
      server.switches.contentLength = !c.chunked;
      const runs: Array<[string, FileProvider, { code: string; message: RegExp }]> = [
        ['http', serve(c.name, c.files), c],
        ['disk', onDisk(c.name, c.files), c.knownSize ?? c],
      ];
      for (const [where, provider, want] of runs) {
        const started = Date.now();
        const err = await attempt(provider, registry);
        const ms = Date.now() - started;
        if (!(err instanceof WeightsError)) throw new Error(`${c.name} (${where}): expected a WeightsError, got ${String(err)}`);
        expect(`${where}: ${err.code}: ${err.message}`).toMatch(new RegExp(`^${where}: ${want.code}: `));
        expect(err.message).toMatch(want.message);
        expect(ms).toBeLessThan(5000);
        expect(registry.liveCount).toBe(0);
      }
      server.switches.contentLength = true;
    });
  }
});
