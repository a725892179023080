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
