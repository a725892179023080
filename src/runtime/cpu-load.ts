// loadBert's CPU twin: a model folder → CpuBertModel and tokenizer, with the same checks before any weight is read
// (kernel limits, the caller's check, the tokenizer against the config). Loaded only when the CPU backend is chosen.
import { CpuBertModel } from '../cpu-backend/cpu-model.ts';
import { loadCpuBertWeights } from '../cpu-backend/cpu-weights.ts';
import type { FileProvider } from '../hub/files.ts';
import { openModel, type ModelFiles } from '../hub/model.ts';
import { assertRunnable } from '../model/bert.ts';
import { headOf, type BertConfig, type BertHead } from '../model/config.ts';
import { loadTokenizerFromFiles } from '../model/load.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { LoadProgress } from '../weights/stream.ts';
import type { ThreadOptions } from '../cpu-backend/threads.ts';

export interface LoadedCpuBert {
  model: CpuBertModel;
  tokenizer: BertTokenizer;
  files: ModelFiles;
  maxLength: number;
}

export interface LoadCpuOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  head?: BertHead;
  checkModel?: (model: { label: string; config: BertConfig; head: BertHead }) => void;
  /** Kernel threads; when they cannot start (a CSP refusing blob: Workers, say) the model runs on one thread. */
  threads?: ThreadOptions | null;
}

export async function loadBertCpu(provider: FileProvider, options: LoadCpuOptions = {}): Promise<LoadedCpuBert> {
  const files = await openModel(provider, options.signal);
  assertRunnable(files.config);
  const head = options.head ?? headOf(files.config);
  options.checkModel?.({ label: files.label, config: files.config, head });
  const tokenizer = await loadTokenizerFromFiles(files);
  if (tokenizer.vocabSize > files.config.vocabSize) {
    throw new Error(`${files.label}: the tokenizer has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${files.config.vocabSize}`);
  }
  const weights = await loadCpuBertWeights(files, { head, signal: options.signal, onProgress: options.onProgress });
  let model: CpuBertModel;
  try {
    model = await CpuBertModel.create(weights, options.threads ? { threads: options.threads } : {});
  } catch (e) {
    if (!options.threads) throw e;
    model = await CpuBertModel.create(weights);
  }
  const maxLength = Math.min(tokenizer.modelMaxLength ?? Infinity, files.config.maxPositionEmbeddings);
  return { model, tokenizer, files, maxLength };
}
