// Streaming safetensors onto the GPU from a real local HTTP server: with and without Range, slow chunked bodies,
// connections cut mid-file and resumed, f16 storage, abort. Values are read back from the GPU and compared exactly
// with the numbers the test writer was given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferRegistry, readBuffer } from '../../src/gpu/buffers.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { WeightsError } from '../../src/weights/errors.ts';
import { loadSafetensorsToGpu, type GpuWeights } from '../../src/weights/gpu-weights.ts';
import type { LoadProgress } from '../../src/weights/stream.ts';
import { readSafetensorsHeader } from '../../src/weights/stream.ts';
import { urlSource } from '../../src/weights/url-source.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';
import { exactF16Bits, rawSafetensors, writeSafetensors } from '../helpers/safetensors-writer.ts';

const n = 3000; // 12 KB per F32 tensor: many chunks, several staging blocks
const a = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * 3));
const h = Array.from({ length: n }, (_, i) => ((i % 2048) - 1024) / 256); // exact in f16
const b = Array.from({ length: n }, (_, i) => ((i % 256) - 128) * 2 ** ((i % 20) - 10)); // exact in bf16 and f16
const file = writeSafetensors([
  { name: 'enc.a', dtype: 'F32', shape: [30, 100], data: a },
  { name: 'enc.h', dtype: 'F16', shape: [n], data: h },
  { name: 'enc.position_ids', dtype: 'I64', shape: [1, 5], data: [0, 1, 2, 3, 4] },
  { name: 'enc.b', dtype: 'BF16', shape: [3, 1000], data: b },
]);

let gpu: GpuContext;
let server: TestServer;

beforeAll(async () => {
  gpu = await getTestGpu();
  server = await startServer({ '/m.safetensors': file });
});
afterAll(() => server.close());

async function values(weights: GpuWeights, name: string): Promise<number[]> {
  const t = weights.get(name);
  const bytes = await readBuffer(gpu.device, t.buffer, t.byteLength);
  if (t.dtype === 'f32') return Array.from(new Float32Array(bytes));
  return Array.from(new Uint16Array(bytes));
}

async function loadAndCheck(opts: { chunk?: number } = {}): Promise<LoadProgress[]> {
  const registry = new BufferRegistry(gpu.device);
  const events: LoadProgress[] = [];
  const { weights } = await loadSafetensorsToGpu(urlSource(`${server.url}/m.safetensors`, { retryDelayMs: 10 }), registry, {
    onProgress: (p) => events.push(p),
    blockBytes: opts.chunk,
  });
  expect([...weights.tensors.keys()].sort()).toEqual(['enc.a', 'enc.b', 'enc.h']);
  expect(weights.get('enc.a').shape).toEqual([30, 100]);
  expect(await values(weights, 'enc.a')).toEqual(a);
  expect(await values(weights, 'enc.h')).toEqual(h);
  expect(await values(weights, 'enc.b')).toEqual(b);
  expect(registry.liveCount).toBe(3);
  weights.dispose();
  expect(registry.liveCount).toBe(0);
  for (let i = 1; i < events.length; i++) expect(events[i].loadedBytes).toBeGreaterThanOrEqual(events[i - 1].loadedBytes);
  const last = events[events.length - 1];
  expect(last.loadedBytes).toBe(file.byteLength);
  expect(last.totalBytes).toBe(file.byteLength);
  expect(last.tensor).toBe('enc.b');
  for (const e of events) expect([null, 'enc.a', 'enc.h', 'enc.position_ids', 'enc.b']).toContain(e.tensor);
  return events;
}

describe('streaming upload over HTTP', () => {
  it('loads F32, F16 and BF16 exactly to f32 buffers with Range support', async () => {
    Object.assign(server.switches, { range: true, chunkBytes: 4096, delayMs: 0, contentLength: true, cutTimes: 0 });
    await loadAndCheck({ chunk: 4096 });
  });

  it('loads from a server without Range; header-only read still works', async () => {
    Object.assign(server.switches, { range: false, chunkBytes: 4096, delayMs: 0, contentLength: true, cutTimes: 0 });
    await loadAndCheck();
    const header = await readSafetensorsHeader(urlSource(`${server.url}/m.safetensors`));
    expect(header.byName.get('enc.b')?.dtype).toBe('BF16');
  });

  it('loads a slow chunked body without Content-Length', async () => {
    Object.assign(server.switches, { range: true, chunkBytes: 1000, delayMs: 1, contentLength: false, cutTimes: 0 });
    const events = await loadAndCheck();
    expect(events.length).toBeGreaterThan(20);
  });

  it('resumes with Range after the connection is cut twice mid-file', async () => {
    Object.assign(server.switches, { range: true, chunkBytes: 2048, delayMs: 0, contentLength: true, cutAfterBytes: 10_000, cutTimes: 2 });
    server.log.length = 0;
    await loadAndCheck();
    const gets = server.log.filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.range)).toEqual([undefined, 'bytes=10000-', 'bytes=20000-']);
    expect(gets[1].ifRange).toMatch(/^"/);
  });

  it('recovers from a cut without Range by re-reading and skipping what was delivered', async () => {
    Object.assign(server.switches, { range: false, chunkBytes: 2048, delayMs: 0, contentLength: true, cutAfterBytes: 15_000, cutTimes: 1 });
    await loadAndCheck();
  });

  it('stores f16: F16 copied bit-exact, F32 and BF16 rounded to the same bits as the exact encoding', async () => {
    Object.assign(server.switches, { range: true, chunkBytes: 4096, delayMs: 0, contentLength: true, cutTimes: 0 });
    const registry = new BufferRegistry(gpu.device);
    const small = writeSafetensors([
      { name: 'x32', dtype: 'F32', shape: [h.length], data: h },
      { name: 'x16', dtype: 'F16', shape: [h.length], data: h },
      { name: 'xb', dtype: 'BF16', shape: [b.length], data: b },
    ]);
    setFile(server, '/f16.safetensors', small);
    const { weights } = await loadSafetensorsToGpu(urlSource(`${server.url}/f16.safetensors`), registry, { storage: 'f16' });
    const want = h.map(exactF16Bits);
    expect(weights.get('x32').dtype).toBe('f16');
    expect(await values(weights, 'x32')).toEqual(want);
    expect(await values(weights, 'x16')).toEqual(want);
    expect(await values(weights, 'xb')).toEqual(b.map(exactF16Bits));
    weights.dispose();
  });

  it('loads big tensors exactly through both upload paths when network chunks split words (direct and staged bytes)', async () => {
    // 20 003-byte chunks: ≥ the size that skips the staging block, and never a whole number of 4-byte words, so each
    // tensor alternates between pieces written straight from the chunk and ragged tails that go through staging.
    Object.assign(server.switches, { range: true, chunkBytes: 20_003, delayMs: 0, contentLength: true, cutTimes: 0 });
    const big32 = Array.from({ length: 40_000 }, (_, i) => Math.fround(Math.cos(i) * 7));
    const big16 = Array.from({ length: 30_001 }, (_, i) => h[i % h.length]); // odd count: a ragged last block in f16
    const bigB = Array.from({ length: 20_000 }, (_, i) => b[i % b.length]);
    setFile(server, '/big.safetensors', writeSafetensors([
      { name: 'x32', dtype: 'F32', shape: [big32.length], data: big32 },
      { name: 'x16', dtype: 'F16', shape: [big16.length], data: big16 },
      { name: 'xb', dtype: 'BF16', shape: [bigB.length], data: bigB },
    ]));
    for (const upload of ['write', 'mapped'] as const) {
      const registry = new BufferRegistry(gpu.device);
      const f32 = (await loadSafetensorsToGpu(urlSource(`${server.url}/big.safetensors`), registry, { upload })).weights;
      expect(await values(f32, 'x32')).toEqual(big32);
      expect(await values(f32, 'x16')).toEqual(big16);
      expect(await values(f32, 'xb')).toEqual(bigB);
      f32.dispose();
      const f16 = (await loadSafetensorsToGpu(urlSource(`${server.url}/big.safetensors`), registry, { upload, storage: 'f16' })).weights;
      expect(await values(f16, 'x16')).toEqual(big16.map(exactF16Bits));
      expect(await values(f16, 'xb')).toEqual(bigB.map(exactF16Bits));
      f16.dispose();
      expect(registry.liveCount).toBe(0);
    }
  });

  it('refuses an unknown upload mode before creating anything', async () => {
    const registry = new BufferRegistry(gpu.device);
    const err = await loadSafetensorsToGpu(urlSource(`${server.url}/m.safetensors`), registry, { upload: 'copy' as 'write' }).catch((e: unknown) => e);
    expect((err as WeightsError).code).toBe('bad-argument');
    expect((err as Error).message).toMatch(/upload must be 'write' or 'mapped', got "copy"/);
    expect(registry.liveCount).toBe(0);
  });

  it('abort stops the download and frees every buffer created so far', async () => {
    Object.assign(server.switches, { range: true, chunkBytes: 500, delayMs: 5, contentLength: true, cutTimes: 0 });
    const registry = new BufferRegistry(gpu.device);
    const controller = new AbortController();
    const started = Date.now();
    const load = loadSafetensorsToGpu(urlSource(`${server.url}/m.safetensors`), registry, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.tensor === 'enc.h' && !controller.signal.aborted) controller.abort();
      },
    });
    await expect(load).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(registry.liveCount).toBe(0);
  });

  it('refuses to stitch a file that changed on the server between a cut and the resume', async () => {
    Object.assign(server.switches, { range: true, chunkBytes: 2048, delayMs: 0, contentLength: true, cutAfterBytes: 8000, cutTimes: 1 });
    const registry = new BufferRegistry(gpu.device);
    setFile(server, '/changing.safetensors', file);
    const load = loadSafetensorsToGpu(urlSource(`${server.url}/changing.safetensors`, { retryDelayMs: 200 }), registry);
    await new Promise((r) => setTimeout(r, 100));
    setFile(server, '/changing.safetensors', writeSafetensors([{ name: 'other', dtype: 'F32', shape: [n * 3], data: new Array(n * 3).fill(1) }]));
    const err = await load.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsError);
    expect((err as WeightsError).code).toBe('changed');
    expect(registry.liveCount).toBe(0);
  });

  it('reads the header alone with two small Range requests', async () => {
    Object.assign(server.switches, { range: true, chunkBytes: 4096, delayMs: 0, contentLength: true, cutTimes: 0 });
    server.log.length = 0;
    const header = await readSafetensorsHeader(urlSource(`${server.url}/m.safetensors`));
    const gets = server.log.filter((r) => r.method === 'GET').map((r) => r.range);
    expect(gets).toEqual(['bytes=0-7', `bytes=8-${header.dataStart - 1}`]);
  });

  it('refuses f16 storage for a value beyond ±65504, naming tensor and element, with nothing left allocated', async () => {
    const registry = new BufferRegistry(gpu.device);
    setFile(server, '/big-values.safetensors', writeSafetensors([
      { name: 'ok', dtype: 'F32', shape: [4], data: [1, 2, 3, 4] },
      { name: 'huge', dtype: 'F32', shape: [3], data: [1, 70000, 2] },
    ]));
    const err = await loadSafetensorsToGpu(urlSource(`${server.url}/big-values.safetensors`), registry, { storage: 'f16' }).catch((e: unknown) => e);
    expect((err as WeightsError).code).toBe('f16-range');
    expect((err as Error).message).toMatch(/tensor "huge": element 1 is outside the f16 range/);
    expect(registry.liveCount).toBe(0);
  });

  it("refuses a tensor larger than the device's maxBufferSize before allocating it", async () => {
    const registry = new BufferRegistry(gpu.device);
    const rows = Math.ceil(gpu.device.limits.maxBufferSize / 4 / 1024) + 1;
    // Header only, length unknown (a chunked download): the size check happens when the tensor's bytes begin.
    const json = JSON.stringify({ small: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, giant: { dtype: 'F32', shape: [rows, 1024], data_offsets: [4, 4 + rows * 4096] } });
    setFile(server, '/giant.safetensors', rawSafetensors(json, new Uint8Array(4 + 65536)));
    Object.assign(server.switches, { contentLength: false });
    const err = await loadSafetensorsToGpu(urlSource(`${server.url}/giant.safetensors`), registry).catch((e: unknown) => e);
    Object.assign(server.switches, { contentLength: true });
    expect((err as WeightsError).code).toBe('buffer-limit');
    expect((err as Error).message).toMatch(/tensor "giant" needs \d+ bytes as f32, over this device's maxBufferSize/);
    expect(registry.liveCount).toBe(0);
  });

  it("refuses a tensor over the device's maxStorageBufferBindingSize from the header, before any tensor is allocated", async () => {
    const registry = new BufferRegistry(gpu.device);
    let creates = 0;
    const create = registry.create.bind(registry);
    registry.create = (d) => (creates++, create(d));
    const { maxStorageBufferBindingSize: binding, maxBufferSize } = gpu.device.limits;
    // Bigger than a binding may be, within one buffer when the device allows that; the bytes are never sent.
    const rows = Math.floor(Math.min(binding + 4096, maxBufferSize) / 4096);
    const bytes = rows * 4096;
    expect(bytes).toBeGreaterThan(binding);
    const json = JSON.stringify({ first: { dtype: 'F32', shape: [1024], data_offsets: [0, 4096] }, vocab: { dtype: 'F32', shape: [rows, 1024], data_offsets: [4096, 4096 + bytes] } });
    setFile(server, '/wide.safetensors', rawSafetensors(json, new Uint8Array(4096 + 65536)));
    Object.assign(server.switches, { contentLength: false, chunkBytes: 4096, delayMs: 0, cutTimes: 0 });
    const err = await loadSafetensorsToGpu(urlSource(`${server.url}/wide.safetensors`), registry).catch((e: unknown) => e);
    Object.assign(server.switches, { contentLength: true });
    expect((err as WeightsError).code).toBe('buffer-limit');
    expect((err as WeightsError).tensor).toBe('vocab');
    expect((err as Error).message).toContain(`tensor "vocab" needs ${bytes} bytes as f32, over this device's maxStorageBufferBindingSize (${binding})`);
    expect(creates).toBe(0); // not even "first", whose bytes come before
    expect(registry.liveCount).toBe(0);
  });
});
