// The tuner's stand-in buffers for one op: every tensor the op touches at its declared size (floats small and random,
// integers 0, masks 1) and split-K scratch, so candidates run on realistic sizes without the model's weights.
import type { Graph, TensorDecl, TensorId } from '../graph/ops.ts';
import { numberToF16Bits } from './f16.ts';

export interface Scratch {
  buffer(id: TensorId): GPUBuffer;
  scratch(bytes: number): GPUBuffer;
  uniforms: GPUBuffer[];
  destroy(): void;
}

/** Buffers for one op: every tensor it touches at its declared size, floats small and random, integers 0 (mask 1). */
export function createScratch(device: GPUDevice, graph: Graph, opKey: string): Scratch {
  const owned: GPUBuffer[] = [];
  const byId = new Map<TensorId, GPUBuffer>();
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const make = (decl: TensorDecl | null, bytes: number) => {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const b = device.createBuffer({ label: `tune.${decl?.name ?? 'scratch'}`, size, usage, mappedAtCreation: true });
    owned.push(b);
    fill(b.getMappedRange(), decl);
    b.unmap();
    return b;
  };
  return {
    buffer(id) {
      let b = byId.get(id);
      if (!b) {
        const decl = graph.tensors[id];
        if (!decl) throw new Error(`tune: op ${opKey} reads tensor ${id}, which the graph does not declare`);
        const n = decl.shape.reduce((a, c) => a * c, 1);
        b = make(decl, n * (decl.type === 'f16' ? 2 : 4));
        byId.set(id, b);
      }
      return b;
    },
    scratch: (bytes) => make(null, bytes),
    uniforms: owned,
    destroy: () => owned.forEach((b) => b.destroy()),
  };
}

// A 64 KiB block of values in [-0.5, 0.5) repeated over the buffer: filling hundreds of MB (a vocabulary-sized
// weight) costs memcpy, not a random number per element.
const BLOCK = 1 << 14;
let f32Block: Float32Array | null = null;
let f16Block: Uint16Array | null = null;
function blocks(): { f32: Float32Array; f16: Uint16Array } {
  if (!f32Block || !f16Block) {
    let s = 0x9e3779b9;
    f32Block = new Float32Array(BLOCK).map(() => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32 - 0.5;
    });
    f16Block = Uint16Array.from(f32Block, (v) => numberToF16Bits(v));
  }
  return { f32: f32Block, f16: f16Block };
}

function fill(range: ArrayBuffer, decl: TensorDecl | null): void {
  if (decl === null) return;  // split-K scratch: written before it is read
  if (decl.type === 'u32') {
    // Token ids, type ids and gathered rows 0 are in range for any model; a mask of 1 keeps every key.
    if (/mask/i.test(decl.name)) new Uint32Array(range).fill(1);
    return;
  }
  const { f32, f16 } = blocks();
  const view = decl.type === 'f16' ? new Uint16Array(range) : new Float32Array(range);
  const src = decl.type === 'f16' ? f16 : f32;
  for (let o = 0; o < view.length; o += BLOCK) view.set(src.subarray(0, Math.min(BLOCK, view.length - o)), o);
}
