// Dynamic micro-batching: calls that arrive while the GPU is busy (or within the same task tick) are packed into one
// forward, up to maxBatch sequences, padded to the longest. Each call gets back exactly its own rows.
import type { Encoding } from '../tokenizer/types.ts';
import type { ForwardBatch, ForwardOutputs, OutputSpec, RowOutput } from '../tasks/task.ts';

export type { ForwardBatch, RowOutput };

/** Runs one padded batch; returns the outputs named in the batcher's specs, batch-shaped. */
export type ForwardFn = (batch: ForwardBatch) => Promise<ForwardOutputs>;

interface Job {
  rows: Encoding[];
  /** Per row, the token positions whose 'selected' outputs it wants (fill-mask's masks), ascending. */
  predict?: number[][];
  results: RowOutput[];
  remaining: number;
  resolve(r: RowOutput[]): void;
  reject(e: unknown): void;
  signal?: AbortSignal;
  done: boolean;
}

export interface BatcherStats {
  calls: number;
  rows: number;
  forwards: number;
}

/**
 * Runs `fn` in a new macrotask, after every microtask of the current one: calls made in the same tick (e.g.
 * Promise.all over 200 inputs) have all been queued by then. setTimeout(0) would do that too, but it waits at least
 * 1 ms in Node and up to 4 ms in browsers (nested timers), which was most of a small model's per-call latency when
 * calls come one after another; a MessageChannel message is a macrotask with no such clamp.
 */
const nextTask: (fn: () => void) => void = (() => {
  if (typeof MessageChannel === 'undefined') return (fn) => void setTimeout(fn, 0);
  const queued: Array<() => void> = [];
  let channel: MessageChannel | null = null;
  // Node: a port with a listener keeps the process alive. It must while a task is queued (else a script whose only
  // pending work is a queued batch exits with status 13 before it runs) and must not once the queue is empty.
  type NodePort = MessagePort & { ref?(): void; unref?(): void };
  return (fn) => {
    if (!channel) {
      const port = (channel = new MessageChannel()).port1 as NodePort;
      port.onmessage = () => {
        queued.shift()?.();
        if (queued.length === 0) port.unref?.();
      };
    }
    queued.push(fn);
    (channel.port1 as NodePort).ref?.();
    channel.port2.postMessage(null);
  };
})();

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export class MicroBatcher {
  private readonly queue: Array<{ job: Job; index: number }> = [];
  private running = false;
  private scheduled = false;
  readonly stats: BatcherStats = { calls: 0, rows: 0, forwards: 0 };

  /** `outputs`: what the forward returns and how each is cut into rows (the task's OutputSpecs). */
  constructor(private readonly forward: ForwardFn, private readonly maxBatch: number, private readonly outputs: readonly OutputSpec[]) {}

  /** Resolves once nothing is queued or running: a model being replaced (after train()) answers its calls first. */
  async whenIdle(): Promise<void> {
    while (this.running || this.scheduled || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  submit(rows: Encoding[], signal?: AbortSignal, predict?: number[][]): Promise<RowOutput[]> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise<RowOutput[]>((resolve, reject) => {
      // The abort listener goes when the job settles: a long-lived signal shared by many calls must not keep their
      // results alive.
      const onAbort = () => this.fail(job, abortReason(signal!));
      const settle = () => signal?.removeEventListener('abort', onAbort);
      const job: Job = {
        rows, predict, results: new Array(rows.length), remaining: rows.length, signal, done: false,
        resolve: (r) => { settle(); resolve(r); },
        reject: (e) => { settle(); reject(e); },
      };
      this.stats.calls++;
      this.stats.rows += rows.length;
      rows.forEach((_, index) => this.queue.push({ job, index }));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.schedule();
    });
  }

  private fail(job: Job, error: unknown): void {
    if (job.done) return;
    job.done = true;
    // Its queued rows are dropped; rows already in a forward finish and are ignored.
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].job === job) this.queue.splice(i, 1);
    job.reject(error);
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // A macrotask, so that calls made in the same tick (e.g. Promise.all over 200 inputs) join one batch.
    nextTask(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const slice = this.queue.splice(0, this.maxBatch);
        await this.runSlice(slice);
      }
    } finally {
      this.running = false;
    }
  }

  private async runSlice(slice: Array<{ job: Job; index: number }>): Promise<void> {
    const B = slice.length;
    const lengths = slice.map(({ job, index }) => job.rows[index].ids.length);
    const T = Math.max(...lengths);
    const batch: ForwardBatch = {
      B, T, inputIds: new Int32Array(B * T), tokenTypeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T),
    };
    const predicts = slice.map(({ job, index }) => job.predict?.[index] ?? []);
    slice.forEach(({ job, index }, b) => {
      const e = job.rows[index];
      batch.inputIds.set(e.ids, b * T);
      batch.tokenTypeIds.set(e.tokenTypeIds, b * T);
      batch.attentionMask.set(e.attentionMask, b * T);
    });
    if (predicts.some((p) => p.length > 0)) batch.mlmRows = predicts.flatMap((p, b) => p.map((t) => b * T + t));
    let out: ForwardOutputs;
    try {
      this.stats.forwards++;
      out = await this.forward(batch);
    } catch (e) {
      for (const { job } of slice) this.fail(job, e);
      return;
    }
    let selected = 0;
    slice.forEach(({ job, index }, b) => {
      const k = predicts[b].length;
      selected += k;
      if (job.done) return;
      const row: RowOutput = {};
      for (const { name, layout, width } of this.outputs) {
        const o = out[name];
        if (!o) continue;
        if (layout === 'sequence') row[name] = o.slice(b * width, (b + 1) * width);
        else if (layout === 'token') row[name] = o.slice(b * T * width, (b * T + lengths[b]) * width);
        else row[name] = o.slice((selected - k) * width, selected * width);
      }
      job.results[index] = row;
      if (--job.remaining === 0) {
        job.done = true;
        job.resolve(job.results);
      }
    });
  }
}
