// One call from a model folder (any FileProvider: Hub, URL, local directory, dropped Files) to a runnable BERT and its
// tokenizer. Environment-agnostic: the CLI (Node) and the pipeline (browser Worker) both use it.
import { BufferRegistry } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { graphKernels } from '../graph/plan.ts';
import type { AdapterProfile } from '../graph/variants.ts';
import type { FileProvider } from '../hub/files.ts';
import { loadBertWeights, openModel, type ModelFiles } from '../hub/model.ts';
import { BertTokenizer } from '../tokenizer/tokenizer.ts';
import { prepareTokenizerJson } from '../tokenizer/pipeline-models.ts';
import { tokenName } from '../tokenizer/config.ts';
import type { LoadProgress } from '../weights/stream.ts';
import { assertRunnable, buildBertGraph } from './bert.ts';
import { BertModel, resolveKernelProfile, resolveTune, TUNE_BUDGET_MS, type BertModelOptions } from './bert-model.ts';
import { tuneGraph, type TuneResult } from '../gpu/tuner.ts';
import { defaultTuningStore } from '../gpu/tuner-cache.ts';
import { hasMaskedLmHead, headOf, type BertConfig, type BertHead } from './config.ts';
import { predictedWeightBlocks } from './blocked-weights.ts';
import { sequenceBucket } from './batch-shape.ts';

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

const SPECIAL_TOKEN_KEYS = ['unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

/** The tokenizer a model folder describes: tokenizer.json when present, else vocab.txt + tokenizer_config.json. */
export function tokenizerFromFiles(files: ModelFiles): BertTokenizer {
  const t = files.tokenizer;
  const own = (t.tokenizerConfig && typeof t.tokenizerConfig === 'object' ? t.tokenizerConfig : {}) as Record<string, unknown>;
  // transformers also reads special_tokens_map.json: a special token tokenizer_config.json does not name comes from
  // there (ALBERT folders without a tokenizer_config.json would otherwise get the BPE/Unigram default <mask>).
  const map = (t.specialTokensMap && typeof t.specialTokensMap === 'object' ? t.specialTokensMap : {}) as Record<string, unknown>;
  const config: Record<string, unknown> = { ...own };
  for (const key of SPECIAL_TOKEN_KEYS) {
    // Checked here, so a bad value names the file it came from rather than tokenizer_config.json.
    if ((!Object.hasOwn(own, key) || own[key] === null) && Object.hasOwn(map, key) && map[key] !== null) {
      config[key] = tokenName(map, key, '', files.label, 'special_tokens_map.json');
    }
  }
  if (t.tokenizerJson !== null) return BertTokenizer.fromTokenizerJson(t.tokenizerJson as object, config);
  if (t.vocabTxt !== null) return BertTokenizer.fromVocab(t.vocabTxt, config);
  throw new Error(`${files.label}: no vocabulary (needs vocab.txt or tokenizer.json)`);
}

/**
 * tokenizerFromFiles after loading the BPE/Unigram code a tokenizer.json needs: that code is its own chunk in the
 * browser bundle (the Worker runtime does not import it up front), so RoBERTa/ALBERT/XLM-R models need this await.
 */
export async function loadTokenizerFromFiles(files: ModelFiles): Promise<BertTokenizer> {
  if (files.tokenizer.tokenizerJson !== null) await prepareTokenizerJson(files.tokenizer.tokenizerJson);
  return tokenizerFromFiles(files);
}

export async function loadBert(gpu: GpuContext, provider: FileProvider, options: LoadBertOptions = {}): Promise<LoadedBert> {
  const files = await openModel(provider, options.signal);
  // Fail before streaming any weight: kernel limits, the caller's check, and f16 on an adapter without shader-f16.
  assertRunnable(files.config);
  options.checkModel?.({ label: files.label, config: files.config, head: options.head ?? headOf(files.config) });
  if (options.dtype === 'f16' && !gpu.facts.hasF16) throw new Error("dtype 'f16' needs the adapter feature shader-f16, which this adapter lacks; use 'f32'");
  const profile = resolveKernelProfile(options.kernelProfile, gpu.facts);
  const tunes = resolveTune(options.tune, gpu.facts);
  const tokenizer = await loadTokenizerFromFiles(files);
  if (tokenizer.vocabSize > files.config.vocabSize) {
    throw new Error(`${files.label}: the tokenizer has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${files.config.vocabSize}`);
  }
  // Cold start: the default bucket's pipelines compile while the weights stream in. They start with the first bytes
  // of weight data, once the headers are checked, so a model refused from its config or headers compiles nothing.
  const pipelines = options.pipelines ?? new PipelineCache(gpu.device);
  let compiling: Promise<void> | undefined;
  // Autotuning of the default bucket runs with the download too (scratch buffers, never the weights), same start.
  let tuning: Promise<TuneResult | undefined> | undefined;
  const onProgress = (p: LoadProgress) => {
    compiling ??= warmPipelines(gpu, pipelines, profile, files, options.head ?? headOf(files.config), options.dtype ?? 'f32');
    if (tunes) tuning ??= tuneDefaultBucket(gpu, pipelines, profile, files, options);
    options.onProgress?.(p);
  };
  let model: BertModel;
  try {
    const loaded = await loadBertWeights(files, new BufferRegistry(gpu.device), {
      storage: options.dtype ?? 'f32', onProgress, signal: options.signal, head: options.head,
    });
    model = BertModel.create(gpu, loaded, { ...options, pipelines, compiling, tuning });
    // Usually done by now (the download takes longer than its budget); the first call and info.kernels then run tuned.
    await model.whenTuned();
  } catch (e) {
    // Compiles in flight end before the caller may destroy the device or exit: a software driver (lavapipe) still
    // compiling then reads freed SPIR-V and fails or crashes the process.
    await compiling;
    await tuning?.then((r) => r?.idle);
    throw e;
  }
  const maxLength = Math.min(tokenizer.modelMaxLength ?? Infinity, files.config.maxPositionEmbeddings);
  return { model, tokenizer, files, maxLength };
}

/** The bucket whose pipelines compile during the download: one sequence of up to 128 tokens. */
export const WARM_TOKENS = 128;

/**
 * Starts compiling (createComputePipelineAsync, through the cache) every kernel a (1, 128)-token forward of this
 * model uses, from config.json alone. Kernel choices depend on the config and the adapter, not on the batch, so the
 * first call of any shape then finds its pipelines compiled or compiling (except a shape-dependent thread shape, as
 * attentionVec4's queries per thread from 4096 query rows: that pipeline compiles with the first plan that needs it). Resolves when every compile has ended; a failure
 * is reported by the plan that needs the pipeline (the cache drops a failed compile, so the plan retries and throws).
 */
function warmPipelines(gpu: GpuContext, pipelines: PipelineCache, profile: AdapterProfile, files: ModelFiles, head: BertHead, dtype: 'f32' | 'f16'): Promise<void> {
  try {
    const { config } = files;
    const graph = buildBertGraph(config, {
      B: 1, T: sequenceBucket(WARM_TOKENS, config.maxPositionEmbeddings), dtype, head,
      // The pooler may be absent from a checkpoint; warming its matmul anyway costs one unused pipeline at most.
      hasPooler: true, mlmRows: hasMaskedLmHead(head) ? 1 : 0, untiedDecoder: !config.tieWordEmbeddings, profile,
      // A vocabulary over one binding: the blocked graph's kernels (the block gather, the per-block decoder).
      weightBlocks: predictedWeightBlocks(config, head, dtype, gpu.device.limits) ?? undefined,
    });
    const compiles = graphKernels(graph, dtype, profile).map(({ kernel, overrides }) => pipelines.get(kernel, overrides));
    return Promise.allSettled(compiles).then(() => undefined);
  } catch {
    // Only an optimisation: the plan builds (and reports) the same graph when the first call comes.
    return Promise.resolve();
  }
}

/** Tunes the warm-up bucket's graph (the shapes warmPipelines compiles); undefined when it cannot (never rejects). */
function tuneDefaultBucket(gpu: GpuContext, pipelines: PipelineCache, profile: AdapterProfile, files: ModelFiles, options: LoadBertOptions): Promise<TuneResult | undefined> {
  try {
    const { config } = files;
    const head = options.head ?? headOf(config);
    const dtype = options.dtype ?? 'f32';
    const graph = buildBertGraph(config, {
      B: 1, T: sequenceBucket(WARM_TOKENS, config.maxPositionEmbeddings), dtype, head,
      hasPooler: true, mlmRows: hasMaskedLmHead(head) ? 1 : 0, untiedDecoder: !config.tieWordEmbeddings, profile,
      weightBlocks: predictedWeightBlocks(config, head, dtype, gpu.device.limits) ?? undefined,
    });
    const store = options.tuningStore === undefined ? defaultTuningStore() : options.tuningStore;
    return tuneGraph({ device: gpu.device, pipelines, facts: gpu.facts }, graph, dtype, profile, { budgetMs: TUNE_BUDGET_MS, store })
      .catch(() => undefined);
  } catch {
    return Promise.resolve(undefined);
  }
}
