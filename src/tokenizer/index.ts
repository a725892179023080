/**
 * `import { BertTokenizer } from 'bertgpu/tokenizer'`: the WordPiece tokenizer alone (Hugging Face parity), on the
 * calling thread or in its own Worker through {@link TokenizerClient}. No GPU needed.
 *
 * @module bertgpu/tokenizer
 */
// Public surface of the tokenizer module (see docs/tokenizer.md).
export { BertTokenizer } from './tokenizer.ts';
export { TokenizerClient, type TokenizerSource, type WorkerLike } from './client.ts';
export type {
  BatchInput,
  DecodeOptions,
  Direction,
  EncodeOptions,
  Encoding,
  PaddingOptions,
  PaddingStrategy,
  TruncationOptions,
  TruncationStrategy,
} from './types.ts';
