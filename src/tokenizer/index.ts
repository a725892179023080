/**
 * `import { BertTokenizer } from 'bertgpu/tokenizer'`: the tokenizer alone — WordPiece (vocab.txt or tokenizer.json),
 * byte-level BPE and Unigram (tokenizer.json), with Hugging Face parity — on the calling thread or in its own Worker
 * through {@link TokenizerClient}. No GPU needed.
 *
 * @module bertgpu/tokenizer
 */
// Public surface of the tokenizer module (see docs/tokenizer.md).
import * as pipelineLib from './pipeline-lib.ts';
import { registerPipelineLibrary } from './pipeline-models.ts';

// Importing the tokenizer module on its own brings the BPE/Unigram code with it, so fromTokenizerJson takes every
// model synchronously; the library's Worker loads that code on demand instead (prepareTokenizerJson).
registerPipelineLibrary(pipelineLib);

export { prepareTokenizerJson } from './pipeline-models.ts';
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
