// The on-disk download cache against a real local server that behaves like the Hub's LFS redirect
// (X-Linked-Etag = sha256, X-Linked-Size): entries appear only when complete and verified, a second load does not
// download again, an interrupted download leaves no entry and resumes with Range, a bad sha256 is refused, and
// models can be listed and cleared. XDG_CACHE_HOME points at a temp dir so the real cache is never touched.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferRegistry } from '../../src/gpu/buffers.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { loadBertWeights, openModel } from '../../src/hub/model.ts';
import { defaultCacheDir, nodeCache } from '../../src/hub/node-cache.ts';
import { openProvider } from '../../src/hub/node-files.ts';
import { WeightsError } from '../../src/weights/errors.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';

const fixture = join(import.meta.dirname, '../fixtures/tiny-bert');
const files = ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
const modelSize = statSync(join(fixture, 'model.safetensors')).size;

let gpu: GpuContext;
let server: TestServer;
let cacheHome: string;
const oldXdg = process.env.XDG_CACHE_HOME;

function serveRepo(repo: string): void {
  for (const f of files) setFile(server, `/${repo}/resolve/main/${f}`, new Uint8Array(readFileSync(join(fixture, f))));
}

const gets = (file: string) => server.log.filter((r) => r.method === 'GET' && r.path.endsWith(`/${file}`));

async function load(repo: string, registry: BufferRegistry) {
  const provider = openProvider(repo, { endpoint: server.url, retries: 0, retryDelayMs: 1 });
  const w = await loadBertWeights(await openModel(provider), registry);
  w.dispose();
}

beforeAll(async () => {
  gpu = await getTestGpu();
  cacheHome = mkdtempSync(join(tmpdir(), 'bertgpu-cache-'));
  process.env.XDG_CACHE_HOME = cacheHome;
  server = await startServer({}, { linkedEtag: true, lfsRedirect: true });
});
afterAll(async () => {
  await server.close();
  if (oldXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = oldXdg;
  rmSync(cacheHome, { recursive: true, force: true });
});

describe('download cache (Node)', () => {
  it('lives under $XDG_CACHE_HOME/bertgpu', () => {
    expect(defaultCacheDir()).toBe(join(cacheHome, 'bertgpu'));
  });

  it('caches a verified download and serves the next load without downloading', async () => {
    serveRepo('org/cached');
    const registry = new BufferRegistry(gpu.device);
    server.log.length = 0;
    await load('org/cached', registry);
    expect(gets('model.safetensors').filter((r) => r.path.startsWith('/lfs/')).length).toBe(1);
    const listed = await nodeCache().list();
    const entry = listed.find((m) => m.model === 'org/cached@main');
    expect(entry?.files.map((f) => f.file).sort()).toEqual([...files].sort());
    const weightsEntry = entry!.files.find((f) => f.file === 'model.safetensors')!;
    expect(weightsEntry.size).toBe(modelSize);
    expect(weightsEntry.sha256).toBe(createHash('sha256').update(readFileSync(join(fixture, 'model.safetensors'))).digest('hex'));

    server.log.length = 0;
    await load('org/cached', registry);
    expect(gets('model.safetensors').length).toBe(0); // only a HEAD to revalidate
    expect(server.log.some((r) => r.method === 'HEAD' && r.path.endsWith('model.safetensors'))).toBe(true);
    expect(registry.liveCount).toBe(0);
  });

  it('one provider loading twice (dtype auto, device-loss recovery) downloads the weights once', async () => {
    serveRepo('org/twice');
    const registry = new BufferRegistry(gpu.device);
    server.log.length = 0;
    const files = await openModel(openProvider('org/twice', { endpoint: server.url, retries: 0, retryDelayMs: 1 }));
    (await loadBertWeights(files, registry)).dispose();
    (await loadBertWeights(files, registry, { storage: 'f16' })).dispose();
    expect(gets('model.safetensors').filter((r) => r.path.startsWith('/lfs/')).length).toBe(1);
    expect(registry.liveCount).toBe(0);
  });

  it('an interrupted download leaves no entry, and the next load resumes with Range', async () => {
    serveRepo('org/resume');
    const registry = new BufferRegistry(gpu.device);
    Object.assign(server.switches, { cutAfterBytes: 200_000, cutTimes: 1 });
    const err = await load('org/resume', registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsError);
    expect(registry.liveCount).toBe(0);
    const models = await nodeCache().list();
    expect(models.find((m) => m.model === 'org/resume@main')?.files.some((f) => f.file === 'model.safetensors') ?? false).toBe(false);

    server.log.length = 0;
    await load('org/resume', registry);
    // The first GET after the HEAD goes to the redirect target with the Range of what was already on disk.
    const resumed = gets('model.safetensors').filter((r) => r.path.startsWith('/lfs/'));
    expect(resumed.map((r) => r.range)).toEqual(['bytes=200000-']);
    const entry = (await nodeCache().list()).find((m) => m.model === 'org/resume@main')!.files.find((f) => f.file === 'model.safetensors')!;
    expect(entry.size).toBe(modelSize);
    expect(registry.liveCount).toBe(0);
  });

  it('refuses a download whose sha256 does not match X-Linked-Etag and caches nothing', async () => {
    serveRepo('org/corrupt');
    server.files.get('/org/corrupt/resolve/main/model.safetensors')!.linkedEtag = 'ab'.repeat(32);
    const registry = new BufferRegistry(gpu.device);
    const err = await load('org/corrupt', registry).catch((e: unknown) => e);
    expect((err as WeightsError).code).toBe('integrity');
    expect((err as Error).message).toMatch(/sha256 .* does not match the expected abab/);
    expect(registry.liveCount).toBe(0);
    const m = (await nodeCache().list()).find((x) => x.model === 'org/corrupt@main');
    expect(m?.files.some((f) => f.file === 'model.safetensors') ?? false).toBe(false);
  });

  it('lists and clears cached models', async () => {
    const cache = nodeCache();
    const before = (await cache.list()).map((m) => m.model);
    expect(before).toEqual(expect.arrayContaining(['org/cached@main', 'org/resume@main']));
    expect(await cache.clear('org/cached@main')).toBe(files.length);
    expect((await cache.list()).map((m) => m.model)).not.toContain('org/cached@main');
    await cache.clear();
    expect(await cache.list()).toEqual([]);
    expect(readdirSync(join(cacheHome, 'bertgpu', 'entries'))).toEqual([]);
  });
});
