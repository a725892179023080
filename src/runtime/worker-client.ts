// The page side of a Worker pipeline: a thin proxy with the Runtime's interface. Requests carry ids; progress and
// results are routed back to their caller; an AbortSignal becomes an 'abort' message for that request.
import type { Labels } from '../model/heads.ts';
import type { LoadProgress } from '../weights/stream.ts';
import type { RuntimeLike } from './callable.ts';
import { reviveError, type FromWorker, type ToWorker, type WorkerPipelineOptions } from './protocol.ts';
import type { InspectResult, PipelineInfo, RuntimeStats } from './runtime.ts';

type Pending = { resolve(v: unknown): void; reject(e: Error): void; onProgress?: (p: LoadProgress) => void };
type Outgoing = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export class WorkerRuntime implements RuntimeLike {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private currentInfo!: PipelineInfo;
  private terminated = false;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (ev: MessageEvent<FromWorker>) => this.receive(ev.data);
    // A message that cannot be deserialised would leave its request pending for ever: fail everything instead.
    worker.onmessageerror = () => this.failAll(new Error('the bertgpu Worker sent a message that could not be read'));
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.failAll(new Error(`the bertgpu Worker failed: ${ev.message || 'script error (could it load?)'}`));
    };
  }

  static async create(worker: Worker, task: string, model: string | File[], options: WorkerPipelineOptions,
    onProgress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<WorkerRuntime> {
    const rt = new WorkerRuntime(worker);
    try {
      rt.currentInfo = (await rt.request({ type: 'create', task, model, options }, signal, onProgress)) as PipelineInfo;
    } catch (e) {
      rt.terminate();
      throw e;
    }
    return rt;
  }

  private receive(m: FromWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return; // an answer to a request the caller already abandoned
    if (m.type === 'progress') {
      p.onProgress?.(m.progress);
      return;
    }
    this.pending.delete(m.id);
    if (m.type === 'error') p.reject(reviveError(m.error));
    else if (m.type === 'created') p.resolve(m.info);
    else {
      if (m.info) this.currentInfo = m.info;
      p.resolve(m.value);
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private request(msg: Outgoing, signal?: AbortSignal, onProgress?: (p: LoadProgress) => void): Promise<unknown> {
    if (this.terminated) return Promise.reject(new Error('this pipeline was disposed; create a new one'));
    if (signal?.aborted) return Promise.reject(signal.reason ?? new DOMException('The operation was aborted', 'AbortError'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        this.worker.postMessage({ id: this.nextId++, type: 'abort', target: id } satisfies ToWorker);
        reject(signal!.reason ?? new DOMException('The operation was aborted', 'AbortError'));
      };
      // The listener goes with the request, so a signal shared by many calls does not keep them alive.
      const settle = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (v) => { settle(); resolve(v); },
        reject: (e) => { settle(); reject(e); },
        onProgress,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.worker.postMessage({ ...msg, id } as ToWorker);
      } catch (e) {
        this.pending.delete(id);
        reject(new TypeError(`inputs cannot be sent to the Worker: ${(e as Error).message}`));
      }
    });
  }

  get info(): PipelineInfo {
    return this.currentInfo;
  }

  run(inputs: unknown, options?: unknown): Promise<unknown> {
    let signal: AbortSignal | undefined;
    let rest = options;
    if (options && typeof options === 'object' && 'signal' in options) {
      const { signal: s, ...others } = options as { signal?: AbortSignal };
      signal = s;
      rest = others;
    }
    return this.request({ type: 'run', inputs, options: rest }, signal);
  }

  loss(inputs: unknown, labels: Labels, options?: { signal?: AbortSignal }): Promise<number> {
    return this.request({ type: 'loss', inputs, labels }, options?.signal) as Promise<number>;
  }

  inspect(input: unknown, options?: { layer?: number }): Promise<InspectResult> {
    return this.request({ type: 'inspect', input, options }) as Promise<InspectResult>;
  }

  stats(): Promise<RuntimeStats> {
    return this.request({ type: 'stats' }) as Promise<RuntimeStats>;
  }

  async dispose(): Promise<void> {
    if (this.terminated) return;
    try {
      await this.request({ type: 'dispose' });
    } finally {
      this.terminate();
    }
  }

  private terminate(): void {
    this.terminated = true;
    this.worker.terminate();
    this.failAll(new Error('this pipeline was disposed; create a new one'));
  }
}
