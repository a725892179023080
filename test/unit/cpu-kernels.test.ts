// The CPU backend's WebAssembly kernels (SIMD128 build: Node 20's V8 does not validate relaxed SIMD) vs the float64
// references; the relaxed-SIMD build runs in test/browser/cpu-backend.test.ts.
import { describe, expect, it } from 'vitest';
import { WasmKernels, wasmSimdSupport } from '../../src/cpu-backend/wasm-kernels.ts';
import { kernelCases } from '../cpu-backend/kernel-cases.ts';

let kernels: Promise<WasmKernels> | undefined;

describe('CPU backend WebAssembly kernels vs float64 references', () => {
  it('this engine has SIMD128', () => {
    expect(wasmSimdSupport().simd).toBe(true);
  });
  kernelCases(() => (kernels ??= WasmKernels.create({ relaxed: false })));
});
