// One call from a model folder (any FileProvider: Hub, URL, local directory, dropped Files) to a runnable BERT and its
// tokenizer. Environment-agnostic: the CLI (Node) and the pipeline (browser Worker) both use it.
import { BufferRegistry } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { FileProvider } from '../hub/files.ts';
import { loadBertWeights, openModel, type ModelFiles } from '../hub/model.ts';
import { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { LoadProgress } from '../weights/stream.ts';
import { assertRunnable } from './bert.ts';
import { BertModel, type BertModelOptions } from './bert-model.ts';
import { headOf, type BertConfig, type BertHead } from './config.ts';

export interface LoadedBert {
  model: BertModel;
  tokenizer: BertTokenizer;
  files: ModelFiles;
  /** Longest input in tokens, [CLS]/[SEP] included: min(tokenizer model_max_length, max_position_embeddings). */
  maxLength: number;
}

export interface LoadBertOptions extends BertModelOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Run as this head instead of the one `architectures` names ('base' for embeddings: head weights are not read). */
  head?: BertHead;
  /** Called with config.json and the head before any weight is read; throw to refuse the model (e.g. wrong task). */
  checkModel?: (model: { label: string; config: BertConfig; head: BertHead }) => void;
}

/** The tokenizer a model folder describes: tokenizer.json when present, else vocab.txt + tokenizer_config.json. */
export function tokenizerFromFiles(files: ModelFiles): BertTokenizer {
  const t = files.tokenizer;
  const config = (t.tokenizerConfig && typeof t.tokenizerConfig === 'object' ? t.tokenizerConfig : {}) as Record<string, unknown>;
  if (t.tokenizerJson !== null) return BertTokenizer.fromTokenizerJson(t.tokenizerJson as object, config);
  if (t.vocabTxt !== null) return BertTokenizer.fromVocab(t.vocabTxt, config);
  throw new Error(`${files.label}: no vocabulary (needs vocab.txt or tokenizer.json)`);
}

export async function loadBert(gpu: GpuContext, provider: FileProvider, options: LoadBertOptions = {}): Promise<LoadedBert> {
  const files = await openModel(provider, options.signal);
  // Fail before streaming any weight: kernel limits, the caller's check, and f16 on an adapter without shader-f16.
  assertRunnable(files.config);
  options.checkModel?.({ label: files.label, config: files.config, head: options.head ?? headOf(files.config) });
  if (options.dtype === 'f16' && !gpu.facts.hasF16) throw new Error("dtype 'f16' needs the adapter feature shader-f16, which this adapter lacks; use 'f32'");
  const tokenizer = tokenizerFromFiles(files);
  if (tokenizer.vocabSize > files.config.vocabSize) {
    throw new Error(`${files.label}: the tokenizer has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${files.config.vocabSize}`);
  }
  const loaded = await loadBertWeights(files, new BufferRegistry(gpu.device), {
    storage: options.dtype ?? 'f32', onProgress: options.onProgress, signal: options.signal, head: options.head,
  });
  const model = BertModel.create(gpu, loaded, options);
  const maxLength = Math.min(tokenizer.modelMaxLength ?? Infinity, files.config.maxPositionEmbeddings);
  return { model, tokenizer, files, maxLength };
}
