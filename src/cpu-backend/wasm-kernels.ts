// The CPU backend's WebAssembly kernels, instantiated over one memory, and a bump heap in that memory: weights are
// allocated once at load, a forward's activations above a mark that is released when it ends.
import { kernelBytes } from './kernel-bytes.ts';
import { MAX_PAGES, type KernelBuild } from './wat/module.ts';

/** A module whose one function uses f32x4.relaxed_madd: validates only where the engine has relaxed SIMD. */
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 0, 32, 0, 253, 133, 2, 11]);
/** The same with f32x4.add: validates where the engine has SIMD128. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 11, 1, 9, 0, 32, 0, 32, 0, 253, 228, 1, 11]);

/** What this engine's WebAssembly offers the kernels. */
export function wasmSimdSupport(): { simd: boolean; relaxed: boolean } {
  if (typeof WebAssembly !== 'object') return { simd: false, relaxed: false };
  return { simd: WebAssembly.validate(SIMD_PROBE), relaxed: WebAssembly.validate(RELAXED_PROBE) };
}

/** Exports of the kernel module (pointers are byte offsets into its memory; see wat/*.ts for each). */
export interface KernelExports {
  gemm(x: number, xStride: number, wp: number, bias: number, res: number, out: number, M: number, N: number, K: number,
    epi: number, p0: number, p1: number, scratch: number): void;
  layernorm(x: number, out: number, gamma: number, beta: number, C: number, eps: number, r0: number, r1: number): void;
  embedding(ids: number, typeIds: number, word: number, pos: number, type: number, gamma: number, beta: number, out: number,
    T: number, C: number, offset: number, eps: number, r0: number, r1: number): void;
  attention(qkv: number, mask: number, out: number, probs: number, T: number, NH: number, HS: number, bh0: number, bh1: number, scratch: number): void;
  act(p: number, n: number, code: number): void;
}

const PAGE = 65536;
/** The first bytes are never handed out: pointer 0 means "none" to the kernels. */
const RESERVED = 64;

export class WasmKernels {
  private top = RESERVED;

  private constructor(readonly memory: WebAssembly.Memory, readonly k: KernelExports, readonly build: KernelBuild, readonly module: WebAssembly.Module) {}

  /**
   * Instantiates the kernels: relaxed-SIMD FMA where the engine validates it (unless told not to); over a shared
   * memory when `shared` (for kernel threads: threads.ts).
   */
  static async create(options: { relaxed?: boolean; shared?: boolean } = {}): Promise<WasmKernels> {
    const support = wasmSimdSupport();
    if (!support.simd) throw new Error('the CPU backend needs WebAssembly SIMD128, which this engine lacks');
    const relaxed = options.relaxed ?? support.relaxed;
    if (relaxed && !support.relaxed) throw new Error('relaxed SIMD was asked for but this engine does not validate it');
    const shared = options.shared === true;
    if (shared && typeof SharedArrayBuffer !== 'function') throw new Error('kernel threads need SharedArrayBuffer, which this context lacks (a page must be crossOriginIsolated)');
    const build = { relaxed, shared };
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared });
    const module = await WebAssembly.compile(await kernelBytes(build));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new WasmKernels(memory, instance.exports as unknown as KernelExports, build, module);
  }

  /** `bytes` of the heap, 16-byte aligned; grows the memory as needed. */
  alloc(bytes: number): number {
    const p = this.top;
    const end = p + Math.ceil(bytes / 16) * 16;
    if (end > MAX_PAGES * PAGE) throw new Error(`CPU backend: ${end} bytes of WebAssembly memory needed, over its 4 GiB limit`);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return p;
  }

  /** The heap's top, to release everything allocated after it. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    if (mark < RESERVED || mark > this.top) throw new Error(`CPU backend: bad heap mark ${mark}`);
    this.top = mark;
  }

  /** A fresh view (the memory's buffer changes when it grows). */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  u32(ptr: number, length: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, length);
  }

  /** Copies `data` into a new allocation and returns its pointer. */
  put(data: Float32Array | Uint32Array): number {
    const p = this.alloc(data.byteLength);
    new Uint8Array(this.memory.buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return p;
  }
}
