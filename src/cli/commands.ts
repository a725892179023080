// The CLI commands. Each writes one result per input to stdout (JSON lines with --json) and nothing else there,
// a batch at a time as the batches finish.
import { openProvider } from '../hub/node-files.ts';
import { openModel } from '../hub/model.ts';
import type { GpuContext } from '../gpu/device.ts';
import { loadBert, tokenizerFromFiles, type LoadedBert } from '../model/load.ts';
import { applyScore, defaultScoreFunction, problemTypeOf } from '../model/heads.ts';
import { normalize, pool } from '../tasks/pooling.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { BatchInput, Encoding } from '../tokenizer/types.ts';
import type { CliOptions } from './args.ts';
import type { CliInput, InputBatches } from './inputs.ts';

/** Writes one batch's result lines (one per input) and resolves when more may be written. */
export type Out = (lines: readonly string[]) => Promise<void>;

export function provider(o: CliOptions) {
  return openProvider(o.model!, { endpoint: o.endpoint, cacheDir: o.cache ? undefined : false });
}

/** Tokenizes a slice of inputs, truncated to the model's length and padded to the longest. */
function encode(tokenizer: BertTokenizer, inputs: readonly CliInput[], maxLength: number): Encoding[] {
  const batch: BatchInput[] = inputs.map((i) => (i.textPair === undefined ? i.text : [i.text, i.textPair] as const));
  return tokenizer.encodeBatch(batch, { truncation: { maxLength }, padding: 'longest', returnOverflowing: true });
}

/** One batch from encodings, padded on the right to the longest (ids with `padId`, type ids and mask with 0). */
export function stack(encodings: Encoding[], padId = 0) {
  const B = encodings.length;
  const T = Math.max(...encodings.map((e) => e.ids.length));
  const inputIds = new Int32Array(B * T).fill(padId);
  const tokenTypeIds = new Int32Array(B * T);
  const attentionMask = new Int32Array(B * T);
  encodings.forEach((e, b) => {
    inputIds.set(e.ids, b * T);
    tokenTypeIds.set(e.tokenTypeIds, b * T);
    attentionMask.set(e.attentionMask, b * T);
  });
  return { B, T, inputIds, tokenTypeIds, attentionMask };
}

/** Each batch of inputs through `fn`, its lines written before the next batch is read. */
async function forEachBatch(loaded: LoadedBert, batches: InputBatches, out: Out,
  fn: (encodings: Encoding[], batch: ReturnType<typeof stack>) => Promise<string[]>): Promise<void> {
  for await (const { inputs } of batches) {
    const encodings = encode(loaded.tokenizer, inputs, loaded.maxLength);
    await out(await fn(encodings, stack(encodings)));
  }
}

const round = (v: number) => Math.fround(v);

export async function classify(gpu: GpuContext, o: CliOptions, inputs: InputBatches, out: Out): Promise<void> {
  const loaded = await loadBert(gpu, provider(o), {
    dtype: o.dtype,
    checkModel: ({ label, config, head }) => {
      if (head !== 'sequence-classification') {
        throw new Error(`${label}: not a sequence-classification model (architectures: ${config.architectures.join(', ') || 'none'}); try embed`);
      }
    },
  });
  try {
    const { config } = loaded.model;
    const fn = defaultScoreFunction(problemTypeOf(config));
    const L = config.numLabels;
    await forEachBatch(loaded, inputs, out, async (encodings, batch) => {
      const { logits } = await loaded.model.forward(batch, ['logits']);
      return encodings.map((e, b) => {
        const row = Array.from(logits!.subarray(b * L, (b + 1) * L), round);
        const probs = applyScore(row, fn);
        const ranked = probs.map((score, i) => ({ label: config.id2label[i], score })).sort((a, c) => c.score - a.score);
        const truncated = e.overflowing.length > 0;
        if (o.json) {
          const scores: Record<string, number> = {};
          config.id2label.forEach((label, i) => { scores[label] = probs[i]; });
          const obj: Record<string, unknown> = { label: ranked[0].label, score: ranked[0].score, scores, logits: row, truncated };
          if (o.topK !== undefined) obj.top = ranked.slice(0, o.topK);
          return JSON.stringify(obj);
        }
        const top = ranked.slice(0, o.topK ?? 1).map((r) => `${r.label} ${r.score.toFixed(4)}`).join('  ');
        return `${top}${truncated ? '  (truncated)' : ''}`;
      });
    });
  } finally {
    await loaded.model.dispose();
  }
}

export async function embed(gpu: GpuContext, o: CliOptions, inputs: InputBatches, out: Out): Promise<void> {
  const loaded = await loadBert(gpu, provider(o), { dtype: o.dtype, head: 'base' });
  try {
    const C = loaded.model.config.hiddenSize;
    await forEachBatch(loaded, inputs, out, async (encodings, batch) => {
      const { lastHiddenState } = await loaded.model.forward(batch, ['lastHiddenState']);
      const vectors = pool(lastHiddenState!, batch.attentionMask, batch.B, batch.T, C, o.pooling);
      return vectors.map((v, b) => {
        if (o.normalize) normalize(v);
        const truncated = encodings[b].overflowing.length > 0;
        return o.json ? JSON.stringify({ embedding: Array.from(v), truncated }) : Array.from(v, (x) => x.toFixed(6)).join(' ');
      });
    });
  } finally {
    await loaded.model.dispose();
  }
}

export async function tokenize(o: CliOptions, inputs: InputBatches, out: Out): Promise<void> {
  const files = await openModel(provider(o));
  const tokenizer = tokenizerFromFiles(files);
  const maxLength = Math.min(tokenizer.modelMaxLength ?? Infinity, files.config.maxPositionEmbeddings);
  const line = (input: CliInput) => {
    const e = tokenizer.encode(input.text, input.textPair ?? null, { truncation: { maxLength }, returnOverflowing: true });
    if (!o.json) return Array.from(e.ids, (id) => tokenizer.idToToken(id) ?? `<${id}>`).join(' ');
    const offsets: [number, number][] = [];
    for (let i = 0; i < e.offsets.length; i += 2) offsets.push([e.offsets[i], e.offsets[i + 1]]);
    const truncated = e.overflowing.length > 0;
    return JSON.stringify({ ids: Array.from(e.ids), tokenTypeIds: Array.from(e.tokenTypeIds), attentionMask: Array.from(e.attentionMask), offsets, truncated });
  };
  for await (const batch of inputs) await out(batch.inputs.map(line));
}

export function info(gpu: GpuContext, driver: string, o: CliOptions, out: Out): Promise<void> {
  const f = gpu.facts;
  const facts = { vendor: f.vendor, architecture: f.architecture, description: f.description, fallback: f.isFallbackAdapter, f16: f.hasF16,
    subgroups: f.hasSubgroups, timestamps: f.hasTimestamps, driver };
  if (o.json) return out([JSON.stringify(facts)]);
  return out([
    `adapter:      ${f.description || f.vendor} (${f.vendor}${f.architecture ? `, ${f.architecture}` : ''})`,
    `driver:       ${driver}`,
    `fallback:     ${f.isFallbackAdapter ? 'yes (software adapter)' : 'no'}`,
    `shader-f16:   ${f.hasF16 ? 'yes' : 'no'}`,
    `subgroups:    ${f.hasSubgroups ? 'yes' : 'no'}`,
    `timestamps:   ${f.hasTimestamps ? 'yes (bertgpu profile can time each dispatch)' : 'no (bertgpu profile cannot run here)'}`,
  ]);
}
