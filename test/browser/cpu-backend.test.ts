// The CPU backend in Chromium: its kernels with relaxed SIMD (Chromium validates it; Node 20 does not), and the
// pipeline where WebGPU is unavailable — navigator.gpu hidden in this page before bertgpu is imported, as in a browser
// without WebGPU — classifying in-thread, and in its Worker with device 'wasm'; results vs the fp64 PyTorch references.
import { describe, expect, it } from 'vitest';
import { softmax } from '../../src/model/heads.ts';
import { WasmKernels, wasmSimdSupport } from '../../src/cpu-backend/wasm-kernels.ts';
import { expectClose } from '../helpers/validate.ts';
import { kernelCases } from '../cpu-backend/kernel-cases.ts';
import reference from '../fixtures/tiny-bert/reference.json';

Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
const { pipeline } = await import('../../src/index.ts');

interface RefCase { name: string; text: string[]; textPair?: string[]; logits: { data: number[] } }
const cases = (reference as unknown as { cases: RefCase[] }).cases.filter((c) => c.text.length === 1);
const labels = ['negative', 'neutral', 'positive'];
const modelUrl = () => `${location.origin}/test/fixtures/tiny-bert`;
const input = (c: RefCase) => (c.textPair ? { text: c.text[0], textPair: c.textPair[0] } : c.text[0]);

describe('CPU backend kernels in Chromium (relaxed SIMD)', () => {
  it('Chromium validates relaxed SIMD, so the kernels use its fused multiply-add', () => {
    expect(wasmSimdSupport()).toEqual({ simd: true, relaxed: true });
  });
  let kernels: Promise<WasmKernels> | undefined;
  kernelCases(() => (kernels ??= WasmKernels.create({ relaxed: true })));
});

describe('pipeline in Chromium without WebGPU', () => {
  it('navigator.gpu is hidden here', () => {
    expect(navigator.gpu).toBeUndefined();
  });

  it('in-thread: the pipeline classifies on the CPU and info.device says why', async () => {
    const classify = await pipeline('text-classification', modelUrl(), { worker: false });
    try {
      expect(classify.info.device.backend).toBe('cpu');
      expect(classify.info.device.reason).toMatch(/^WebGPU is unavailable \(WebGPU is not available here \(navigator\.gpu is missing\)/);
      expect(classify.info.adapter.architecture).toBe('wasm-relaxed-simd');
      for (const c of cases) {
        const r = await classify(input(c), { topK: null });
        expectClose(c.name, labels.map((l) => r.find((x) => x.label === l)!.score), softmax(c.logits.data), { atol: 1e-4, rtol: 0 });
      }
    } finally {
      await classify.dispose();
    }
  });

  it("in the Worker with device 'wasm': the same scores", async () => {
    const classify = await pipeline('text-classification', modelUrl(), { device: 'wasm' });
    try {
      expect(classify.info.device).toEqual({ backend: 'cpu', reason: "device 'cpu' was asked for" });
      const results = await Promise.all(cases.map((c) => classify(input(c), { topK: null })));
      results.forEach((r, i) => expectClose(cases[i].name, labels.map((l) => r.find((x) => x.label === l)!.score), softmax(cases[i].logits.data), { atol: 1e-4, rtol: 0 }));
    } finally {
      await classify.dispose();
    }
  });
});
