// The Trainer's options on the GPU: freezing (no gradient, no update, shorter backward), gradient accumulation over
// micro-batches of different buckets, the LR schedule, one submit per step, and option/batch validation.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../src/train/trainer.ts';
import { lrMultiplier } from '../../src/train/optimizer.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { batchOf, expectUpdate, loadModel, relErr } from '../kernels/train-step-cases.ts';
import { loadManifest, loadTensors } from '../kernels/train-fixture.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const b = await readFile(join(import.meta.dirname, '../fixtures', p));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

async function setup() {
  const manifest = await loadManifest(readFixture);
  const c = manifest.cases[0];
  return { manifest, c, model: await loadModel(readFixture, c.model), ref: await loadTensors(readFixture, `train/${c.file}`) };
}

describe('Trainer options (Dawn)', () => {
  it('freezing: frozen tensors get no gradient and never move, the rest match PyTorch, the backward is shorter', async () => {
    const { c, model, ref } = await setup();
    const gpu = await getTestGpu();
    const full = await Trainer.create(gpu, model);
    const steps = { full: (await full.planStats(2, 15)).steps, partial: 0, head: 0 };
    full.dispose();
    for (const [freeze, trainable] of [
      [{ embeddings: true, layers: 1 }, (n: string) => !n.startsWith('bert.embeddings.') && !n.startsWith('bert.encoder.layer.0.')],
      [{ headOnly: true }, (n: string) => n.startsWith('classifier.')],
    ] as const) {
      const trainer = await Trainer.create(gpu, model, { freeze, lr: 1e-3, maxGradNorm: 0 });
      try {
        const grads = await trainer.gradients(batchOf(c));
        const want = c.parameters.filter(trainable);
        expect([...grads.keys()].sort()).toEqual([...want].sort());
        for (const n of want) expect(relErr(grads.get(n)!, ref.get(`grad.${n}`)!), n).toBeLessThanOrEqual(1e-3);
        const r = await trainer.step(batchOf(c));
        // The norm counts the trainable tensors only (torch clips over the parameters it is given).
        const refNorm = Math.sqrt(want.reduce((s, n) => s + ref.get(`grad.${n}`)!.reduce((a, v) => a + v * v, 0), 0));
        expect(Math.abs(r.gradNorm - refNorm) / refNorm).toBeLessThanOrEqual(1e-4);
        const w = await trainer.readWeights();
        for (const n of c.parameters) {
          const moved = w.get(n)!.some((v, i) => v !== model.weights.get(n)![i]);
          // The key bias's true gradient is 0: only rounding noise moves it, so it is checked only when frozen.
          if (!trainable(n) || !n.includes('attention.self.key.bias')) expect(moved, `${n} moved`).toBe(trainable(n));
        }
        steps['headOnly' in freeze ? 'head' : 'partial'] = (await trainer.planStats(2, 15)).steps;
      } finally {
        trainer.dispose();
      }
    }
    expect(steps.partial).toBeLessThan(steps.full);
    expect(steps.head).toBeLessThan(steps.partial);
  });

  it('gradient accumulation: two unpadded one-row micro-batches (two buckets) make the padded batch-of-2 update', async () => {
    const { manifest, c, model, ref } = await setup();
    const trainer = await Trainer.create(await getTestGpu(), model, {
      accumulationSteps: 2, lr: manifest.adamw.lr, weightDecay: manifest.adamw.weightDecay, maxGradNorm: manifest.maxGradNorm,
    });
    try {
      const rows = [0, 1].map((b) => {
        const T = c.attentionMask[b].reduce((a, v) => a + v, 0);
        const cut = (m: number[][]) => [m[b].slice(0, T)];
        return batchOf({ inputIds: cut(c.inputIds), tokenTypeIds: cut(c.tokenTypeIds), attentionMask: cut(c.attentionMask), labels: [c.labels[b]] });
      });
      const r0 = await trainer.step(rows[0]);
      expect(r0.updated).toBe(false);
      expect(Number.isNaN(r0.gradNorm)).toBe(true);
      const r1 = await trainer.step(rows[1]);
      expect(r1.updated).toBe(true);
      expect((r0.loss + r1.loss) / 2).toBeCloseTo(c.loss, 5);
      expect(Math.abs(r1.gradNorm - c.gradNorm) / c.gradNorm).toBeLessThanOrEqual(1e-4);
      const w = await trainer.readWeights();
      for (const n of c.parameters) expectUpdate(n, w.get(n)!, model.weights.get(n)!, ref.get(`adamw1.${n}`)!, ref.get(`grad.${n}`)!, c.clipCoef, manifest.adamw.lr);
    } finally {
      trainer.dispose();
    }
  });

  it('optimizer bindings cut into chunks (as for models past maxStorageBufferBindingSize) give the same update', async () => {
    const { manifest, c, model, ref } = await setup();
    const trainer = await Trainer.create(await getTestGpu(), model, { lr: manifest.adamw.lr, weightDecay: manifest.adamw.weightDecay, maxGradNorm: manifest.maxGradNorm },
      { maxBindingBytes: 4096 });  // 1,024 floats: the word table alone takes 22 chunks
    try {
      const r = await trainer.step(batchOf(c));
      expect(Math.abs(r.gradNorm - c.gradNorm) / c.gradNorm).toBeLessThanOrEqual(1e-4);
      const w = await trainer.readWeights();
      for (const n of c.parameters) expectUpdate(n, w.get(n)!, model.weights.get(n)!, ref.get(`adamw1.${n}`)!, ref.get(`grad.${n}`)!, c.clipCoef, manifest.adamw.lr);
    } finally {
      trainer.dispose();
    }
  });

  it('schedule: linear with warmup reports HF\'s lr per update; lr 0 on the first update leaves every weight as it was', async () => {
    const { c, model } = await setup();
    const trainer = await Trainer.create(await getTestGpu(), model, { lr: 1e-3, weightDecay: 0.1, scheduler: 'linear', warmupSteps: 2, totalSteps: 5 });
    try {
      const lrs: number[] = [];
      for (let k = 0; k < 5; k++) lrs.push((await trainer.step(batchOf(c))).lr);
      expect(lrs).toEqual([0, 1, 2, 3, 4].map((k) => 1e-3 * lrMultiplier('linear', k, 2, 5)));
      expect(lrs[0]).toBe(0);
    } finally {
      trainer.dispose();
    }
    const once = await Trainer.create(await getTestGpu(), model, { lr: 1e-3, weightDecay: 0.1, scheduler: 'constant_with_warmup', warmupSteps: 3 });
    try {
      await once.step(batchOf(c));
      const w = await once.readWeights();
      for (const n of c.parameters) expect(w.get(n)!, n).toEqual(model.weights.get(n)!);
    } finally {
      once.dispose();
    }
  });

  it('one queue submit per step, the loss and grad norm included', async () => {
    const { c, model } = await setup();
    const gpu = await getTestGpu();
    const trainer = await Trainer.create(gpu, model, { lr: 1e-4 });
    const queue = gpu.device.queue;
    const submit = queue.submit.bind(queue);
    let submits = 0;
    queue.submit = (buffers: Iterable<GPUCommandBuffer>) => (submits++, submit(buffers));
    try {
      await trainer.step(batchOf(c));  // builds the plan
      submits = 0;
      const r = await trainer.step(batchOf(c));
      expect(submits).toBe(1);
      expect(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm)).toBe(true);
    } finally {
      queue.submit = submit;
      trainer.dispose();
    }
  });

  it('validation: every bad option and batch field is named', async () => {
    const { c, model } = await setup();
    const gpu = await getTestGpu();
    const bad: Array<[object, RegExp]> = [
      [{ lr: -1 }, /option lr/], [{ weightDecay: NaN }, /option weightDecay/], [{ beta1: 1 }, /option beta1/], [{ beta2: -0.1 }, /option beta2/],
      [{ eps: 0 }, /option eps/], [{ maxGradNorm: -1 }, /option maxGradNorm/], [{ scheduler: 'cosine' }, /option scheduler/],
      [{ warmupSteps: 1.5 }, /option warmupSteps/], [{ scheduler: 'linear' }, /option totalSteps/], [{ accumulationSteps: 0 }, /option accumulationSteps/],
      [{ freeze: { layers: 3 } }, /option freeze.layers/], [{ freeze: { head: true } }, /freeze.head/], [{ freeze: { embeddings: 1 } }, /freeze.embeddings/],
      [{ hiddenDropout: 1 }, /option hiddenDropout/], [{ attentionDropout: -0.1 }, /option attentionDropout/], [{ seed: -1 }, /option seed/],
      [{ problemType: 'ranking' }, /option problemType/], [{ learningRate: 1 }, /unknown option 'learningRate'/],
    ];
    for (const [o, re] of bad) await expect(Trainer.create(gpu, model, o as never), JSON.stringify(o)).rejects.toThrow(re);
    const noHead = new Map(model.weights);
    noHead.delete('classifier.weight');
    await expect(Trainer.create(gpu, { ...model, weights: noHead })).rejects.toThrow(/missing weight 'classifier.weight'/);
    const trainer = await Trainer.create(gpu, model);
    try {
      const b = batchOf(c);
      await expect(trainer.step({ ...b, B: 3 })).rejects.toThrow(/batch.inputIds must have B·T/);
      await expect(trainer.step({ ...b, inputIds: Array.from(b.inputIds, (v, i) => (i === 4 ? 9999 : v)) })).rejects.toThrow(/batch.inputIds\[4\] = 9999/);
      await expect(trainer.step({ ...b, labels: [0, 7] })).rejects.toThrow(/batch.labels\[1\] = 7/);
      await expect(trainer.step({ ...b, labels: [0] })).rejects.toThrow(/batch.labels must be an array of B = 2/);
      await expect(trainer.step({ ...b, T: 99, inputIds: [], tokenTypeIds: [], attentionMask: [] })).rejects.toThrow(/batch.T 99 exceeds max_position_embeddings/);
      expect((await trainer.step(b)).updated).toBe(true);  // a good batch after the bad ones
    } finally {
      trainer.dispose();
    }
    await expect(trainer.step(batchOf(c))).rejects.toThrow(/after dispose/);
  });
});
