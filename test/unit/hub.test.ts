// Hub resolution and model loading end to end against a real local server laid out like the Hub
// (`/{repo}/resolve/{revision}/{file}`), plus a local directory and dropped File objects. GPU values are compared
// with the fixture's bytes decoded directly here (JSON header + Float32Array), not through the loader's parser.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferRegistry, readBuffer } from '../../src/gpu/buffers.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { filesProvider, httpProvider } from '../../src/hub/files.ts';
import { loadBertWeights, openModel, type BertWeights } from '../../src/hub/model.ts';
import { dirProvider, openProvider } from '../../src/hub/node-files.ts';
import { fileUrl, parseModelRef } from '../../src/hub/resolve.ts';
import { WeightsError } from '../../src/weights/errors.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';
import { writeSafetensors, type WriterTensor } from '../helpers/safetensors-writer.ts';

const fixture = join(import.meta.dirname, '../fixtures/tiny-bert');
const modelBytes = readFileSync(join(fixture, 'model.safetensors'));

/** The fixture's tensors, decoded here from the raw file (all F32). */
function fixtureTensors(): Map<string, { shape: number[]; data: Float32Array }> {
  const n = Number(modelBytes.readBigUInt64LE(0));
  const header = JSON.parse(modelBytes.subarray(8, 8 + n).toString('utf8'));
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, e] of Object.entries(header) as [string, { shape: number[]; data_offsets: [number, number] }][]) {
    if (name === '__metadata__') continue;
    const bytes = modelBytes.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    out.set(name, { shape: e.shape, data: new Float32Array(new Uint8Array(bytes).buffer) });
  }
  return out;
}

function serveFolder(server: TestServer, prefix: string, dir: string, skip: string[] = []): void {
  for (const f of readdirSync(dir)) {
    if (statSync(join(dir, f)).isFile() && !skip.includes(f)) setFile(server, `${prefix}/${f}`, new Uint8Array(readFileSync(join(dir, f))));
  }
}

let gpu: GpuContext;
let server: TestServer;
const tensors = fixtureTensors();

beforeAll(async () => {
  gpu = await getTestGpu();
  server = await startServer();
  serveFolder(server, '/org/tiny/resolve/main', fixture);
  serveFolder(server, '/org/tiny/resolve/v1', fixture);
});
afterAll(() => server.close());

async function expectFixtureValues(w: BertWeights, names: string[]): Promise<void> {
  for (const canonical of names) {
    const t = w.reader.get(canonical);
    const want = tensors.get(canonical)!;
    expect(t.shape).toEqual(want.shape);
    const got = new Float32Array(await readBuffer(gpu.device, t.buffer, t.byteLength));
    expect(Array.from(got)).toEqual(Array.from(want.data));
  }
}

describe('model references', () => {
  it('parses ids, revisions, Hub URLs and folder URLs', () => {
    expect(parseModelRef('org/name')).toEqual({ kind: 'hub', endpoint: 'https://huggingface.co', repo: 'org/name', revision: 'main' });
    expect(parseModelRef('bert-base-uncased@v1.0')).toMatchObject({ repo: 'bert-base-uncased', revision: 'v1.0' });
    expect(parseModelRef('https://huggingface.co/org/name/tree/abc')).toMatchObject({ kind: 'hub', repo: 'org/name', revision: 'abc' });
    expect(parseModelRef('http://mirror.local/hf/org/name', 'http://mirror.local/hf')).toMatchObject({ endpoint: 'http://mirror.local/hf', repo: 'org/name' });
    expect(parseModelRef('https://cdn.example.com/models/tiny')).toEqual({ kind: 'url', base: 'https://cdn.example.com/models/tiny/' });
    expect(fileUrl(parseModelRef('org/name@refs/pr/1'), 'config.json')).toBe('https://huggingface.co/org/name/resolve/refs%2Fpr%2F1/config.json');
    for (const bad of ['', 'a/b/c', '../x', 'org/na me', 'org/name@']) expect(() => parseModelRef(bad)).toThrow(WeightsError);
  });
});

describe('loading a model folder', () => {
  it('loads from the Hub layout by id and revision, shapes checked, values exact', async () => {
    server.log.length = 0;
    const registry = new BufferRegistry(gpu.device);
    const files = await openModel(httpProvider('org/tiny@v1', { endpoint: server.url }));
    expect(files.config.hiddenSize).toBe(64);
    expect(files.config.id2label).toEqual(['negative', 'neutral', 'positive']);
    expect(files.tokenizer.vocabTxt).toContain('[CLS]');
    expect(files.tokenizer.tokenizerJson).toBeTypeOf('object');
    const w = await loadBertWeights(files, registry);
    expect(w.head).toBe('sequence-classification');
    await expectFixtureValues(w, ['bert.embeddings.word_embeddings.weight', 'bert.encoder.layer.1.output.dense.weight', 'classifier.weight']);
    expect(w.reader.scope('bert.encoder.layer.0').get('attention.self.query.bias').shape).toEqual([64]);
    expect(registry.liveCount).toBe(tensors.size);
    w.dispose();
    expect(registry.liveCount).toBe(0);
    expect(server.log.every((r) => r.path.startsWith('/org/tiny/resolve/v1/'))).toBe(true);
  });

  it('loads a sharded checkpoint without the bert. prefix, with legacy gamma/beta and extra tensors', async () => {
    const registry = new BufferRegistry(gpu.device);
    const renamed: WriterTensor[] = [...tensors].map(([name, t]) => ({
      name: name.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
      dtype: 'F32', shape: t.shape, data: t.data,
    }));
    renamed.push({ name: 'embeddings.position_ids', dtype: 'I64', shape: [1, 64], data: Array.from({ length: 64 }, (_, i) => i) });
    const half = Math.floor(renamed.length / 2);
    const shards = [renamed.slice(0, half), renamed.slice(half)];
    const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const weightMap: Record<string, string> = {};
    shards.forEach((s, i) => s.forEach((t) => (weightMap[t.name] = names[i])));
    const prefix = '/org/sharded/resolve/main';
    serveFolder(server, prefix, fixture, ['model.safetensors']);
    shards.forEach((s, i) => setFile(server, `${prefix}/${names[i]}`, writeSafetensors(s)));
    setFile(server, `${prefix}/model.safetensors.index.json`, JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    const events: number[] = [];
    let total = 0;
    const files = await openModel(httpProvider(`${server.url}/org/sharded`, { endpoint: server.url }));
    expect(files.weightFiles.map((f) => f.name)).toEqual(names);
    const w = await loadBertWeights(files, registry, { onProgress: (p) => (events.push(p.loadedBytes), (total = p.totalBytes)) });
    await expectFixtureValues(w, ['bert.embeddings.LayerNorm.weight', 'bert.encoder.layer.1.output.LayerNorm.bias', 'classifier.bias', 'bert.pooler.dense.weight']);
    expect(w.unused).toEqual(['embeddings.position_ids']);
    expect(events.every((e, i) => i === 0 || e >= events[i - 1])).toBe(true);
    expect(events[events.length - 1]).toBe(total);
    w.dispose();
    expect(registry.liveCount).toBe(0);
  });

  it('abort during the second shard frees the first shard\'s buffers too', async () => {
    const registry = new BufferRegistry(gpu.device);
    const files = await openModel(httpProvider('org/sharded', { endpoint: server.url }));
    const firstShard = await files.weightFiles[0].source.size();
    Object.assign(server.switches, { chunkBytes: 4096, delayMs: 2 });
    const controller = new AbortController();
    let peak = 0;
    const load = loadBertWeights(files, registry, {
      signal: controller.signal,
      onProgress: (p) => {
        peak = Math.max(peak, registry.liveCount);
        if (p.loadedBytes > firstShard! + 8192) controller.abort();
      },
    });
    const err = await load.catch((e: unknown) => e);
    Object.assign(server.switches, { chunkBytes: 64 * 1024, delayMs: 0 });
    expect((err as Error).name).toBe('AbortError');
    expect(peak).toBeGreaterThan(10);
    expect(registry.liveCount).toBe(0);
  });

  it("refuses a tensor over the device's binding limit in the second shard before the first shard downloads", async () => {
    // The sharded checkpoint of the test above. A device whose binding limit is 32 KiB (real adapters report their
    // own; this one is lowered for the test): the word embeddings (344 × 64 f32 = 88 KiB) would load in row blocks, but
    // the 64 KiB feed-forward weights cannot be split, and one of them is named from the headers alone.
    const limits = { maxBufferSize: gpu.device.limits.maxBufferSize, maxStorageBufferBindingSize: 32 * 1024 } as GPUSupportedLimits;
    const device = new Proxy(gpu.device, { get: (d, k) => (k === 'limits' ? limits : Reflect.get(d, k, d)) }) as GPUDevice;
    const registry = new BufferRegistry(device);
    const files = await openModel(httpProvider('org/sharded', { endpoint: server.url }));
    const before = server.log.length;
    const err = await loadBertWeights(files, registry).catch((e: unknown) => e);
    expect((err as WeightsError).code).toBe('buffer-limit');
    expect((err as Error).message).toMatch(/tensor "encoder\.layer\.\d\.(intermediate|output)\.dense\.weight" needs 65536 bytes as f32, over this device's maxStorageBufferBindingSize \(32768\), and no kernel reads it in row blocks/);
    // Only the headers were read: every request after openModel was a small Range read.
    const requests = server.log.slice(before);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.range !== undefined && !r.range.endsWith('-'))).toBe(true);
    expect(registry.liveCount).toBe(0);
  });

  it('loads a local directory (Node) and dropped File objects (browser API)', async () => {
    const registry = new BufferRegistry(gpu.device);
    const fromDir = await loadBertWeights(await openModel(openProvider(fixture, { cacheDir: false })), registry);
    await expectFixtureValues(fromDir, ['bert.embeddings.token_type_embeddings.weight']);
    fromDir.dispose();
    const dropped = readdirSync(fixture).filter((f) => statSync(join(fixture, f)).isFile()).map((f) => new File([readFileSync(join(fixture, f))], f));
    const fromFiles = await loadBertWeights(await openModel(filesProvider(dropped)), registry, { head: 'base' });
    expect(fromFiles.reader.has('classifier.weight')).toBe(false);
    await expectFixtureValues(fromFiles, ['bert.pooler.dense.bias']);
    fromFiles.dispose();
    expect(registry.liveCount).toBe(0);
    expect(() => dirProvider(join(fixture, 'nope'))).toThrow(/not a directory/);
  });

  it('explains that a pytorch_model.bin-only repo needs safetensors', async () => {
    const prefix = '/org/pt-only/resolve/main';
    serveFolder(server, prefix, fixture, ['model.safetensors']);
    setFile(server, `${prefix}/pytorch_model.bin`, new Uint8Array(100));
    const err = await openModel(httpProvider('org/pt-only', { endpoint: server.url })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsError);
    expect((err as WeightsError).code).toBe('not-safetensors');
    expect((err as Error).message).toMatch(/pytorch_model\.bin but no model\.safetensors.*safetensors only/);
  });
});
