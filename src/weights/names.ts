// HF weight names. A checkpoint names BERT's tensors with a `bert.` prefix (BertFor* models) or without (BertModel) —
// likewise `roberta.`, `distilbert.`, `electra.`, `albert.` —
// and old TF-converted ones call LayerNorm parameters gamma/beta. We resolve every expected canonical name (see
// model/config.ts: `bert.`-prefixed, heads top-level) to the name actually in the file, check its shape against
// config.json before any byte of data is uploaded, and hand the executor a scoped reader over canonical names.
import type { ExpectedWeight } from '../model/config.ts';
import { WeightsError } from './errors.ts';
import type { GpuTensor, GpuWeights } from './gpu-weights.ts';

export interface AvailableTensor {
  shape: number[];
  /** File that holds it (for messages; shards differ). */
  file: string;
}

export interface NamePlan {
  /** canonical name → name in the checkpoint */
  map: Map<string, string>;
  /** Checkpoint tensors the model does not use (MLM heads, position_ids, …); they are not uploaded. */
  unused: string[];
}

/** Names in the checkpoint that may hold `canonical`, most specific first. */
export function candidateNames(canonical: string): string[] {
  // A base model's own checkpoint (BertModel, RobertaModel, …) names its tensors without the family prefix.
  const prefix = BASE_PREFIXES.find((p) => canonical.startsWith(p));
  const bases = prefix ? [canonical, canonical.slice(prefix.length)] : [canonical];
  const out = [...bases];
  for (const b of bases) {
    if (b.endsWith('LayerNorm.weight')) out.push(b.replace(/weight$/, 'gamma'));
    if (b.endsWith('LayerNorm.bias')) out.push(b.replace(/bias$/, 'beta'));
  }
  return out;
}

/**
 * Weights HF ties to another, by the name of the other copy. A tied pair is saved once, under either name (HF's
 * save_pretrained keeps the first; older conversions may keep the second), so either serves.
 */
const TIED_COPY: Record<string, string> = {
  'bert.embeddings.word_embeddings.weight': 'cls.predictions.decoder.weight',
  'cls.predictions.bias': 'cls.predictions.decoder.bias',
  'roberta.embeddings.word_embeddings.weight': 'lm_head.decoder.weight',
  'lm_head.bias': 'lm_head.decoder.bias',
  'distilbert.embeddings.word_embeddings.weight': 'vocab_projector.weight',
  'electra.embeddings.word_embeddings.weight': 'generator_lm_head.weight',
  'albert.embeddings.word_embeddings.weight': 'predictions.decoder.weight',
  'predictions.bias': 'predictions.decoder.bias',
};

/** The base-model prefixes of the supported families (src/model/families/layouts.ts `base`). */
const BASE_PREFIXES = ['bert.', 'roberta.', 'distilbert.', 'electra.', 'albert.'];

const fmt = (shape: number[]) => `[${shape.join(', ')}]`;

/** Matches checkpoint tensors to the expected weights; throws naming the first missing or mis-shaped tensor. */
export function planWeightNames(available: Map<string, AvailableTensor>, expected: ExpectedWeight[], what = 'checkpoint'): NamePlan {
  if (!(available instanceof Map)) throw new WeightsError('bad-argument', 'planWeightNames: available must be a Map of name → { shape, file }');
  const map = new Map<string, string>();
  const used = new Set<string>();
  for (const want of expected) {
    const candidates = candidateNames(want.name);
    let found = candidates.filter((n) => available.has(n));
    // Tied weights are saved once under either name; a file that kept only the decoder's copy still has the embeddings.
    // (Not when the copy is expected under its own name: an untied decoder is a different tensor.)
    const tied = TIED_COPY[want.name];
    if (found.length === 0 && tied !== undefined && available.has(tied) && !expected.some((w) => w.name === tied)) found = [tied];
    if (found.length === 0) {
      if (want.optional) continue;
      const also = candidates.length > 1 ? ` (also looked for ${candidates.slice(1).map((c) => `"${c}"`).join(', ')})` : '';
      throw new WeightsError('missing-tensor', `${what}: missing tensor "${want.name}"${also}; config.json expects shape ${fmt(want.shape)}`,
        what, want.name);
    }
    if (found.length > 1) {
      const file = available.get(found[0])!.file;
      throw new WeightsError('index', `${file}: tensors ${found.map((f) => `"${f}"`).join(' and ')} both claim "${want.name}"`, file, want.name);
    }
    const name = found[0];
    const t = available.get(name)!;
    if (t.shape.length !== want.shape.length || t.shape.some((d, i) => d !== want.shape[i])) {
      throw new WeightsError('shape', `${t.file}: tensor "${name}" has shape ${fmt(t.shape)} but config.json expects ${fmt(want.shape)}`, t.file, name);
    }
    map.set(want.name, name);
    used.add(name);
  }
  const unused = [...available.keys()].filter((n) => !used.has(n)).sort();
  return { map, unused };
}

/**
 * Canonical-name access to loaded weights: `reader.get('bert.encoder.layer.3.attention.self.query.weight')`, or
 * `reader.scope('bert.encoder.layer.3').get('attention.self.query.weight')`.
 */
export class WeightReader {
  constructor(
    readonly weights: GpuWeights,
    private readonly map: Map<string, string>,
    readonly prefix = '',
  ) {}

  has(name: string): boolean {
    const file = this.map.get(this.prefix + name);
    return file !== undefined && this.weights.has(file);
  }

  get(name: string): GpuTensor {
    const full = this.prefix + name;
    const file = this.map.get(full);
    if (file === undefined || !this.weights.has(file)) {
      throw new WeightsError('missing-tensor', `weights: no tensor "${full}" in this model`, undefined, full);
    }
    return this.weights.get(file);
  }

  scope(sub: string): WeightReader {
    if (typeof sub !== 'string' || sub.length === 0) throw new WeightsError('bad-argument', 'WeightReader.scope: prefix must be a non-empty string');
    return new WeightReader(this.weights, this.map, `${this.prefix}${sub.replace(/\.$/, '')}.`);
  }

  /** Canonical names available under this scope. */
  names(): string[] {
    return [...this.map.keys()].filter((n) => n.startsWith(this.prefix)).map((n) => n.slice(this.prefix.length));
  }
}
