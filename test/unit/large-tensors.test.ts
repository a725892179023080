// Tensors over one storage binding (issue 15): the word embeddings split into row blocks at load, the embedding
// gather visiting each block and the masked-LM decoder run block by block, on Dawn, for both kernel profiles and both
// storage dtypes. WebGPU never gives a device less than the default limits (on Dawn, requestDevice with requiredLimits
// maxStorageBufferBindingSize 1 MiB gives 128 MiB), so the tiny fixtures reach the block path through the loader's
// test override maxBindingBytes, set to the largest other tensor of each model: the word embeddings then split into
// 2 (tiny-bert-mlm) to 12 (tiny-roberta) blocks.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferRegistry, readBuffer } from '../../src/gpu/buffers.ts';
import { loadBertWeights, openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { BertModel, type EncodedBatch } from '../../src/model/bert-model.ts';
import type { BertHead } from '../../src/model/config.ts';
import { layoutOf } from '../../src/model/families/layouts.ts';
import { readSafetensorsHeader } from '../../src/weights/stream.ts';
import { fileSource } from '../../src/weights/node-source.ts';
import { rowBlocksOf } from '../../src/weights/row-blocks.ts';
import { loadSafetensorsToGpu } from '../../src/weights/gpu-weights.ts';
import { writeSafetensorsF32, type F32Tensor } from '../../src/weights/safetensors-writer.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, fixturesDir, validRows } from '../model/fixture.ts';
import { readFamilyReference } from '../model/family-fixture.ts';
import { blockCases } from '../kernels/block-cases.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';

type Dtype = 'f32' | 'f16';
type Profile = 'software' | 'gpu';

/** The largest tensor of a fixture other than its word embeddings, in `dtype`: the binding limit the test imposes. */
async function limitFor(folder: string, dtype: Dtype): Promise<number> {
  const header = await readSafetensorsHeader(fileSource(join(folderPath(folder), 'model.safetensors')));
  const bytes = dtype === 'f16' ? 2 : 4;
  const blockable = (name: string) => name.endsWith('word_embeddings.weight') || name === 'cls.predictions.decoder.weight';
  return Math.max(...header.tensors.filter((t) => !blockable(t.name)).map((t) => t.numel * bytes));
}

const folderPath = (folder: string) => (isAbsolute(folder) ? folder : join(fixturesDir, folder));

async function load(folder: string, head: BertHead | undefined, dtype: Dtype, kernelProfile: Profile, maxBindingBytes?: number): Promise<BertModel> {
  const gpu = await getTestGpu();
  const files = await openModel(dirProvider(folderPath(folder)));
  const loaded = await loadBertWeights(files, new BufferRegistry(gpu.device), { storage: dtype, head, maxBindingBytes });
  return BertModel.create(gpu, loaded, { tune: 'off', dtype, kernelProfile });
}

/** One sequence of ids at both edges of every block of `blocks` (and the first and last id of the vocabulary). */
function edgeBatch(blocks: number[], T: number): EncodedBatch {
  const ids: number[] = [];
  let start = 0;
  for (const rows of blocks) {
    ids.push(start, start + rows - 1);
    start += rows;
  }
  const inputIds = Int32Array.from({ length: T }, (_, i) => ids[i % ids.length]);
  return { B: 1, T, inputIds, tokenTypeIds: new Int32Array(T), attentionMask: new Int32Array(T).fill(1) };
}

const tol = { atol: 1e-4, rtol: 0 };
// f16 storage rounds weights and activations (relative 2⁻¹¹ each); the blocked and whole models run the same kernels
// on the same f16 values, so they are compared with each other at f32-rounding tolerance, and with fp64 loosely.
const f16VsWhole = { atol: 2e-3, rtol: 0 };
const f16VsFp64 = { atol: 5e-2, rtol: 0 };

let env: KernelEnv | null = null;
describe('gatherBlockRows kernel vs the table gathered on the CPU (Dawn)', () => {
  for (const c of blockCases) {
    it(c.name, async () => {
      env ??= kernelEnv(await getTestGpu());
      try {
        await c.run(env);
      } finally {
        env.buffers.destroyAll();
      }
    });
  }
});

describe('row blocks: the bytes', () => {
  for (const storage of ['f32', 'f16'] as const) {
    for (const upload of ['write', 'mapped'] as const) {
      it(`${storage}, upload '${upload}': the blocks joined are the whole tensor, byte for byte`, async () => {
        const gpu = await getTestGpu();
        const registry = new BufferRegistry(gpu.device);
        const file = join(fixturesDir, 'tiny-bert-mlm', 'model.safetensors');
        const name = 'bert.embeddings.word_embeddings.weight';
        const only = (info: { name: string }) => info.name === name;
        // 172 + 172 rows: a 64 KiB limit (f32), 32 KiB (f16). Small stream blocks so writes straddle block boundaries.
        const limit = storage === 'f32' ? 65536 : 32768;
        const { weights: split } = await loadSafetensorsToGpu(fileSource(file), registry, { storage, upload, include: only, split: only, maxBindingBytes: limit, blockBytes: 4096 });
        const { weights: whole } = await loadSafetensorsToGpu(fileSource(file), registry, { storage, include: only });
        try {
          const t = split.get(name);
          expect(t.blocks!.map((b) => [b.rowStart, b.rows])).toEqual([[0, 172], [172, 172]]);
          const parts = await Promise.all(t.blocks!.map((b) => readBuffer(gpu.device, b.buffer, b.buffer.size)));
          const joined = new Uint8Array(t.byteLength);
          let at = 0;
          for (const p of parts) {
            joined.set(new Uint8Array(p), at);
            at += p.byteLength;
          }
          const want = new Uint8Array(await readBuffer(gpu.device, whole.get(name).buffer, t.byteLength));
          expect(at).toBe(t.byteLength);
          expect(Buffer.from(joined).equals(Buffer.from(want))).toBe(true);
          expect(split.byteLength).toBe(t.byteLength);
        } finally {
          split.dispose();
          whole.dispose();
        }
        expect(registry.liveCount).toBe(0);
      });
    }
  }
});

describe('row blocks: a failed load frees every block', () => {
  it('a file cut inside the split tensor: truncated error, nothing left allocated', async () => {
    const gpu = await getTestGpu();
    const registry = new BufferRegistry(gpu.device);
    const bytes = readFileSync(join(fixturesDir, 'tiny-bert-mlm', 'model.safetensors'));
    const header = await readSafetensorsHeader(fileSource(join(fixturesDir, 'tiny-bert-mlm', 'model.safetensors')));
    const word = header.byName.get('bert.embeddings.word_embeddings.weight')!;
    const dir = mkdtempSync(join(tmpdir(), 'bertgpu-cut-'));
    try {
      // Cut past the first block's 172 rows, inside the second block.
      const cut = join(dir, 'model.safetensors');
      writeFileSync(cut, bytes.subarray(0, header.dataStart + word.begin + 200 * 256));
      // Its length unknown up front, as a chunked download's: the cut shows when the stream ends.
      const src = fileSource(cut);
      const unsized = { name: src.name, size: async () => undefined, read: src.read.bind(src) };
      const err = await loadSafetensorsToGpu(unsized, registry, { split: (i) => i.name === word.name, maxBindingBytes: 65536 }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/inside tensor "bert\.embeddings\.word_embeddings\.weight"/);
      expect(registry.liveCount).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('row blocks: the split itself', () => {
  it('balanced blocks of a multiple of 4 rows, each within the limit; a row over the limit is named', () => {
    expect(rowBlocksOf('f', 'emb', [344, 64], 'f32', 65536)).toEqual([172, 172]);
    expect(rowBlocksOf('f', 'emb', [741, 32], 'f32', 8192)).toEqual([...Array(11).fill(64), 37]);
    // mBERT at the default 128 MiB binding, as f32 and f16; XLM-R base as f32 (768 MB in 6 blocks).
    expect(rowBlocksOf('f', 'emb', [119547, 768], 'f32', 128 << 20)).toEqual([39852, 39852, 39843]);
    expect(rowBlocksOf('f', 'emb', [119547, 768], 'f16', 128 << 20)).toEqual([59776, 59771]);
    expect(rowBlocksOf('f', 'emb', [250002, 768], 'f32', 128 << 20)).toEqual([41668, 41668, 41668, 41668, 41668, 41662]);
    expect(rowBlocksOf('f', 'emb', [10, 4], 'f32', 1024)).toBeNull();
    expect(() => rowBlocksOf('m.safetensors', 'emb', [100, 1000], 'f32', 3999)).toThrow(
      /m\.safetensors: tensor "emb" \(100×1000, f32\) cannot be split into row blocks: a single row is 4000 bytes, over this device's storage binding limit \(3999 bytes\); f16 storage would halve it/);
  });
});

// RoBERTa (positions through the type slot), ALBERT (factorized embeddings at E = 16, decoder at E), DistilBERT
// (made-at-load token types), ELECTRA (the generator head at E).
const fixtures: Array<[string, BertHead]> = [['tiny-roberta', 'masked-lm'], ['tiny-albert', 'masked-lm'], ['tiny-distilbert', 'masked-lm'], ['tiny-electra', 'masked-lm']];

describe('word embeddings and tied decoder in row blocks vs fp64 and vs the whole-table model', () => {
  for (const [folder, head] of fixtures) {
    for (const dtype of ['f32', 'f16'] as const) {
      for (const profile of ['software', 'gpu'] as const) {
        it(`${folder} ${head} ${dtype} ${profile}`, async () => {
          const limit = await limitFor(folder, dtype);
          const blocked = await load(folder, head, dtype, profile, limit);
          const whole = await load(folder, head, dtype, profile);
          try {
            const config = blocked.config;
            const word = blocked.weights.get(layoutOf(config).wordEmbeddings);
            expect(word.blocks?.length, 'word embeddings split').toBeGreaterThanOrEqual(3);
            expect(() => word.buffer).toThrow(/held in \d+ row blocks/);
            for (const b of word.blocks!) expect(b.buffer.size).toBeLessThanOrEqual(limit);
            const V = config.vocabSize;
            for (const c of readFamilyReference(folder).cases) {
              const want = c.mlmLogits as { data: number[] } | undefined;
              if (!want) continue;
              const out = await blocked.forward(batchOf(c), ['mlmLogits', 'lastHiddenState']);
              const base = await whole.forward(batchOf(c), ['mlmLogits', 'lastHiddenState']);
              const valid = (a: ArrayLike<number>, w: number) => validRows(a, c.attentionMask, w);
              expectClose(`${c.name} scores vs whole`, valid(out.mlmLogits!, V), valid(base.mlmLogits!, V), dtype === 'f32' ? tol : f16VsWhole);
              expectClose(`${c.name} scores vs fp64`, valid(out.mlmLogits!, V), valid(want.data, V), dtype === 'f32' ? tol : f16VsFp64);
            }
            // Ids at both edges of every block, including id 0 and id V − 1.
            const edges = edgeBatch(word.blocks!.map((b) => b.rows), 32);
            const out = await blocked.forward(edges, ['mlmLogits', 'lastHiddenState']);
            const base = await whole.forward(edges, ['mlmLogits', 'lastHiddenState']);
            expectClose('edge ids: hidden states vs whole', out.lastHiddenState!, base.lastHiddenState!, dtype === 'f32' ? tol : f16VsWhole);
            expectClose('edge ids: scores vs whole', out.mlmLogits!, base.mlmLogits!, dtype === 'f32' ? tol : f16VsWhole);
          } finally {
            await blocked.dispose();
            await whole.dispose();
          }
          expect(blocked.registry.liveCount).toBe(0);
        });
      }
    }
  }
});

describe('word embeddings in row blocks under a head without a decoder', () => {
  it('tiny-roberta sequence-classification (f32, both profiles): logits and hidden states vs fp64', async () => {
    for (const profile of ['software', 'gpu'] as const) {
      const model = await load('tiny-roberta', 'sequence-classification', 'f32', profile, await limitFor('tiny-roberta', 'f32'));
      try {
        expect(model.rowBlocks.size).toBe(1);
        for (const c of readFamilyReference('tiny-roberta').cases) {
          const out = await model.forward(batchOf(c), ['logits', 'lastHiddenState']);
          expectClose(`${profile} ${c.name} logits`, out.logits!, (c.logits as { data: number[] }).data, tol);
          const C = model.config.hiddenSize;
          expectClose(`${profile} ${c.name} hidden`, validRows(out.lastHiddenState!, c.attentionMask, C),
            validRows((c.lastHiddenState as { data: number[] }).data, c.attentionMask, C), tol);
        }
      } finally {
        await model.dispose();
      }
    }
  });
});

interface MlmCase { name: string; inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][]; maskPositions: number[][]; maskLogits: number[][][]; rowLogits0: number[]; nsp: number[][] }
const mlmRef = JSON.parse(readFileSync(join(fixturesDir, 'tiny-bert-mlm', 'reference.json'), 'utf8')) as { vocabSize: number; cases: MlmCase[] };

describe('tiny-bert-mlm (BertForPreTraining, tied decoder) in row blocks vs fp64', () => {
  for (const profile of ['software', 'gpu'] as const) {
    it(`f32 ${profile}: masked-LM scores at the masks and [CLS], next-sentence scores`, async () => {
      const blocked = await load('tiny-bert-mlm', undefined, 'f32', profile, await limitFor('tiny-bert-mlm', 'f32'));
      try {
        expect(blocked.weights.get('bert.embeddings.word_embeddings.weight').blocks?.map((b) => b.rows)).toEqual([172, 172]);
        const V = mlmRef.vocabSize;
        for (const c of mlmRef.cases) {
          const T = c.inputIds[0].length;
          const out = await blocked.forward(batchOf(c), ['mlmLogits', 'nspLogits']);
          c.maskPositions.forEach((positions, b) => positions.forEach((p, k) => {
            expectClose(`${c.name} row ${b} mask ${k}`, out.mlmLogits!.subarray((b * T + p) * V, (b * T + p + 1) * V), c.maskLogits[b][k], tol);
          }));
          expectClose(`${c.name} [CLS] row`, out.mlmLogits!.subarray(0, V), c.rowLogits0, tol);
          expectClose(`${c.name} nsp`, out.nspLogits!, c.nsp.flat(), tol);
        }
      } finally {
        await blocked.dispose();
      }
    });
  }
});

describe('an untied decoder in row blocks of its own', () => {
  // tiny-bert-mlm with tie_word_embeddings false and a decoder weight of its own (−1.5 × the embeddings, so scores
  // read from the embeddings instead would differ): both it and the word embeddings are split.
  const dir = mkdtempSync(join(tmpdir(), 'bertgpu-untied-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(fixturesDir, 'tiny-bert-mlm');
  for (const f of ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(join(src, f), join(dir, f));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(src, 'config.json'), 'utf8')), tie_word_embeddings: false, architectures: ['BertForMaskedLM'] }));
  const bytes = readFileSync(join(src, 'model.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
  const tensors = new Map<string, F32Tensor>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    tensors.set(name, { shape: e.shape, data: new Float32Array(new Uint8Array(bytes.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1])).buffer) });
  }
  const word = tensors.get('bert.embeddings.word_embeddings.weight')!;
  tensors.set('cls.predictions.decoder.weight', { shape: word.shape, data: word.data.map((v) => -1.5 * v) });
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensorsF32(tensors));

  for (const dtype of ['f32', 'f16'] as const) {
    for (const profile of ['software', 'gpu'] as const) {
      it(`${dtype} ${profile}: both split; scores equal the whole-table model's and are not the tied ones`, async () => {
        const blocked = await load(dir, 'masked-lm', dtype, profile, await limitFor(dir, dtype));
        const whole = await load(dir, 'masked-lm', dtype, profile);
        try {
          expect(blocked.weights.get('cls.predictions.decoder.weight').blocks?.length).toBe(2);
          expect(blocked.weights.get('bert.embeddings.word_embeddings.weight').blocks?.length).toBe(2);
          const c = mlmRef.cases[0];
          const V = mlmRef.vocabSize;
          const out = await blocked.forward(batchOf(c), ['mlmLogits']);
          const base = await whole.forward(batchOf(c), ['mlmLogits']);
          expectClose(`${c.name} untied scores vs whole`, out.mlmLogits!, base.mlmLogits!, dtype === 'f32' ? tol : f16VsWhole);
          let far = 0;
          for (let i = 0; i < V; i++) far = Math.max(far, Math.abs(out.mlmLogits![i] - c.rowLogits0[i]));
          expect(far, 'the untied decoder is read, not the embeddings').toBeGreaterThan(0.1);
          if (dtype === 'f32' && profile === 'software') {
            // profile() runs the same plan with timestamps and joins the per-block scores the same way.
            const profiled = await blocked.profile(batchOf(c), ['mlmLogits']);
            expect(profiled.dispatches.filter((d) => d.kernel === 'gatherBlockRows')).toHaveLength(2);
            expectClose('profile() scores', profiled.outputs.mlmLogits!, out.mlmLogits!, { atol: 0, rtol: 0 });
          }
        } finally {
          await blocked.dispose();
          await whole.dispose();
        }
      });
    }
  }
});
