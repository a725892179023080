// Kernel threads: Workers (browser, when the page is crossOriginIsolated so memory can be shared) or worker_threads
// (Node), each instantiating the same kernel module over the same shared WebAssembly memory. The main thread owns
// the heap and every allocation; a kernel call is split into ranges of its work (gemm: column panels, attention:
// (batch, head) pairs, LayerNorm and embeddings: rows), one per thread, each with its own scratch. The split never
// changes any sum's order, so results are bit-identical to one thread.

/** One end of a thread: what both Worker kinds offer. */
export interface ThreadPort {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: unknown) => void): void;
  terminate(): void;
}

/** Starts a thread running `source` (plain JavaScript, no imports). */
export type SpawnThread = (source: string) => ThreadPort;

export interface ThreadOptions {
  spawn: SpawnThread;
  /** Threads in all, the calling one waiting (so `count` workers run the kernels). */
  count: number;
}

/** A kernel call with its work range at args[range], args[range + 1] and its scratch pointer at args[scratch]. */
export interface KernelCall {
  fn: 'gemm' | 'layernorm' | 'embedding' | 'attention';
  args: number[];
  range: number;
  scratch?: number;
}

// The thread's script: instantiate the module over the shared memory, then run calls until terminated.
const THREAD_SOURCE = `
const port = typeof self === 'object' && typeof self.postMessage === 'function'
  ? { on: (f) => { self.onmessage = (e) => f(e.data); }, post: (m) => self.postMessage(m) }
  : (() => { const { parentPort } = require('node:worker_threads'); return { on: (f) => parentPort.on('message', f), post: (m) => parentPort.postMessage(m) }; })();
let kernels;
port.on(async (m) => {
  if (m.module) {
    try {
      kernels = (await WebAssembly.instantiate(m.module, { env: { memory: m.memory } })).exports;
      port.post({ ready: true });
    } catch (e) { port.post({ ready: false, error: String(e && e.message || e) }); }
    return;
  }
  try { kernels[m.fn](...m.args); port.post({ id: m.id }); } catch (e) { port.post({ id: m.id, error: String(e && e.message || e) }); }
});
`;

export class KernelThreads {
  private next = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(private readonly ports: ThreadPort[]) {
    for (const port of ports) {
      port.onMessage((m) => {
        const { id, error } = m as { id?: number; error?: string };
        if (id === undefined) return;
        const p = this.pending.get(id);
        this.pending.delete(id);
        if (error) p?.reject(new Error(`CPU backend thread: ${error}`));
        else p?.resolve();
      });
      port.onError((e) => this.fail(new Error(`CPU backend thread died: ${(e as Error)?.message ?? String(e)}`)));
    }
  }

  /** `count` threads over `memory` (shared), each with `module` instantiated; rejects if any cannot start. */
  static async create(spawn: SpawnThread, count: number, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelThreads> {
    const ports: ThreadPort[] = [];
    try {
      for (let i = 0; i < count; i++) ports.push(spawn(THREAD_SOURCE));
      await Promise.all(ports.map((port) => new Promise<void>((resolve, reject) => {
        port.onMessage((m) => {
          const r = m as { ready?: boolean; error?: string };
          if (r.ready === true) resolve();
          else if (r.ready === false) reject(new Error(`CPU backend thread could not start its kernels: ${r.error}`));
        });
        port.onError(reject);
        port.post({ module, memory });
      })));
    } catch (e) {
      for (const p of ports) p.terminate();
      throw e;
    }
    return new KernelThreads(ports);
  }

  get count(): number {
    return this.ports.length;
  }

  /**
   * Runs `call` split over the threads: [0, total) in contiguous ranges, thread i's scratch at scratchBase + i·scratchBytes.
   * Resolves when every part is done.
   */
  run(call: KernelCall, scratchBase: number, scratchBytes: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const total = call.args[call.range + 1] - call.args[call.range];
    const start = call.args[call.range];
    const parts = Math.min(this.ports.length, total);
    const chunk = Math.ceil(total / parts);
    const done: Promise<void>[] = [];
    for (let i = 0; i * chunk < total; i++) {
      const args = call.args.slice();
      args[call.range] = start + i * chunk;
      args[call.range + 1] = start + Math.min(total, (i + 1) * chunk);
      if (call.scratch !== undefined) args[call.scratch] = scratchBase + i * scratchBytes;
      const id = this.next++;
      done.push(new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject })));
      this.ports[i].post({ id, fn: call.fn, args });
    }
    return Promise.all(done).then(() => undefined);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  close(): void {
    for (const p of this.ports) p.terminate();
    this.fail(new Error('CPU backend threads were closed'));
  }
}
