// Messages between TokenizerClient and the tokenizer Worker, and the request handler both ends share: the Worker runs
// it on posted messages, the in-thread client calls it directly, so both paths behave the same.
//
// Every message is `{ id, type, ... }`. Replies carry the request's id; token arrays travel as transferred Int32Arrays;
// a thrown error comes back as `{ type: 'error', error: { name, message } }` and is rethrown with the same class.
import { prepareTokenizerJson } from './pipeline-models.ts';
import { BertTokenizer } from './tokenizer.ts';
import type { BatchInput, DecodeOptions, EncodeOptions, Encoding } from './types.ts';

/** Where a tokenizer comes from: vocab.txt (+ tokenizer_config.json) or tokenizer.json (+ tokenizer_config.json). */
/** What a {@link TokenizerClient} builds its tokenizer from: vocab.txt, or tokenizer.json; each with tokenizer_config.json. */
export type TokenizerSource =
  | {
    /** The text of vocab.txt. */
    vocab: string;
    /** tokenizer_config.json, parsed. */
    config?: Record<string, unknown>;
  }
  | {
    /** tokenizer.json, as text or parsed. */
    tokenizerJson: string | object;
    /** tokenizer_config.json, parsed. */
    config?: Record<string, unknown>;
  };

export type Request =
  | { id: number; type: 'init'; source: TokenizerSource }
  | { id: number; type: 'encode'; text: string; textPair?: string | null; options?: EncodeOptions }
  | { id: number; type: 'encodeBatch'; inputs: BatchInput[]; options?: EncodeOptions }
  | { id: number; type: 'decode'; ids: ArrayLike<number>; options?: DecodeOptions };

export interface SerializedError {
  name: string;
  message: string;
}

export type Response =
  | { id: number; type: 'result'; value: unknown }
  | { id: number; type: 'error'; error: SerializedError };

export function tokenizerFromSource(source: TokenizerSource): BertTokenizer {
  if (typeof source !== 'object' || source === null) {
    throw new TypeError('TokenizerClient: source must be { vocab, config? } or { tokenizerJson, config? }');
  }
  if ('vocab' in source) return BertTokenizer.fromVocab(source.vocab, source.config);
  if ('tokenizerJson' in source) return BertTokenizer.fromTokenizerJson(source.tokenizerJson, source.config);
  throw new TypeError('TokenizerClient: source must have a vocab or a tokenizerJson field');
}

/** Holds the tokenizer of one Worker (or in-thread client) and answers requests. */
export class TokenizerService {
  private tokenizer: BertTokenizer | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * handle(), after loading what an 'init' needs on demand (the BPE/Unigram code for such a tokenizer.json). Replies
   * come in the order of the requests, so calls sent right after 'init' wait for it.
   */
  handleInOrder(req: Request): Promise<{ reply: Response; transfer: ArrayBuffer[] }> {
    const next = this.queue.then(async () => {
      const source = typeof req === 'object' && req !== null && req.type === 'init' ? req.source : undefined;
      if (typeof source === 'object' && source !== null && 'tokenizerJson' in source) {
        try {
          await prepareTokenizerJson(source.tokenizerJson);
        } catch (e) {
          const message = `tokenizer worker: could not load the tokenizer code (${e instanceof Error ? e.message : String(e)})`;
          return { reply: { id: req.id, type: 'error', error: { name: 'Error', message } } as Response, transfer: [] };
        }
      }
      return this.handle(req);
    });
    this.queue = next;
    return next;
  }

  /** Returns the reply and the buffers to transfer with it. Never throws: errors become error replies. */
  handle(req: Request): { reply: Response; transfer: ArrayBuffer[] } {
    const id = typeof req === 'object' && req !== null && typeof req.id === 'number' ? req.id : -1;
    try {
      const value = this.run(req);
      const transfer: ArrayBuffer[] = [];
      collectBuffers(value, transfer);
      return { reply: { id, type: 'result', value }, transfer };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      return { reply: { id, type: 'error', error: { name: err.name, message: err.message } }, transfer: [] };
    }
  }

  private run(req: Request): unknown {
    if (typeof req !== 'object' || req === null) throw new TypeError('tokenizer worker: a message must be an object');
    if (req.type === 'init') {
      this.tokenizer = tokenizerFromSource(req.source);
      return { vocabSize: this.tokenizer.vocabSize, modelMaxLength: this.tokenizer.modelMaxLength };
    }
    const t = this.tokenizer;
    if (t === undefined) throw new Error(`tokenizer worker: '${String(req.type)}' before 'init'`);
    switch (req.type) {
      case 'encode':
        return t.encode(req.text, req.textPair, req.options);
      case 'encodeBatch':
        return t.encodeBatch(req.inputs, req.options);
      case 'decode':
        return t.decode(req.ids, req.options);
      default:
        throw new TypeError(`tokenizer worker: unknown message type ${JSON.stringify((req as { type: unknown }).type)}`);
    }
  }
}

function collectBuffers(value: unknown, out: ArrayBuffer[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectBuffers(v, out);
  } else if (typeof value === 'object' && value !== null && 'ids' in value) {
    const e = value as Encoding;
    for (const a of [e.ids, e.tokenTypeIds, e.attentionMask, e.specialTokensMask, e.offsets, e.wordIds]) {
      if (a.buffer instanceof ArrayBuffer && !out.includes(a.buffer)) out.push(a.buffer);
    }
    collectBuffers(e.overflowing, out);
  }
}

/** Rebuilds an error from a reply, keeping TypeError/RangeError so callers can tell bad input from other failures. */
export function reviveError(e: SerializedError): Error {
  const Ctor = e.name === 'TypeError' ? TypeError : e.name === 'RangeError' ? RangeError : Error;
  const err = new Ctor(e.message);
  if (err.name !== e.name) err.name = e.name;
  return err;
}
