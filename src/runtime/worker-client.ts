// The page side of a Worker pipeline: a thin proxy with the Runtime's interface. Requests carry ids; progress and
// results are routed back to their caller; an AbortSignal becomes an 'abort' message for that request.
//
// A Worker can die under a pipeline: it runs out of memory, crashes, is terminated, or closes itself. Most of these
// fire no event on the Worker object, so without help every pending call (and every later one) would wait for ever.
// Liveness comes from a Web Lock rather than a heartbeat: the Worker takes a lock named for it and never releases it;
// the page queues for the same lock, and the browser grants it to the page exactly when the Worker's context is gone.
// That is immediate, costs nothing while the Worker lives, and never mistakes a busy Worker (a long synchronous
// tokenization, a slow GPU) for a dead one, as a ping with a timeout would. Web Locks exist wherever WebGPU does
// (both need a secure context); without them only the Worker's 'error' events are seen. Either way a death fails the
// pending calls and all later ones with an error that says to create a new pipeline, and the Worker is terminated.
import type { Labels } from '../model/heads.ts';
import type { LoadProgress } from '../weights/stream.ts';
import type { CallShape, RuntimeLike } from './callable.ts';
import { reviveError, type FromWorker, type ToWorker, type WorkerPipelineOptions } from './protocol.ts';
import type { ProfileResult } from './profile.ts';
import type { EvaluateResult, SaveOptions, TrainOptions, TrainStep } from '../tasks/train-api.ts';
import type { ExplainOptions, Explanation } from '../tasks/train-explain.ts';
import type { InspectResult, PipelineInfo, RuntimeStats } from './runtime.ts';

type Pending = { resolve(v: unknown): void; reject(e: Error): void; onProgress?: (p: LoadProgress) => void; onStep?: (s: TrainStep) => void };
type Outgoing = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export class WorkerRuntime implements RuntimeLike {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private currentInfo!: PipelineInfo;
  /** From the Worker's `created`: what the callable needs of the task. */
  callShape: CallShape = {};
  /** Why this pipeline can no longer be used (disposed, or its Worker died); null while it can. */
  private closedReason: string | null = null;
  /** Withdraws the page's queued request for the Worker's lock once the pipeline is closed. */
  private readonly lifeWatch = new AbortController();

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (ev: MessageEvent<FromWorker>) => this.receive(ev.data);
    // A message that cannot be deserialised would leave its request pending for ever: fail everything instead.
    worker.onmessageerror = () => this.failAll(new Error('the bertgpu Worker sent a message that could not be read'));
    // An uncaught error in the Worker (its script failed to load, or something escaped the request handlers, which
    // never let an error out): its state is unknown and the calls in flight may never be answered, so it is closed.
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.close(`the bertgpu Worker failed: ${ev.message || 'script error (could it load?)'}; this pipeline cannot be used any more, create a new pipeline`);
    };
  }

  static async create(worker: Worker, task: string, model: string | File[], options: WorkerPipelineOptions,
    onProgress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<WorkerRuntime> {
    const rt = new WorkerRuntime(worker);
    rt.watchLife();
    try {
      const created = (await rt.request({ type: 'create', task, model, options }, signal, onProgress)) as { info: PipelineInfo; callShape: CallShape };
      rt.currentInfo = created.info;
      rt.callShape = created.callShape;
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
    if (m.type === 'step') {
      try {
        p.onStep?.(m.step);
      } catch (e) {
        // As in-thread, a throwing onStep ends the run with its error, once the Worker's run has stopped.
        const fail = () => p.reject(e as Error);
        this.pending.set(m.id, { resolve: fail, reject: fail });
        this.worker.postMessage({ id: this.nextId++, type: 'abort', target: m.id } satisfies ToWorker);
      }
      return;
    }
    this.pending.delete(m.id);
    if (m.type === 'error') p.reject(reviveError(m.error));
    else if (m.type === 'created') p.resolve({ info: m.info, callShape: m.callShape });
    else {
      if (m.info) this.currentInfo = m.info;
      p.resolve(m.value);
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Asks the Worker to hold a lock for its lifetime, then queues for that lock: it is granted when the Worker dies. */
  private watchLife(): void {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (!locks) return;
    const name = `bertgpu-worker-${typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : Math.random().toString(36).slice(2)}`;
    this.request({ type: 'liveness', lock: name }).then((held) => {
      if (!held || this.closedReason !== null) return;
      locks.request(name, { signal: this.lifeWatch.signal }, () => {
        this.close('the bertgpu Worker stopped (it crashed, ran out of memory or was terminated); ' +
          'this pipeline cannot be used any more, create a new pipeline');
      }).catch(() => undefined); // withdrawn by close()
    }, () => undefined); // the Worker failed before answering: close() already said why
  }

  /** Ends the pipeline for `reason`: the Worker goes, and pending and later calls reject with `reason`. */
  private close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.lifeWatch.abort();
    this.worker.terminate();
    this.failAll(new Error(reason));
  }

  /**
   * `settleInWorker`: on abort, wait for the Worker's own answer instead of rejecting at once (train(): when it
   * rejects, the Worker's run has stopped, so a save() or a new train() right after does not find it still running).
   */
  private request(msg: Outgoing, signal?: AbortSignal, onProgress?: (p: LoadProgress) => void, onStep?: (s: TrainStep) => void, settleInWorker = false): Promise<unknown> {
    if (this.closedReason !== null) return Promise.reject(new Error(this.closedReason));
    if (signal?.aborted) return Promise.reject(signal.reason ?? new DOMException('The operation was aborted', 'AbortError'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (settleInWorker) {
          if (this.pending.has(id)) this.worker.postMessage({ id: this.nextId++, type: 'abort', target: id } satisfies ToWorker);
          return;
        }
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
        onStep,
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

  profile(inputs: unknown): Promise<ProfileResult> {
    return this.request({ type: 'profile', inputs }) as Promise<ProfileResult>;
  }

  train(examples: unknown, options?: TrainOptions): Promise<TrainStep[]> {
    const plain = !!options && typeof options === 'object' && !Array.isArray(options);
    const { signal, onStep, ...rest } = (plain ? options : {}) as TrainOptions;
    if (onStep !== undefined && typeof onStep !== 'function') return Promise.reject(new TypeError('train(): option onStep must be a function'));
    // info follows the reloaded model (labels, kernels): the result message carries it.
    return this.request({ type: 'train', examples, options: plain ? rest : options }, signal, undefined, onStep, true) as Promise<TrainStep[]>;
  }

  evaluate(examples: unknown, options?: { signal?: AbortSignal }): Promise<EvaluateResult> {
    return this.request({ type: 'evaluate', examples }, options?.signal) as Promise<EvaluateResult>;
  }

  explain(input: unknown, options?: ExplainOptions): Promise<Explanation> {
    return this.request({ type: 'explain', input, options }) as Promise<Explanation>;
  }

  save(options?: SaveOptions): Promise<File[]> {
    return this.request({ type: 'save', options }) as Promise<File[]>;
  }

  stats(): Promise<RuntimeStats> {
    return this.request({ type: 'stats' }) as Promise<RuntimeStats>;
  }

  /** Frees the model and ends the Worker; quiet on a pipeline whose Worker already died. */
  async dispose(): Promise<void> {
    if (this.closedReason !== null) return;
    try {
      await this.request({ type: 'dispose' });
    } finally {
      this.terminate();
    }
  }

  private terminate(): void {
    this.close('this pipeline was disposed; create a new one');
  }
}
