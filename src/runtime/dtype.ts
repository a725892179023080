// dtype 'auto': f16 storage halves memory and bandwidth, but only where the adapter has shader-f16, runs the GPU
// kernel profile (a software adapter's kernels widen every f16 load on the CPU and save no memory traffic: slower, and
// the probe would load the model twice), and the model survives the rounding. We load both, run a fixed probe through
// each, and keep f16 only if it gives the same top label (masked-LM heads: the same top token at every position; token
// heads: the same top label at every token) and hidden states with cosine ≥ 0.999 against f32. The choice and the
// measured numbers are reported.
import type { GpuContext } from '../gpu/device.ts';
import type { BertOutputName } from '../model/bert-model.ts';
import { hasMaskedLmHead, hasNextSentenceHead, isTokenHead } from '../model/config.ts';
import type { LoadedBert } from '../model/load.ts';
import { tokenHeadShape } from '../model/token-heads.ts';

export interface DtypeChoice {
  dtype: 'f32' | 'f16';
  reason: string;
}

export const PROBE_TEXT = 'The quick brown fox jumps over the lazy dog, 1234 times! 我爱北京。';
const MIN_COSINE = 0.999;

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

const argmax = (x: Float32Array) => x.indexOf(Math.max(...x));

async function probe(loaded: LoadedBert) {
  const e = loaded.tokenizer.encode(PROBE_TEXT, null, { truncation: { maxLength: loaded.maxLength } });
  const { head } = loaded.model;
  const outputs: BertOutputName[] = ['lastHiddenState'];
  if (head === 'sequence-classification' || isTokenHead(head)) outputs.push('logits');
  if (hasMaskedLmHead(head)) outputs.push('mlmLogits');
  if (hasNextSentenceHead(head)) outputs.push('nspLogits');
  return loaded.model.forward({ B: 1, T: e.ids.length, inputIds: e.ids, tokenTypeIds: e.tokenTypeIds, attentionMask: e.attentionMask }, outputs);
}

/** Whether every token position predicts the same top token (masked-LM heads: what fill-mask ranks). */
function sameTopTokens(a: Float32Array, b: Float32Array, V: number): boolean {
  for (let r = 0; r < a.length / V; r++) {
    if (argmax(a.subarray(r * V, (r + 1) * V)) !== argmax(b.subarray(r * V, (r + 1) * V))) return false;
  }
  return true;
}

export async function chooseDtype(
  gpu: GpuContext,
  requested: 'f32' | 'f16' | 'auto',
  load: (dtype: 'f32' | 'f16', part: { index: number; of: number }) => Promise<LoadedBert>,
  softwareProfile = false,
): Promise<{ loaded: LoadedBert; choice: DtypeChoice }> {
  if (requested === 'f32') return { loaded: await load('f32', { index: 0, of: 1 }), choice: { dtype: 'f32', reason: 'requested' } };
  if (requested === 'f16') {
    if (!gpu.facts.hasF16) throw new Error("dtype 'f16' needs the adapter feature shader-f16, which this adapter lacks; use 'f32' or 'auto'");
    return { loaded: await load('f16', { index: 0, of: 1 }), choice: { dtype: 'f16', reason: 'requested' } };
  }
  if (!gpu.facts.hasF16) {
    return { loaded: await load('f32', { index: 0, of: 1 }), choice: { dtype: 'f32', reason: 'auto: the adapter has no shader-f16' } };
  }
  if (softwareProfile) {
    return { loaded: await load('f32', { index: 0, of: 1 }), choice: { dtype: 'f32', reason: 'auto: f32 on the software kernel profile (a CPU-backed adapter, where f16 storage only widens each load)' } };
  }
  const f32 = await load('f32', { index: 0, of: 2 });
  let f16: LoadedBert;
  try {
    f16 = await load('f16', { index: 1, of: 2 });
  } catch (e) {
    await f32.model.dispose();
    throw e;
  }
  try {
    const [a, b] = [await probe(f32), await probe(f16)];
    const cos = cosine(a.lastHiddenState!, b.lastHiddenState!);
    // The top label of whichever classifier the head has (sequence classification, or next sentence).
    const { head, config } = f32.model;
    // Token heads give a label (NER) or a start/end score (QA) per token: each token's argmax must agree.
    const sameLabel = (!a.logits || (isTokenHead(head) ? sameTopTokens(a.logits, b.logits!, tokenHeadShape(config, head).width) : argmax(a.logits) === argmax(b.logits!)))
      && (!a.nspLogits || argmax(a.nspLogits) === argmax(b.nspLogits!));
    const sameTokens = !a.mlmLogits || sameTopTokens(a.mlmLogits, b.mlmLogits!, f32.model.config.vocabSize);
    const checked = `${a.logits || a.nspLogits ? (isTokenHead(head) ? ', top label at every token' : ', top label') : ''}${a.mlmLogits ? ', top token at every position' : ''}`;
    if (cos >= MIN_COSINE && sameLabel && sameTokens) {
      await f32.model.dispose();
      return { loaded: f16, choice: { dtype: 'f16', reason: `auto: f16 probe agrees with f32 (cosine ${cos.toFixed(5)}${checked ? `; same${checked.slice(1)}` : ''})` } };
    }
    await f16.model.dispose();
    const differs = `${sameLabel ? '' : ', different top label'}${sameTokens ? '' : ', different top tokens'}`;
    return { loaded: f32, choice: { dtype: 'f32', reason: `auto: f16 probe disagrees with f32 (cosine ${cos.toFixed(5)}${differs})` } };
  } catch (e) {
    await f32.model.dispose();
    await f16.model.dispose();
    throw e;
  }
}
