// The CLI commands. Each writes one result per input to stdout (JSON lines with --json) and nothing else there.
import { openProvider } from '../hub/node-files.ts';
import { openModel } from '../hub/model.ts';
import type { GpuContext } from '../gpu/device.ts';
import { loadBert, tokenizerFromFiles, type LoadedBert } from '../model/load.ts';
import { applyScore, defaultScoreFunction, problemTypeOf } from '../model/heads.ts';
import { normalize, pool } from '../tasks/pooling.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { BatchInput, Encoding } from '../tokenizer/types.ts';
import type { CliOptions } from './args.ts';
import type { CliInput } from './inputs.ts';

export type Out = (line: string) => void;

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

async function forEachBatch(loaded: LoadedBert, inputs: readonly CliInput[], size: number,
  fn: (encodings: Encoding[], batch: ReturnType<typeof stack>) => Promise<void>): Promise<void> {
  for (let i = 0; i < inputs.length; i += size) {
    const encodings = encode(loaded.tokenizer, inputs.slice(i, i + size), loaded.maxLength);
    await fn(encodings, stack(encodings));
  }
}

const round = (v: number) => Math.fround(v);

export async function classify(gpu: GpuContext, o: CliOptions, inputs: CliInput[], out: Out): Promise<void> {
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
    await forEachBatch(loaded, inputs, o.batchSize, async (encodings, batch) => {
      const { logits } = await loaded.model.forward(batch, ['logits']);
      encodings.forEach((e, b) => {
        const row = Array.from(logits!.subarray(b * L, (b + 1) * L), round);
        const probs = applyScore(row, fn);
        const ranked = probs.map((score, i) => ({ label: config.id2label[i], score })).sort((a, c) => c.score - a.score);
        const truncated = e.overflowing.length > 0;
        if (o.json) {
          const scores: Record<string, number> = {};
          config.id2label.forEach((label, i) => { scores[label] = probs[i]; });
          const obj: Record<string, unknown> = { label: ranked[0].label, score: ranked[0].score, scores, logits: row, truncated };
          if (o.topK !== undefined) obj.top = ranked.slice(0, o.topK);
          out(JSON.stringify(obj));
        } else {
          const top = ranked.slice(0, o.topK ?? 1).map((r) => `${r.label} ${r.score.toFixed(4)}`).join('  ');
          out(`${top}${truncated ? '  (truncated)' : ''}`);
        }
      });
    });
  } finally {
    await loaded.model.dispose();
  }
}

export async function embed(gpu: GpuContext, o: CliOptions, inputs: CliInput[], out: Out): Promise<void> {
  const loaded = await loadBert(gpu, provider(o), { dtype: o.dtype, head: 'base' });
  try {
    const C = loaded.model.config.hiddenSize;
    await forEachBatch(loaded, inputs, o.batchSize, async (encodings, batch) => {
      const { lastHiddenState } = await loaded.model.forward(batch, ['lastHiddenState']);
      const vectors = pool(lastHiddenState!, batch.attentionMask, batch.B, batch.T, C, o.pooling);
      vectors.forEach((v, b) => {
        if (o.normalize) normalize(v);
        const truncated = encodings[b].overflowing.length > 0;
        out(o.json ? JSON.stringify({ embedding: Array.from(v), truncated }) : Array.from(v, (x) => x.toFixed(6)).join(' '));
      });
    });
  } finally {
    await loaded.model.dispose();
  }
}

export async function tokenize(o: CliOptions, inputs: CliInput[], out: Out): Promise<void> {
  const files = await openModel(provider(o));
  const tokenizer = tokenizerFromFiles(files);
  const maxLength = Math.min(tokenizer.modelMaxLength ?? Infinity, files.config.maxPositionEmbeddings);
  for (const input of inputs) {
    const e = tokenizer.encode(input.text, input.textPair ?? null, { truncation: { maxLength }, returnOverflowing: true });
    const offsets: [number, number][] = [];
    for (let i = 0; i < e.offsets.length; i += 2) offsets.push([e.offsets[i], e.offsets[i + 1]]);
    const truncated = e.overflowing.length > 0;
    if (o.json) {
      out(JSON.stringify({ ids: Array.from(e.ids), tokenTypeIds: Array.from(e.tokenTypeIds), attentionMask: Array.from(e.attentionMask), offsets, truncated }));
    } else {
      out(Array.from(e.ids, (id) => tokenizer.idToToken(id) ?? `<${id}>`).join(' '));
    }
  }
}

export function info(gpu: GpuContext, driver: string, o: CliOptions, out: Out): void {
  const f = gpu.facts;
  const facts = { vendor: f.vendor, architecture: f.architecture, description: f.description, fallback: f.isFallbackAdapter, f16: f.hasF16, driver };
  if (o.json) out(JSON.stringify(facts));
  else {
    out(`adapter:      ${f.description || f.vendor} (${f.vendor}${f.architecture ? `, ${f.architecture}` : ''})`);
    out(`driver:       ${driver}`);
    out(`fallback:     ${f.isFallbackAdapter ? 'yes (software adapter)' : 'no'}`);
    out(`shader-f16:   ${f.hasF16 ? 'yes' : 'no'}`);
  }
}
