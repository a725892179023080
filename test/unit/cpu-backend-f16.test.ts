// Half-precision checkpoints on the CPU backend: tiny-bert's weights stored as F16 and as BF16 (safetensors dtypes),
// widened to f32 at load (cpu-weights.ts → readSafetensors), vs float64 forwards.
// - The acceptance check: the logits equal the float64 forward (src/cpu/bert-backward.ts, itself checked against
//   PyTorch at ~1e-12) of the *same* half-precision values, decoded here by arithmetic independent of the loader, at
//   1e-3 (measured 2e-6: f32 arithmetic is the only difference).
// - Against PyTorch's fp64 reference of the original f32 weights, the weights' own rounding dominates (measured worst
//   logits |Δ|: F16 4.8e-3, BF16 3.4e-2; the single-text scores: within 1e-3 for F16), so those bounds are looser:
//   they show the half checkpoint is still the same model.
// A wrong widening (F16 read as BF16, a dropped sign, a byte swap) moves the logits by far more than 1e-3.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCpuBertWeights } from '../../src/cpu-backend/cpu-weights.ts';
import { CpuBertModel } from '../../src/cpu-backend/cpu-model.ts';
import { bertClassifierBackward, bertShapeFromConfig } from '../../src/cpu/bert-backward.ts';
import { openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { pipeline } from '../../src/node.ts';
import { softmax } from '../../src/model/heads.ts';
import { numberToF16Bits } from '../../src/weights/dtypes.ts';
import { expectClose } from '../helpers/validate.ts';
import { writeSafetensors, type WriterTensor } from '../helpers/safetensors-writer.ts';
import { batchOf, fixturesDir, readReference } from '../model/fixture.ts';

const tiny = join(fixturesDir, 'tiny-bert');
const ref = readReference('tiny-bert');
const singles = ref.cases.filter((c) => c.text.length === 1);
const labels = ['negative', 'neutral', 'positive'];
const input = (c: (typeof singles)[number]) => (c.textPair ? { text: c.text[0], textPair: c.textPair[0] } : c.text[0]);

/** The f32 tensors of a safetensors file, parsed here from the spec (8-byte header length, JSON, data). */
function readF32Tensors(file: string): { name: string; shape: number[]; data: Float32Array }[] {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  return Object.entries(header).filter(([k]) => k !== '__metadata__').map(([name, e]) => {
    if (e.dtype !== 'F32') throw new Error(`${name}: fixture tensor is ${e.dtype}, expected F32`);
    const raw = bytes.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    return { name, shape: e.shape, data: new Float32Array(Uint8Array.from(raw).buffer) };
  });
}

/** Round-to-nearest-even f32 → bf16 bits (finite inputs): the top half after adding the rounding bias. */
function bf16Bits(x: number): number {
  const u = new Uint32Array(Float32Array.of(x).buffer)[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** IEEE half bits → number, by arithmetic (independent of the loader's table). */
function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** bf16 bits → number through a DataView (the top half of an f32). */
function bf16Value(h: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint16(0, h, false);
  return dv.getFloat32(0, false);
}

/** What a correct loader must produce from the half checkpoint: every weight rounded and decoded, as float64. */
function halfValues(dtype: 'F16' | 'BF16'): Map<string, Float64Array> {
  const [encode, decode] = dtype === 'F16' ? [numberToF16Bits, f16Value] : [bf16Bits, bf16Value];
  return new Map(readF32Tensors(join(tiny, 'model.safetensors')).map((t) => [t.name, Float64Array.from(t.data, (v) => decode(encode(v)))]));
}

/** tiny-bert's folder with model.safetensors re-encoded as `dtype`, every float tensor rounded to nearest. */
function halfCheckpoint(dtype: 'F16' | 'BF16'): string {
  const dir = mkdtempSync(join(tmpdir(), `bertgpu-cpu-${dtype}-`));
  for (const f of readdirSync(tiny, { withFileTypes: true })) if (f.isFile() && f.name !== 'model.safetensors') copyFileSync(join(tiny, f.name), join(dir, f.name));
  const encode = dtype === 'F16' ? numberToF16Bits : bf16Bits;
  const tensors: WriterTensor[] = readF32Tensors(join(tiny, 'model.safetensors')).map((t) => ({
    name: t.name, dtype, shape: t.shape,
    data: new Uint8Array(Uint16Array.from(t.data, (v) => encode(v)).buffer),
  }));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors));
  return dir;
}

describe('half-precision checkpoints on the CPU backend vs PyTorch fp64', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const [dtype, atol, roundingTol] of [['F16', 1e-3, 1e-2], ['BF16', 8e-3, 6e-2]] as const) {
    it(`${dtype} weights, widened at load: logits equal the float64 forward of the same ${dtype} values`, async () => {
      const dir = halfCheckpoint(dtype);
      dirs.push(dir);
      const weights = await loadCpuBertWeights(await openModel(dirProvider(dir)));
      const cpu = await CpuBertModel.create(weights);
      try {
        const shape = bertShapeFromConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>);
        const f64 = halfValues(dtype);
        let worst = 0;
        let worstTorch = 0;
        for (const c of ref.cases) {
          const want = bertClassifierBackward(shape, f64, { ...c, labels: c.inputIds.map(() => 0) }, 'single_label_classification').logits;
          const out = await cpu.forward(batchOf(c), ['logits']);
          expectClose(`${dtype} ${c.name} logits vs float64 on the ${dtype} weights`, out.logits!, want, { atol: 1e-3, rtol: 0 });
          worst = Math.max(worst, ...Array.from(out.logits!, (v, i) => Math.abs(v - want[i])));
          worstTorch = Math.max(worstTorch, ...Array.from(out.logits!, (v, i) => Math.abs(v - c.logits.data[i])));
          // vs PyTorch's float64 on the f32 weights: the weights' rounding apart (measured: F16 2.1e-3, BF16 1.03e-2)
          expectClose(`${dtype} ${c.name} logits vs PyTorch`, out.logits!, c.logits.data, { atol: roundingTol, rtol: 0 });
        }
        console.log(`${dtype}: worst |Δ| logits vs float64 on the same weights ${worst.toExponential(2)}, vs PyTorch on f32 ${worstTorch.toExponential(2)}`);
      } finally {
        await cpu.dispose();
      }
    });

    it(`${dtype} weights through pipeline({ device: 'cpu' }): scores within ${atol}`, async () => {
      const dir = halfCheckpoint(dtype);
      dirs.push(dir);
      const classify = await pipeline('text-classification', dir, { device: 'cpu' });
      try {
        expect(classify.info.device.backend).toBe('cpu');
        const batched = await classify(singles.map(input), { topK: null });
        let worst = 0;
        for (const [i, c] of singles.entries()) {
          const got = labels.map((l) => batched[i].find((r) => r.label === l)!.score);
          const want = softmax(c.logits.data);
          expectClose(`${dtype} ${c.name} scores`, got, want, { atol, rtol: 0 });
          worst = Math.max(worst, ...got.map((v, j) => Math.abs(v - want[j])));
        }
        // Not vacuous: the rounding is visible (a test that also passed on the f32 file would prove nothing).
        expect(worst).toBeGreaterThan(0);
      } finally {
        await classify.dispose();
      }
    });
  }
});
