// Tensors over one storage binding (issue 15): the word embeddings split into row blocks at load, the embedding
// gather visiting each block and the masked-LM decoder run block by block, on Dawn, for both kernel profiles and both
// storage dtypes. WebGPU never gives a device less than the default limits (128 MiB per binding), so the tiny fixtures
// reach the block path through the loader's test override maxBindingBytes, set to the largest other tensor of each
// model: the word embeddings then split into 2 (tiny-bert-mlm) to 12 (tiny-roberta) blocks.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferRegistry } from '../../src/gpu/buffers.ts';
import { loadBertWeights, openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { BertModel, type EncodedBatch } from '../../src/model/bert-model.ts';
import type { BertHead } from '../../src/model/config.ts';
import { layoutOf } from '../../src/model/families/layouts.ts';
import { readSafetensorsHeader } from '../../src/weights/stream.ts';
import { fileSource } from '../../src/weights/node-source.ts';
import { rowBlocksOf } from '../../src/weights/row-blocks.ts';
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
  const header = await readSafetensorsHeader(fileSource(join(fixturesDir, folder, 'model.safetensors')));
  const bytes = dtype === 'f16' ? 2 : 4;
  return Math.max(...header.tensors.filter((t) => !t.name.endsWith('word_embeddings.weight')).map((t) => t.numel * bytes));
}

async function load(folder: string, head: BertHead | undefined, dtype: Dtype, kernelProfile: Profile, maxBindingBytes?: number): Promise<BertModel> {
  const gpu = await getTestGpu();
  const files = await openModel(dirProvider(join(fixturesDir, folder)));
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

describe('row blocks: the split itself', () => {
  it('balanced blocks of a multiple of 4 rows, each within the limit; a row over the limit is named', () => {
    expect(rowBlocksOf('f', 'emb', [344, 64], 'f32', 65536)).toEqual([172, 172]);
    expect(rowBlocksOf('f', 'emb', [741, 32], 'f32', 8192)).toEqual([...Array(11).fill(64), 37]);
    expect(rowBlocksOf('f', 'emb', [119547, 768], 'f32', 128 << 20)).toEqual([39852, 39852, 39843]);
    expect(rowBlocksOf('f', 'emb', [10, 4], 'f32', 1024)).toBeNull();
    expect(() => rowBlocksOf('m.safetensors', 'emb', [100, 1000], 'f32', 3999)).toThrow(
      /m\.safetensors: tensor "emb" \(100×1000, f32\) cannot be split into row blocks: a single row is 4000 bytes, over this device's storage binding limit \(3999 bytes\); f16 storage would halve it/);
  });
});

// Fixture, head, the reference field with the masked-LM scores.
const fixtures: Array<[string, BertHead]> = [['tiny-roberta', 'masked-lm'], ['tiny-albert', 'masked-lm']];

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
