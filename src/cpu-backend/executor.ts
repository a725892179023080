// The CPU executor: a graph (src/graph/ops.ts, the same one the GPU plans run) lowered to the WebAssembly kernels,
// a switch over op kinds like the GPU lowering. A CpuPlan fixes, for one (batch, sequence) graph, every activation's
// place in an arena sized by liveness (a tensor's bytes are reused once its last reader has run), and each op's
// kernel calls; running it writes the inputs, calls the kernels (split over the kernel threads when there are some:
// threads.ts) and copies the outputs out.
import { assertNever, opInputs, type Graph, type Op, type TensorDecl, type TensorId } from '../graph/ops.ts';
import type { KernelCall, KernelThreads } from './threads.ts';
import { attentionScratchBytes } from './wat/attention.ts';
import { panelCount } from './pack.ts';
import type { WasmKernels } from './wasm-kernels.ts';
import { EPILOGUE_CODE } from './wat/math.ts';

/** Where a plan finds its weights in the kernels' memory, by the name the graph declared. */
export interface CpuWeightStore {
  /** Row-major data as the checkpoint has it (embedding tables, LayerNorm parameters). */
  rows(name: string, decl: TensorDecl): number;
  /** A matmul weight (N, K) packed into the gemm's panels. */
  panels(name: string, N: number, K: number): number;
  /** A matmul bias (N) padded to whole panels. */
  bias(name: string, N: number): number;
}

/** How one op runs, given the arena's base pointer: kernel calls in order (a function: work done on this thread). */
type Step = (base: number) => Array<KernelCall | (() => void)>;

export interface CpuPlan {
  graph: Graph;
  /** Bytes of the arena a run allocates (activations, inputs, the ops' scratch). */
  arenaBytes: number;
  /** One forward; runs of one plan (or of plans sharing the kernels' heap) must not overlap. */
  run(inputs: Record<string, Uint32Array>, outputs: readonly string[]): Promise<Record<string, Float32Array>>;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

function tensorBytes(t: TensorDecl): number {
  return t.shape.reduce((a, b) => a * b, 1) * 4;
}

/**
 * Arena offsets for the graph's inputs and activations: inputs and graph outputs live for the whole run; every other
 * activation from its writer to its last reader, its bytes then reused by a later tensor of the same size (BERT's
 * layers repeat their shapes, so exact-size reuse finds nearly every slot).
 */
function planArena(graph: Graph): { offsets: Map<TensorId, number>; bytes: number } {
  const offsets = new Map<TensorId, number>();
  let top = 0;
  const bump = (bytes: number) => {
    const at = top;
    top += align16(bytes);
    return at;
  };
  for (const id of Object.values(graph.inputs)) offsets.set(id, bump(tensorBytes(graph.tensors[id])));
  const kept = new Set(Object.values(graph.outputs));
  const lastUse = new Map<TensorId, number>();
  graph.ops.forEach((op, i) => { for (const id of opInputs(op)) lastUse.set(id, i); });
  const free = new Map<number, number[]>();
  graph.ops.forEach((op, i) => {
    const out = op.out;
    if (!offsets.has(out)) {
      const size = align16(tensorBytes(graph.tensors[out]));
      const reuse = kept.has(out) ? undefined : free.get(size)?.pop();
      offsets.set(out, reuse ?? bump(size));
    }
    for (const id of opInputs(op)) {
      const t = graph.tensors[id];
      if (t.role !== 'activation' || kept.has(id) || lastUse.get(id) !== i) continue;
      const size = align16(tensorBytes(t));
      let list = free.get(size);
      if (!list) free.set(size, (list = []));
      list.push(offsets.get(id)!);
    }
  });
  return { offsets, bytes: top };
}

/** Scratch bytes one thread needs for an op beyond its tensors (gemm's partial-panel buffer, attention's transposed K). */
function threadScratchBytes(op: Op): number {
  switch (op.kind) {
    case 'matmul': case 'matmulLayernorm': return 32;
    case 'attention': case 'attentionProbs': return attentionScratchBytes(op.T, op.HS);
    case 'attentionOutput': return Math.max(attentionScratchBytes(op.T, op.HS), 32);
    case 'embedding': case 'layernorm': case 'gatherRows': return 0;
    default: return assertNever(op);
  }
}

/** An intermediate the op makes and does not keep, shared by the threads: the context of the attention ops that fuse it. */
function contextBytes(op: Op): number {
  return op.kind === 'attentionProbs' || op.kind === 'attentionOutput' ? align16(op.B * op.T * op.NH * op.HS * 4) : 0;
}

export function createCpuPlan(k: WasmKernels, weights: CpuWeightStore, graph: Graph, threads: KernelThreads | null = null): CpuPlan {
  const { offsets, bytes } = planArena(graph);
  // Arena: tensors, then the fused attention's context, then one scratch per thread.
  const contextAt = bytes;
  const scratchAt = contextAt + Math.max(0, ...graph.ops.map(contextBytes));
  const scratchPerThread = align16(Math.max(0, ...graph.ops.map(threadScratchBytes)));
  const arenaBytes = scratchAt + scratchPerThread * Math.max(1, threads?.count ?? 1);
  // Kernel calls by export: where each one's work range and scratch pointer sit in its arguments (wat/*.ts).
  const gemm = (args: number[]): KernelCall => ({ fn: 'gemm', args, range: 10, scratch: 12 });
  const layernorm = (args: number[]): KernelCall => ({ fn: 'layernorm', args, range: 6 });
  const attention = (args: number[]): KernelCall => ({ fn: 'attention', args, range: 7, scratch: 9 });
  const w = (id: TensorId) => graph.tensors[id];
  const rows = (id: TensorId) => weights.rows(w(id).name, w(id));
  const steps: Step[] = graph.ops.map((op): Step => {
    const at = (id: TensorId) => offsets.get(id)!;
    switch (op.kind) {
      case 'embedding': {
        const p = [rows(op.wordEmb), rows(op.posEmb), rows(op.typeEmb), rows(op.gamma), rows(op.beta)];
        return (base) => [{ fn: 'embedding', range: 12, args: [base + at(op.ids), base + at(op.typeIds), p[0], p[1], p[2], p[3], p[4], base + at(op.out),
          op.T, op.C, op.positionOffset, op.eps, 0, op.B * op.T] }];
      }
      case 'matmul': {
        const wp = weights.panels(w(op.w).name, op.N, op.K);
        const bp = weights.bias(w(op.b).name, op.N);
        const residual = op.epilogue === 'residual';
        if (residual && op.residual === null) throw new Error(`CPU plan: matmul ${w(op.out).name} has the residual epilogue but no residual tensor`);
        const code = op.epilogue === 'residual' ? EPILOGUE_CODE.none : EPILOGUE_CODE[op.epilogue];
        return (base) => [gemm([base + at(op.x), op.xRowStep * op.K * 4, wp, bp, residual ? base + at(op.residual!) : 0, base + at(op.out),
          op.M, op.N, op.K, code, 0, panelCount(op.N), 0])];
      }
      case 'matmulLayernorm': {
        const wp = weights.panels(w(op.w).name, op.N, op.K);
        const bp = weights.bias(w(op.b).name, op.N);
        const [g, b] = [rows(op.gamma), rows(op.beta)];
        return (base) => {
          const out = base + at(op.out);
          return [
            gemm([base + at(op.x), op.K * 4, wp, bp, base + at(op.residual), out, op.M, op.N, op.K, EPILOGUE_CODE.none, 0, panelCount(op.N), 0]),
            layernorm([out, out, g, b, op.N, op.eps, 0, op.M]),
          ];
        };
      }
      case 'layernorm': {
        const [g, b] = [rows(op.gamma), rows(op.beta)];
        return (base) => [layernorm([base + at(op.x), base + at(op.out), g, b, op.C, op.eps, 0, op.rows])];
      }
      case 'gatherRows':
        return (base) => [() => {
          const mem = new Uint32Array(k.memory.buffer);
          const x = (base + at(op.x)) / 4;
          const out = (base + at(op.out)) / 4;
          const picks = k.u32(base + at(op.rows), op.R);
          for (let r = 0; r < op.R; r++) {
            const row = picks[r];
            if (row >= op.rowsIn) throw new Error(`gatherRows: row ${row} is outside the ${op.rowsIn} rows of ${w(op.x).name}`);
            mem.copyWithin(out + r * op.W, x + row * op.W, x + (row + 1) * op.W);
          }
        }];
      case 'attention':
        return (base) => [attention([base + at(op.qkv), base + at(op.mask), base + at(op.out), 0, op.T, op.NH, op.HS, 0, op.B * op.NH, 0])];
      case 'attentionProbs':
        return (base) => [attention([base + at(op.qkv), base + at(op.mask), base + contextAt, base + at(op.out), op.T, op.NH, op.HS, 0, op.B * op.NH, 0])];
      case 'attentionOutput': {
        // Wo was given transposed (in, out) for the GPU kernel; the store packs panels from either layout.
        const C = op.NH * op.HS;
        const wp = weights.panels(w(op.woT).name, C, C);
        const bp = weights.bias(w(op.b).name, C);
        const [g, b] = [rows(op.gamma), rows(op.beta)];
        return (base) => {
          const out = base + at(op.out);
          const ctx = base + contextAt;
          return [
            attention([base + at(op.qkv), base + at(op.mask), ctx, 0, op.T, op.NH, op.HS, 0, op.B * op.NH, 0]),
            gemm([ctx, C * 4, wp, bp, base + at(op.residual), out, op.B * op.T, C, C, EPILOGUE_CODE.none, 0, panelCount(C), 0]),
            layernorm([out, out, g, b, C, op.eps, 0, op.B * op.T]),
          ];
        };
      }
      default:
        return assertNever(op);
    }
  });

  return {
    graph,
    arenaBytes,
    async run(inputs, outputs) {
      const mark = k.mark();
      try {
        const base = k.alloc(arenaBytes);
        for (const [name, id] of Object.entries(graph.inputs)) {
          const data = inputs[name];
          const n = tensorBytes(w(id)) / 4;
          if (!data || data.length !== n) throw new Error(`CPU plan: input ${name} needs ${n} elements, got ${data?.length}`);
          k.u32(base + offsets.get(id)!, n).set(data);
        }
        for (const step of steps) {
          for (const call of step(base)) {
            if (typeof call === 'function') call();
            else if (threads && call.args[call.range + 1] - call.args[call.range] > 1) await threads.run(call, base + scratchAt, scratchPerThread);
            else {
              if (call.scratch !== undefined) call.args[call.scratch] = base + scratchAt;
              (k.k[call.fn] as (...args: number[]) => void)(...call.args);
            }
          }
        }
        const result: Record<string, Float32Array> = {};
        for (const name of outputs) {
          const id = graph.outputs[name];
          if (id === undefined) throw new Error(`CPU plan: the graph has no output "${name}"`);
          result[name] = k.f32(base + offsets.get(id)!, tensorBytes(w(id)) / 4).slice();
        }
        return result;
      } finally {
        k.release(mark);
      }
    },
  };
}
