// Main-thread client for the tokenizer: the same async API whether the tokenizer runs in a Web Worker
// (TokenizerClient.inWorker) or in this thread (TokenizerClient.inThread, e.g. in Node). Requests carry ids so
// replies may be matched in any order; errors thrown by the tokenizer reject the call's promise with the same class.
import { TokenizerService, reviveError, type Request, type Response, type TokenizerSource } from './protocol.ts';
import type { BatchInput, DecodeOptions, EncodeOptions, Encoding } from './types.ts';

export type { TokenizerSource } from './protocol.ts';

/** The subset of the Worker interface the client uses (a browser Worker satisfies it). */
export interface WorkerLike {
  /** Sends a request to the tokenizer Worker. */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Receives the Worker's replies. */
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  /** Learns that the Worker failed, so calls in flight reject instead of waiting for ever. */
  addEventListener(type: 'error' | 'messageerror', listener: (ev: unknown) => void): void;
  /** Stops the Worker (on dispose). */
  terminate(): void;
}

type Send = (req: Request) => void;
type Distribute<T> = T extends { type: infer K } ? Omit<T, 'id'> & { type: K } : never;
type Body = Distribute<Request>;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * The tokenizer behind an async API, in a Web Worker ({@link TokenizerClient.inWorker}) or on this thread
 * ({@link TokenizerClient.inThread}); the same methods as {@link BertTokenizer}, returning promises.
 */
export class TokenizerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private constructor(private readonly send: Send, private readonly onDispose: () => void) {}

  /** Starts a tokenizer inside `worker` (built from src/tokenizer/worker.ts) and resolves once it is loaded. */
  static async inWorker(worker: WorkerLike, source: TokenizerSource): Promise<TokenizerClient> {
    if (typeof worker !== 'object' || worker === null || typeof worker.postMessage !== 'function') {
      throw new TypeError('TokenizerClient.inWorker: worker must be a Worker');
    }
    const client = new TokenizerClient((req) => worker.postMessage(req), () => worker.terminate());
    worker.addEventListener('message', (ev) => client.receive(ev.data as Response));
    const fail = (ev: unknown) => {
      const message = (ev as { message?: unknown })?.message;
      client.failAll(new Error(`tokenizer worker failed: ${typeof message === 'string' ? message : 'unknown error'}`));
    };
    worker.addEventListener('error', fail);
    worker.addEventListener('messageerror', fail);
    await client.request({ type: 'init', source });
    return client;
  }

  /** Runs the tokenizer in this thread behind the same API (Node, tests, or when a Worker is not wanted). */
  static async inThread(source: TokenizerSource): Promise<TokenizerClient> {
    const service = new TokenizerService();
    let client: TokenizerClient | undefined;
    // Reply on a microtask, as a Worker would reply asynchronously.
    const send: Send = (req) => void service.handleInOrder(req).then(({ reply }) => client?.receive(reply));
    client = new TokenizerClient(send, () => {});
    await client.request({ type: 'init', source });
    return client;
  }

  /** Encodes a text, or a pair as `[CLS] text [SEP] textPair [SEP]`; see {@link BertTokenizer.encode}. */
  encode(text: string, textPair?: string | null, options?: EncodeOptions): Promise<Encoding> {
    return this.request({ type: 'encode', text, textPair, options }) as Promise<Encoding>;
  }

  /** Encodes several texts or `[text, textPair]` pairs with the same options (padding spans the batch). */
  encodeBatch(inputs: BatchInput[], options?: EncodeOptions): Promise<Encoding[]> {
    return this.request({ type: 'encodeBatch', inputs, options }) as Promise<Encoding[]>;
  }

  /** Token ids back to text, as HF's decode (WordPiece "##" pieces joined, cleanup of spaces before punctuation). */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): Promise<string> {
    return this.request({ type: 'decode', ids, options }) as Promise<string>;
  }

  /** Stops the worker; calls still in flight reject. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('TokenizerClient disposed'));
    this.onDispose();
  }

  private request(body: Body): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('TokenizerClient disposed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.send({ ...body, id } as Request);
      } catch (e) {
        // postMessage throws synchronously on values it cannot clone (functions, …).
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private receive(reply: Response): void {
    const p = this.pending.get(reply?.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    if (reply.type === 'result') p.resolve(reply.value);
    else p.reject(reviveError(reply.error));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
