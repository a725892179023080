// Over a real HTTP server, on a device created with WebGPU's default limits (128 MiB per storage binding, 256 MiB per
// buffer): a model loaded with its word embeddings in row blocks, and models that cannot fit refused before their
// download, with a message naming the tensor and the limit. The refused checkpoints are served from sparse files
// (headers real, data zeros that are never read), so they can be as large as the case needs without costing disk or
// memory.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferRegistry, readBuffer } from '../../src/gpu/buffers.ts';
import { httpProvider } from '../../src/hub/files.ts';
import { loadBertWeights, openModel } from '../../src/hub/model.ts';
import { requestNodeGpu } from '../../src/gpu/node-gpu.ts';
import { WeightsError } from '../../src/weights/errors.ts';
import { loadSafetensorsToGpu } from '../../src/weights/gpu-weights.ts';
import { urlSource } from '../../src/weights/url-source.ts';
import type { ByteSource } from '../../src/weights/source.ts';
import { headerBytes } from '../helpers/safetensors-writer.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';

let server: TestServer;
let device: GPUDevice;
let instance: GPU | undefined;
const dir = mkdtempSync(join(tmpdir(), 'bertgpu-refusal-'));

beforeAll(async () => {
  const { gpu, adapter } = await requestNodeGpu();
  instance = gpu; // must outlive the device (Dawn tears a collected instance down)
  device = await adapter.requestDevice();
  server = await startServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  expect(instance).toBeDefined();
});

/** A safetensors file of F32 tensors on disk: the real header, then a hole as long as the data. */
function sparseSafetensors(name: string, tensors: Array<[string, number[]]>): string {
  const entries = tensors.map(([tensor, shape]) => ({ name: tensor, dtype: 'F32', shape, byteLength: shape.reduce((a, b) => a * b, 1) * 4 }));
  const head = headerBytes(entries);
  const dataBytes = entries.reduce((a, e) => a + e.byteLength, 0);
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  ftruncateSync(fd, head.byteLength + dataBytes);
  closeSync(fd);
  return path;
}

describe('loaded in row blocks over HTTP', () => {
  it('tiny-bert-mlm from the Hub layout, word embeddings in 2 blocks (test limit): every row as in the file', async () => {
    const dirOf = join(import.meta.dirname, '..', 'fixtures', 'tiny-bert-mlm');
    for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors']) {
      setFile(server, `/org/mlm/resolve/main/${f}`, new Uint8Array(readFileSync(join(dirOf, f))));
    }
    const registry = new BufferRegistry(device);
    const loaded = await loadBertWeights(await openModel(httpProvider('org/mlm', { endpoint: server.url })), registry, { maxBindingBytes: 65536 });
    try {
      const t = loaded.reader.get('bert.embeddings.word_embeddings.weight');
      expect(t.blocks!.map((b) => b.rows)).toEqual([172, 172]);
      const bytes = readFileSync(join(dirOf, 'model.safetensors'));
      const n = Number(bytes.readBigUInt64LE(0));
      const entry = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'))['bert.embeddings.word_embeddings.weight'] as { data_offsets: [number, number] };
      const want = bytes.subarray(8 + n + entry.data_offsets[0], 8 + n + entry.data_offsets[1]);
      let at = 0;
      for (const b of t.blocks!) {
        const got = new Uint8Array(await readBuffer(device, b.buffer, b.rows * 256));
        expect(Buffer.from(got).equals(want.subarray(at, at + b.rows * 256)), `block at row ${b.rowStart}`).toBe(true);
        at += b.rows * 256;
      }
    } finally {
      loaded.dispose();
    }
    expect(registry.liveCount).toBe(0);
  });
});

describe('refused before download on a default-limits device', () => {
  it('a tensor over maxBufferSize that no kernel reads in blocks, in the second shard: named from the headers, no data requested', async () => {
    const C = 128;
    const I = 600_000; // (I, C) f32 = 307.2 MB > 256 MiB
    const V = 1000;
    const l = 'bert.encoder.layer.0';
    const lin = (p: string, out: number, inp: number): Array<[string, number[]]> => [[`${p}.weight`, [out, inp]], [`${p}.bias`, [out]]];
    const ln = (p: string): Array<[string, number[]]> => [[`${p}.weight`, [C]], [`${p}.bias`, [C]]];
    const shard1 = sparseSafetensors('big-1.safetensors', [
      ['bert.embeddings.word_embeddings.weight', [V, C]], ['bert.embeddings.position_embeddings.weight', [16, C]],
      ['bert.embeddings.token_type_embeddings.weight', [2, C]], ...ln('bert.embeddings.LayerNorm'),
      ...lin(`${l}.attention.self.query`, C, C), ...lin(`${l}.attention.self.key`, C, C), ...lin(`${l}.attention.self.value`, C, C),
      ...lin(`${l}.attention.output.dense`, C, C), ...ln(`${l}.attention.output.LayerNorm`), ...ln(`${l}.output.LayerNorm`),
    ]);
    const shard2 = sparseSafetensors('big-2.safetensors', [...lin(`${l}.intermediate.dense`, I, C), ...lin(`${l}.output.dense`, C, I)]);
    const repo = '/org/big/resolve/main';
    const weightMap: Record<string, string> = {};
    for (const n of ['bert.embeddings.word_embeddings.weight', 'bert.embeddings.position_embeddings.weight', 'bert.embeddings.token_type_embeddings.weight',
      'bert.embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.bias']) weightMap[n] = 'model-00001-of-00002.safetensors';
    for (const p of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'attention.output.LayerNorm', 'output.LayerNorm']) {
      weightMap[`${l}.${p}.weight`] = 'model-00001-of-00002.safetensors';
      weightMap[`${l}.${p}.bias`] = 'model-00001-of-00002.safetensors';
    }
    for (const p of ['intermediate.dense', 'output.dense']) {
      weightMap[`${l}.${p}.weight`] = 'model-00002-of-00002.safetensors';
      weightMap[`${l}.${p}.bias`] = 'model-00002-of-00002.safetensors';
    }
    setFile(server, `${repo}/config.json`, JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], vocab_size: V, hidden_size: C,
      num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: I, max_position_embeddings: 16, type_vocab_size: 2 }));
    setFile(server, `${repo}/vocab.txt`, '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n');
    setFile(server, `${repo}/model.safetensors.index.json`, JSON.stringify({ metadata: {}, weight_map: weightMap }));
    setFile(server, `${repo}/model-00001-of-00002.safetensors`, { body: { path: shard1 } });
    setFile(server, `${repo}/model-00002-of-00002.safetensors`, { body: { path: shard2 } });

    const registry = new BufferRegistry(device);
    const files = await openModel(httpProvider('org/big', { endpoint: server.url }));
    const before = server.log.length;
    const err = await loadBertWeights(files, registry).catch((e: unknown) => e);
    expect((err as WeightsError).code).toBe('buffer-limit');
    expect((err as WeightsError).tensor).toBe(`${l}.intermediate.dense.weight`);
    expect((err as Error).message).toMatch(new RegExp(`tensor "${l.replaceAll('.', '\\.')}\\.intermediate\\.dense\\.weight" needs 307200000 bytes as f32, ` +
      'over this device\'s maxBufferSize \\(268435456\\), and no kernel reads it in row blocks'));
    // Only the two headers were read, each with small Range reads; no request reached a tensor's bytes.
    const requests = server.log.slice(before).filter((r) => r.method === 'GET');
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(r.range ?? '');
      expect(m, `${r.path} ${r.range}`).not.toBeNull();
      expect(Number(m![2]) - Number(m![1])).toBeLessThan(64 * 1024);
    }
    expect(registry.liveCount).toBe(0);
  });

  it('a tensor split into row blocks whose single row exceeds the binding limit: named, nothing allocated, the stream dropped at the header', async () => {
    // Two rows of 40 M floats: 160 MB per row, over the 128 MiB binding (the tensor itself fits a 256 MiB buffer... twice over).
    const path = sparseSafetensors('wide.safetensors', [['small', [4]], ['wide', [2, 40_000_000]]]);
    setFile(server, '/wide.safetensors', { body: { path } });
    const registry = new BufferRegistry(device);
    let creates = 0;
    const create = registry.create.bind(registry);
    registry.create = (d) => (creates++, create(d));
    // Counts the bytes the loader takes from the stream.
    const source = urlSource(`${server.url}/wide.safetensors`);
    let consumed = 0;
    const counted: ByteSource = {
      name: source.name,
      size: (s) => source.size(s),
      read: async function* (start, end, signal) {
        for await (const chunk of source.read(start, end, signal)) {
          consumed += chunk.byteLength;
          yield chunk;
        }
      },
    };
    const err = await loadSafetensorsToGpu(counted, registry, { split: () => true }).catch((e: unknown) => e);
    expect((err as WeightsError).code).toBe('buffer-limit');
    expect((err as WeightsError).tensor).toBe('wide');
    expect((err as Error).message).toMatch(/tensor "wide" \(2×40000000, f32\) cannot be split into row blocks: a single row is 160000000 bytes, over this device's storage binding limit \(134217728 bytes\)/);
    expect(creates).toBe(0);
    // The stream was dropped at the header: at most the first network chunk(s) of a 320 MB file were taken.
    expect(consumed).toBeLessThan(1 << 20);
    expect(registry.liveCount).toBe(0);
  });
});
