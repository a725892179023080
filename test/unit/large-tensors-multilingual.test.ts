// The acceptance shape of issue 15: a multilingual-shaped BERT (mBERT's vocabulary, 119,547 × 768: 367 MB of f32 word
// embeddings, over the 128 MiB storage binding and the 256 MiB buffer of a default device) with random weights made
// here, loaded through the normal loader (loadBert: config, vocab.txt, safetensors streamed from disk) onto a device
// created with DEFAULT limits, and compared with a float64 CPU forward: hidden states for ids spread over the whole
// vocabulary (both edges of every row block) and fill-mask scores over the full vocabulary for one row.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wrapDevice } from '../../src/gpu/device.ts';
import { requestNodeGpu } from '../../src/gpu/node-gpu.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { loadBert } from '../../src/model/load.ts';
import { planDump } from '../../src/model/plan-dump.ts';
import { pipeline } from '../../src/node.ts';
import type { FillMaskPrediction } from '../../src/tasks/fill-mask.ts';
import { predictedWeightBlocks } from '../../src/model/blocked-weights.ts';
import { add, attention, embedding, geluErf, layerNorm, matmul } from '../../src/cpu/reference.ts';
import { writeSafetensorsF32, type F32Tensor } from '../../src/weights/safetensors-writer.ts';
import { expectClose } from '../helpers/validate.ts';

const V = 119547;
const C = 768;
const NH = 12;
const I = 3072;
const P = 512;
const eps = 1e-12;
let instance: GPU | undefined;

/** Uniform values in [−scale, scale) (+ offset) from a xorshift32 stream: fast enough for 92 M values. */
function random(n: number, seed: number, scale: number, offset = 0): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = offset + scale * (s / 2 ** 31 - 1);
  }
  return out;
}

function makeWeights(): Map<string, F32Tensor> {
  const t = new Map<string, F32Tensor>();
  let seed = 1;
  const put = (name: string, shape: number[], scale: number, offset = 0) =>
    t.set(name, { shape, data: random(shape.reduce((a, b) => a * b, 1), seed++ * 7919, scale, offset) });
  const linear = (p: string, out: number, inp: number) => { put(`${p}.weight`, [out, inp], 1 / Math.sqrt(inp)); put(`${p}.bias`, [out], 0.05); };
  const ln = (p: string) => { put(`${p}.weight`, [C], 0.1, 1); put(`${p}.bias`, [C], 0.1); };
  put('bert.embeddings.word_embeddings.weight', [V, C], 0.5);
  put('bert.embeddings.position_embeddings.weight', [P, C], 0.1);
  put('bert.embeddings.token_type_embeddings.weight', [2, C], 0.1);
  ln('bert.embeddings.LayerNorm');
  const l = 'bert.encoder.layer.0';
  linear(`${l}.attention.self.query`, C, C);
  linear(`${l}.attention.self.key`, C, C);
  linear(`${l}.attention.self.value`, C, C);
  linear(`${l}.attention.output.dense`, C, C);
  ln(`${l}.attention.output.LayerNorm`);
  linear(`${l}.intermediate.dense`, I, C);
  linear(`${l}.output.dense`, C, I);
  ln(`${l}.output.LayerNorm`);
  linear('cls.predictions.transform.dense', C, C);
  ln('cls.predictions.transform.LayerNorm');
  put('cls.predictions.bias', [V], 0.05);
  return t;
}

/** BertForMaskedLM in float64 from the f32 weights: hidden states (T, C) and the masked-LM scores (V) of row `row`. */
function reference(w: Map<string, F32Tensor>, ids: number[], row: number): { hidden: Float64Array; scores: Float64Array } {
  const T = ids.length;
  const d = (name: string) => w.get(name)!.data;
  const x = embedding(ids, new Array(T).fill(0), 1, T, C, d('bert.embeddings.word_embeddings.weight'), d('bert.embeddings.position_embeddings.weight'),
    d('bert.embeddings.token_type_embeddings.weight'), d('bert.embeddings.LayerNorm.weight'), d('bert.embeddings.LayerNorm.bias'), eps);
  const l = 'bert.encoder.layer.0';
  const lin = (v: ArrayLike<number>, p: string, N: number, K: number) => matmul(v, d(`${p}.weight`), d(`${p}.bias`), T, N, K);
  const q = lin(x, `${l}.attention.self.query`, C, C);
  const k = lin(x, `${l}.attention.self.key`, C, C);
  const v = lin(x, `${l}.attention.self.value`, C, C);
  const qkv = new Float64Array(T * 3 * C);
  for (let t = 0; t < T; t++) {
    qkv.set(q.subarray(t * C, (t + 1) * C), t * 3 * C);
    qkv.set(k.subarray(t * C, (t + 1) * C), t * 3 * C + C);
    qkv.set(v.subarray(t * C, (t + 1) * C), t * 3 * C + 2 * C);
  }
  const ctx = attention(qkv, new Array(T).fill(1), 1, T, NH, C / NH);
  const h = layerNorm(add(lin(ctx, `${l}.attention.output.dense`, C, C), x), d(`${l}.attention.output.LayerNorm.weight`), d(`${l}.attention.output.LayerNorm.bias`), T, C, eps);
  const f = lin(h, `${l}.intermediate.dense`, I, C).map(geluErf);
  const hidden = layerNorm(add(matmul(f, d(`${l}.output.dense.weight`), d(`${l}.output.dense.bias`), T, C, I), h),
    d(`${l}.output.LayerNorm.weight`), d(`${l}.output.LayerNorm.bias`), T, C, eps);
  const picked = hidden.subarray(row * C, (row + 1) * C);
  const dense = matmul(picked, d('cls.predictions.transform.dense.weight'), d('cls.predictions.transform.dense.bias'), 1, C, C).map(geluErf);
  const normed = layerNorm(dense, d('cls.predictions.transform.LayerNorm.weight'), d('cls.predictions.transform.LayerNorm.bias'), 1, C, eps);
  const scores = matmul(normed, d('bert.embeddings.word_embeddings.weight'), d('cls.predictions.bias'), 1, V, C);
  return { hidden, scores };
}

describe('multilingual shape (vocab 119,547 × 768) on a default-limits device', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertgpu-mbert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let weights: Map<string, F32Tensor>;
  // Ids over the whole vocabulary: both edges of each f32 block, and a few between; row 7 is the [MASK].
  const ids = [2, 0, 39851, 39852, 79703, 79704, 119546, 4, 60000, 101234, 3];
  const row = 7;
  const T = ids.length;
  const batch = { B: 1, T, inputIds: Int32Array.from(ids), tokenTypeIds: new Int32Array(T), attentionMask: new Int32Array(T).fill(1), mlmRows: [row] };
  let want: { hidden: Float64Array; scores: Float64Array };

  it('loads in row blocks and matches a float64 forward: hidden states and full-vocabulary fill-mask scores', async () => {
    weights = makeWeights();
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensorsF32(weights));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      model_type: 'bert', architectures: ['BertForMaskedLM'], vocab_size: V, hidden_size: C, num_hidden_layers: 1, num_attention_heads: NH,
      intermediate_size: I, hidden_act: 'gelu', max_position_embeddings: P, type_vocab_size: 2, layer_norm_eps: eps, pad_token_id: 0,
    }));
    const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
    writeFileSync(join(dir, 'vocab.txt'), Array.from({ length: V }, (_, i) => special[i] ?? `w${i}`).join('\n'));

    // WebGPU's defaults, as a page that calls requestDevice() with no limits gets them (or a caller-provided device).
    const { gpu, adapter } = await requestNodeGpu();
    instance = gpu; // Dawn tears an instance down once it is garbage-collected: it must outlive the device.
    const device = await adapter.requestDevice();
    expect(device.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    expect(device.limits.maxBufferSize).toBe(256 * 2 ** 20);
    const started = performance.now();
    const { model } = await loadBert(wrapDevice(device), dirProvider(dir), { tune: 'off', kernelProfile: 'software' });
    const loadMs = performance.now() - started;
    try {
      const word = model.weights.get('bert.embeddings.word_embeddings.weight');
      expect(word.blocks?.map((b) => b.rows)).toEqual([39852, 39852, 39843]);
      expect(model.rowBlocks).toEqual(new Map([[word.name, [39852, 39852, 39843]]]));
      // The plan's dispatches: three block gathers, then the embedding op; three decoder matmuls for the one row.
      const ops = (await model.planDispatches(1, 11, 1)).map((d) => d.kernel);
      expect(ops.slice(0, 4)).toEqual(['gatherBlockRows', 'gatherBlockRows', 'gatherBlockRows', 'embedding']);
      expect(planDump(model.config, { B: 1, T: 11, weightBlocks: model.rowBlocks, head: model.head, hasPooler: model.hasPooler }).dispatches.map((d) => d.kernel)).toEqual(ops);
      // What loadBert compiled during the download was the blocked graph: predicted from config.json by the same rule.
      expect(predictedWeightBlocks(model.config, model.head, 'f32', device.limits)).toEqual(new Map([[word.name, [39852, 39852, 39843]]]));
      const out = await model.forward(batch, ['lastHiddenState', 'mlmLogits']);
      want = reference(weights, ids, row);
      expectClose('hidden states vs float64', out.lastHiddenState!, want.hidden, { atol: 1e-4, rtol: 0 });
      expect(out.mlmLogits).toHaveLength(V);
      expectClose('fill-mask scores over the full vocabulary vs float64', out.mlmLogits!, want.scores, { atol: 1e-4, rtol: 0 });
      console.log(`multilingual shape: loaded in ${loadMs.toFixed(0)} ms, ${(model.weights.byteLength / 2 ** 20).toFixed(1)} MiB on the GPU ` +
        `(word embeddings in ${word.blocks!.length} blocks of ≤ ${Math.max(...word.blocks!.map((b) => b.buffer.size))} bytes); ` +
        `process RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (lavapipe's GPU memory is host memory)`);
    } finally {
      await model.dispose();
    }

    // The fill-mask pipeline on the same caller-provided default-limits device, with the GPU kernel profile (the
    // forward above ran the software one): top 5 over the whole vocabulary.
    const fill = await pipeline('fill-mask', dir, { device, tune: 'off', kernelProfile: 'gpu' });
    try {
      expect(fill.info.device.backend).toBe('gpu');
      expect(fill.info.kernelProfile).toBe('gpu');
      const got = (await fill('w60000 [MASK] w101234')) as FillMaskPrediction[];
      const scores = reference(weights, [2, 60000, 4, 101234, 3], 2).scores;
      const max = scores.reduce((a, b) => Math.max(a, b), -Infinity);
      let sum = 0;
      for (const v of scores) sum += Math.exp(v - max);
      const top = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]).slice(0, 5);
      expect(got.map((p) => p.token)).toEqual(top);
      expectClose('fill-mask probabilities', got.map((p) => p.score), top.map((i) => Math.exp(scores[i] - max) / sum), { atol: 0, rtol: 1e-3 });
      expect(got[0].sequence).toBe(`w60000 w${top[0]} w101234`);
    } finally {
      await fill.dispose();
    }
  }, 120_000);

  it('f16 storage on a default-limits device with shader-f16: 2 blocks, the same forward within f16 rounding', async () => {
    expect(want, 'the f32 case made the files and the reference').toBeDefined();
    const { gpu, adapter } = await requestNodeGpu();
    instance = gpu;
    expect(adapter.features.has('shader-f16')).toBe(true);
    const device = await adapter.requestDevice({ requiredFeatures: ['shader-f16'] });
    expect(device.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    const { model } = await loadBert(wrapDevice(device), dirProvider(dir), { dtype: 'f16', tune: 'off', kernelProfile: 'software' });
    try {
      expect(model.weights.get('bert.embeddings.word_embeddings.weight').blocks?.map((b) => b.rows)).toEqual([59776, 59771]);
      const out = await model.forward({ ...batch, inputIds: Int32Array.from([2, 0, 59775, 59776, 119546, 4, 39852, 4, 60000, 101234, 3]) }, ['lastHiddenState', 'mlmLogits']);
      const f16Want = reference(weights, [2, 0, 59775, 59776, 119546, 4, 39852, 4, 60000, 101234, 3], row);
      // f16 storage rounds every weight and activation (2⁻¹¹ relative; measured max |Δ| 3.1e-3 and 3.0e-2): a wrong row or
      // column block would be off by O(1).
      expectClose('f16 hidden states vs float64', out.lastHiddenState!, f16Want.hidden, { atol: 1e-2, rtol: 0 });
      expectClose('f16 fill-mask scores vs float64', out.mlmLogits!, f16Want.scores, { atol: 6e-2, rtol: 0 });
    } finally {
      await model.dispose();
    }
  }, 120_000);
});
