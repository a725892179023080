// The variant table (src/graph/variants.ts) against the hand-written ternaries it replaced: for BERT graphs of
// several shapes, heads and both storage dtypes, lowerOp with the default (software) profile must choose the same
// kernels with the same uniforms, buffers, overrides and grids as before — except three deliberate changes since: the
// matmul epilogue is a uniform (`params.epilogue`, one pipeline for every epilogue); f32 matmul + LayerNorm with
// K % 4 == 0 runs as matmulVec4 (residual epilogue, into scratch) + layernorm; attentionVec4 takes a thread shape
// (QB threads × QPT queries each, by the number of query rows). The last two are checked separately below. `legacyLowerOp` below is a frozen copy of
// the lowerOp that shipped before the table; it is the "before" side of the comparison, not used anywhere else.
import { describe, expect, it } from 'vitest';
import { MatmulEpilogue, kernelNames, rowGrid, type KernelName } from '../../src/gpu/kernels.ts';
import type { KernelCall } from '../../src/gpu/dispatch.ts';
import { lowerOp, lowerOpDispatches, opLowering } from '../../src/graph/lower.ts';
import { gpuGrid } from '../../src/gpu/gpu-kernels.ts';
import type { Op, TensorId } from '../../src/graph/ops.ts';
import { adapterProfile, applicableVariants, chooseVariant, softwareProfile, variantTable } from '../../src/graph/variants.ts';
import { buildBertGraph, type BertGraphOptions } from '../../src/model/bert.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import tinyBert from '../fixtures/tiny-bert/config.json';

function legacyLowerOp(op: Op, buf: (id: TensorId) => GPUBuffer, dtype: 'f32' | 'f16'): { kernel: KernelName; call: KernelCall } {
  const f16 = dtype === 'f16';
  switch (op.kind) {
    case 'embedding':
      return { kernel: f16 ? 'embeddingF16' : 'embedding', call: {
        params: { rows: op.B * op.T, T: op.T, C: op.C, vocabSize: op.vocabSize, maxPositions: op.maxPositions,
          typeVocabSize: op.typeVocabSize, positionOffset: op.positionOffset, eps: op.eps },
        buffers: { ids: buf(op.ids), typeIds: buf(op.typeIds), wordEmb: buf(op.wordEmb), posEmb: buf(op.posEmb),
          typeEmb: buf(op.typeEmb), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
        grid: rowGrid(op.B * op.T) } };
    case 'matmul':
      return { kernel: op.K % 4 === 0 ? (f16 ? 'matmulVec4F16' : 'matmulVec4') : (f16 ? 'matmulF16' : 'matmul'), call: {
        params: { M: op.M, N: op.N, K: op.K, xRowStep: op.xRowStep, epilogue: MatmulEpilogue[op.epilogue] },
        buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual ?? op.b), y: buf(op.out) },
        overrides: { TILE_ROWS_T: 8, TILE_COLS_T: 8 },
        grid: [Math.ceil(op.N / 32), Math.ceil(op.M / 32)] } };
    case 'matmulLayernorm': {
      const vec4 = !f16 && op.K % 4 === 0;
      return { kernel: vec4 ? 'matmulLayernormVec4' : f16 ? 'matmulLayernormF16' : 'matmulLayernorm', call: {
        params: { M: op.M, N: op.N, K: op.K, eps: op.eps },
        buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
        overrides: vec4 ? { TC: 16, TR: 4 } : {},
        grid: rowGrid(Math.ceil(op.M / (vec4 ? 16 : 4))) } };
    }
    case 'layernorm':
      return { kernel: f16 ? 'layernormF16' : 'layernorm', call: {
        params: { rows: op.rows, C: op.C, eps: op.eps },
        buffers: { x: buf(op.x), residual: buf(op.x), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
        overrides: { HAS_RESIDUAL: false }, grid: rowGrid(op.rows) } };
    case 'gatherRows':
      return { kernel: 'gatherRows', call: { params: { R: op.R, W: op.W, rowsIn: op.rowsIn }, buffers: { rows: buf(op.rows), x: buf(op.x), y: buf(op.out) }, grid: rowGrid(op.R) } };
    case 'attention':
      return { kernel: f16 ? 'attentionF16' : op.HS % 4 === 0 ? 'attentionVec4' : 'attention', call: {
        params: { T: op.T, NH: op.NH, HS: op.HS }, buffers: { qkv: buf(op.qkv), mask: buf(op.mask), ctx: buf(op.out) },
        overrides: { QB: 32 }, grid: [Math.ceil(op.T / 32), op.NH, op.B] } };
    case 'attentionProbs':
      return { kernel: f16 ? 'attentionProbsF16' : 'attentionProbs', call: {
        params: { T: op.T, NH: op.NH, HS: op.HS }, buffers: { qkv: buf(op.qkv), mask: buf(op.mask), probs: buf(op.out) },
        overrides: { QB: 32 }, grid: [Math.ceil(op.T / 32), op.NH, op.B] } };
    default:
      throw new Error(`the ternaries had no op '${op.kind}'`);
  }
}

// Stand-ins for GPU buffers that say which tensor they are, so the comparison sees which tensor feeds each binding.
const tensorBuffer = (id: TensorId) => ({ tensor: id }) as unknown as GPUBuffer;

const configs = {
  // BERT-base: K and HS multiples of 4 (the vec4 kernels).
  base: parseBertConfig({ model_type: 'bert', hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072, num_hidden_layers: 2, vocab_size: 1000 }),
  tiny: parseBertConfig(tinyBert),
  // Odd sizes: HS = 10 and the FFN2's K = 37 are not multiples of 4 (the scalar kernels).
  odd: parseBertConfig({ model_type: 'bert', hidden_size: 30, num_attention_heads: 3, intermediate_size: 37, num_hidden_layers: 2, vocab_size: 50 }),
};
const graphs: Array<[string, keyof typeof configs, Omit<BertGraphOptions, 'dtype'>]> = [
  ['1 × 128 classification + pooler + attentions', 'base', { B: 1, T: 128, head: 'sequence-classification', hasPooler: true, attentionLayer: 1 }],
  ['8 × 128 base', 'base', { B: 8, T: 128, head: 'base', hasPooler: false }],
  ['2 × 16 masked-LM, 3 rows', 'tiny', { B: 2, T: 16, head: 'masked-lm', hasPooler: false, mlmRows: 3 }],
  ['4 × 16 pretraining + attentions', 'tiny', { B: 4, T: 16, head: 'pretraining', hasPooler: true, mlmRows: 2, attentionLayer: 0 }],
  ['3 × 7 odd sizes, classification + masked-LM', 'odd', { B: 3, T: 7, head: 'pretraining', hasPooler: true, mlmRows: 2, attentionLayer: 1 }],
];

describe('variant table: same kernels and calls as the ternaries it replaced (software profile)', () => {
  for (const [what, config, options] of graphs) {
    for (const dtype of ['f32', 'f16'] as const) {
      it(`${what}, ${dtype}`, () => {
        const graph = buildBertGraph(configs[config], { ...options, dtype });
        const unfused = (op: Op) => op.kind === 'matmulLayernorm' && dtype === 'f32' && op.K % 4 === 0;
        const vec4Attention = (op: Op) => op.kind === 'attention' && dtype === 'f32' && op.HS % 4 === 0;
        const ops = graph.ops.filter((op) => !unfused(op) && !vec4Attention(op));
        const before = ops.map((op) => legacyLowerOp(op, tensorBuffer, dtype));
        const after = ops.map((op) => lowerOp(op, tensorBuffer, dtype));
        expect(after.map((l) => l.kernel)).toEqual(before.map((l) => l.kernel));
        expect(after).toEqual(before);
        expect(ops.map((op) => lowerOp(op, tensorBuffer, dtype, softwareProfile))).toEqual(before);
        // An adapter's facts (what plans pass): lavapipe's are a software profile with shader-f16.
        const lavapipe = { vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.7, 256 bits)', isFallbackAdapter: false,
          hasF16: true, hasSubgroups: true, hasTimestamps: true };
        expect(ops.map((op) => lowerOp(op, tensorBuffer, dtype, lavapipe))).toEqual(before);
        // attentionVec4: today's call with QPT queries per thread — 4 (16 threads) from 4096 query rows, else 1 (32).
        for (const op of graph.ops.filter(vec4Attention)) {
          if (op.kind !== 'attention') continue;
          const { kernel, call } = legacyLowerOp(op, tensorBuffer, dtype);
          const tile = op.B * op.NH * op.T >= 4096 ? { QB: 16, QPT: 4 } : { QB: 32, QPT: 1 };
          expect(lowerOp(op, tensorBuffer, dtype, lavapipe)).toEqual({ kernel, call: { ...call, overrides: tile,
            grid: [Math.ceil(op.T / (tile.QB * tile.QPT)), op.NH, op.B] } });
        }
        // The unfused matmul + LayerNorm: the residual matmul into scratch, then layernorm over it.
        const scratch = { tensor: 'scratch' } as unknown as GPUBuffer;
        for (const op of graph.ops.filter(unfused)) {
          if (op.kind !== 'matmulLayernorm') continue;
          const [mm, ln] = lowerOpDispatches(op, tensorBuffer, dtype, lavapipe, () => scratch);
          const asMatmul: Op = { kind: 'matmul', x: op.x, w: op.w, b: op.b, residual: op.residual, out: op.out, M: op.M, N: op.N, K: op.K, xRowStep: 1, epilogue: 'residual' };
          const legacy = legacyLowerOp(asMatmul, (id) => (id === op.out ? scratch : tensorBuffer(id)), dtype);
          expect(mm).toEqual({ ...legacy, flops: 2 * op.M * op.N * op.K + 2 * op.M * op.N });
          expect(ln.kernel).toBe('layernorm');
          expect(ln.call).toEqual({ ...legacyLowerOp({ kind: 'layernorm', x: op.out, gamma: op.gamma, beta: op.beta, out: op.out, rows: op.M, C: op.N, eps: op.eps }, tensorBuffer, dtype).call,
            buffers: { x: scratch, residual: scratch, gamma: tensorBuffer(op.gamma), beta: tensorBuffer(op.beta), y: tensorBuffer(op.out) } });
        }
      });
    }
  }
});

describe('variant table', () => {
  const matmul = (K: number): Op => ({ kind: 'matmul', x: 0, w: 1, b: 2, residual: null, out: 3, M: 5, N: 6, K, xRowStep: 1, epilogue: 'none' });

  it('lists every kernel an op can run; only the benchmark baseline is in no row (no dead kernels)', () => {
    const inTable = new Set(Object.values(variantTable).flatMap((rows) => rows.flatMap((c) => c.kernels ?? [c.kernel])));
    // transpose re-lays weights at load (BertModel), it runs no op.
    expect(kernelNames.filter((k) => !inTable.has(k))).toEqual(['matmulNaive', 'transpose', 'transposeF16']);
    for (const rows of Object.values(variantTable)) {
      for (const c of rows) expect(c.features.includes('shader-f16'), c.kernel).toBe(c.dtype === 'f16' && c.kernel !== 'gatherRows' && c.kernel !== 'gatherBlockRows');
    }
  });

  it('applicableVariants lists the candidates in priority order; chooseVariant takes the first', () => {
    expect(applicableVariants(matmul(8), 'f32').map((c) => c.kernel)).toEqual(['matmulVec4', 'matmul']);
    expect(applicableVariants(matmul(7), 'f32').map((c) => c.kernel)).toEqual(['matmul']);
    expect(applicableVariants(matmul(8), 'f16').map((c) => c.kernel)).toEqual(['matmulVec4F16', 'matmulF16']);
    expect(chooseVariant(matmul(8), 'f16').kernel).toBe('matmulVec4F16');
    expect(variantTable.matmul.find((c) => c.kernel === 'matmulVec4')?.shape?.text).toBe('K % 4 == 0');
  });

  it('respects the adapter\'s features and names what is missing', () => {
    const noF16 = { kind: 'software', features: ['subgroups'] } as const;
    expect(chooseVariant(matmul(8), 'f32', noF16).kernel).toBe('matmulVec4');
    expect(() => chooseVariant(matmul(8), 'f16', noF16)).toThrow(/no kernel for op 'matmul' with f16 storage on a software adapter with features \[subgroups\]/);
    // A hardware adapter runs the GPU kernels where their conditions hold, today's kernels elsewhere.
    expect(chooseVariant(matmul(8), 'f32', { kind: 'gpu', features: ['shader-f16', 'subgroups'] }).kernel).toBe('gemmNarrowSubgroup');
    expect(chooseVariant(matmul(7), 'f32', { kind: 'gpu', features: ['shader-f16', 'subgroups'] }).kernel).toBe('matmul');
  });

  it('GPU profile: shaders/gpu kernels with gpuGrid grids where their conditions hold, today\'s kernels elsewhere', () => {
    const gpu = { kind: 'gpu', features: ['shader-f16', 'subgroups'] } as const;
    const graph = buildBertGraph(configs.base, { B: 1, T: 128, dtype: 'f32', head: 'sequence-classification', hasPooler: true, profile: gpu });
    const layer = graph.ops.slice(1, 5);
    expect(layer.map((op) => op.kind)).toEqual(['matmul', 'attentionOutput', 'matmul', 'matmulLayernorm']);
    const scratch = { scratch: true } as unknown as GPUBuffer;
    const [qkv] = lowerOpDispatches(layer[0], tensorBuffer, 'f32', gpu);
    expect(qkv.kernel).toBe('gemmTiled');
    expect(qkv.call.grid).toEqual(gpuGrid('gemmTiled', { M: 128, N: 2304, K: 768 }).workgroups);
    expect(qkv.call.overrides).toEqual(gpuGrid('gemmTiled', { M: 128, N: 2304, K: 768 }).overrides);
    expect(qkv.call.params.epilogue).toBe(MatmulEpilogue.none);
    const [proj, row] = lowerOpDispatches(layer[1], tensorBuffer, 'f32', gpu, () => scratch);
    expect([proj.kernel, row.kernel]).toEqual(['attentionFlashProj', 'layernormRow']);
    expect(proj.call.buffers.partials).toBe(scratch);
    expect(row.call.buffers.partials).toBe(scratch);
    expect(row.call.params).toMatchObject({ M: 128, N: 768, splits: 12 });
    const [partial, row2] = lowerOpDispatches(layer[3], tensorBuffer, 'f16', gpu, () => scratch);
    expect([partial.kernel, row2.kernel]).toEqual(['gemmTiledPartialF16', 'layernormRowF16']);
    expect(row2.call.params.splits).toBe(partial.call.grid[2]);
    expect(opLowering(layer[3], 'f32', gpu).scratchBytes).toBe(partial.call.grid[2]! * 128 * 768 * 4);
    expect(opLowering(layer[1], 'f32', gpu).scratchBytes).toBe(12 * 128 * 768 * 4);
    expect(() => lowerOp(layer[1], tensorBuffer, 'f32', gpu)).toThrow(/op 'attentionOutput' needs a scratch buffer here/);
    // The pooler ([CLS] rows, M = 1): the narrow GEMM, with its subgroup reduction only where the adapter has subgroups.
    const pooler = graph.ops[graph.ops.length - 2];
    expect(lowerOp(pooler, tensorBuffer, 'f32', gpu).kernel).toBe('gemmNarrowSubgroup');
    expect(lowerOp(pooler, tensorBuffer, 'f16', { kind: 'gpu', features: ['shader-f16'] }).kernel).toBe('gemmNarrowF16');
    // Odd sizes (HS 10, FFN2 K 37): no fusion, today's kernels.
    const odd = buildBertGraph(configs.odd, { B: 3, T: 7, dtype: 'f32', head: 'base', hasPooler: false, profile: gpu });
    expect(odd.ops.slice(1, 6).map((op) => lowerOpDispatches(op, tensorBuffer, 'f32', gpu).map((l) => l.kernel).join('+')))
      .toEqual(['matmul', 'attention', 'matmulLayernorm', 'matmul', 'matmulLayernorm']);
  });

  it('adapterProfile: software for fallback adapters and CPU drivers, gpu otherwise', () => {
    const facts = { isFallbackAdapter: false, vendor: '', architecture: '', description: '', hasF16: true, hasSubgroups: false };
    expect(adapterProfile({ ...facts, description: 'llvmpipe (LLVM 15.0.7, 256 bits)' })).toEqual({ kind: 'software', features: ['shader-f16'] });
    expect(adapterProfile({ ...facts, vendor: 'google', architecture: 'swiftshader', hasF16: false, hasSubgroups: true }))
      .toEqual({ kind: 'software', features: ['subgroups'] });
    expect(adapterProfile({ ...facts, isFallbackAdapter: true }).kind).toBe('software');
    expect(adapterProfile({ ...facts, vendor: 'nvidia', architecture: 'ampere', hasSubgroups: true })).toEqual({ kind: 'gpu', features: ['shader-f16', 'subgroups'] });
  });
});
