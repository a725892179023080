// One forward's dispatches from config.json alone: no weights, no device. The graph is built as the runtime builds it
// (same buckets, same head), and lowered through the same lowerGraph as a real plan with stand-in buffers, so the
// list is the one the runtime records for that adapter profile (`bertgpu plan`).
import type { DispatchInfo } from '../graph/dispatch-info.ts';
import { describeGraph } from '../graph/plan.ts';
import { softwareProfile, type AdapterProfile } from '../graph/variants.ts';
import { batchBucket, sequenceBucket } from './batch-shape.ts';
import { buildBertGraph } from './bert.ts';
import { hasMaskedLmHead, headOf, type BertConfig, type BertHead } from './config.ts';

export type AdapterProfileName = 'gpu' | 'software';

/** The adapters the kernel choice is dumped for, as lowerOp's variant table sees them. */
export const ADAPTER_PROFILES: Readonly<Record<AdapterProfileName, AdapterProfile>> = {
  // A hardware adapter with shader-f16 and subgroups, before any tuning.
  gpu: { kind: 'gpu', features: ['shader-f16', 'subgroups'] },
  // lavapipe as the tests run it: a software adapter that also has shader-f16 and subgroups (today's choices).
  software: softwareProfile,
};

export interface PlanDumpOptions {
  /** Sequences and tokens of the call; the plan runs at their buckets, as forward() would. */
  B: number;
  T: number;
  dtype?: 'f32' | 'f16';
  /** A named profile or an adapter's own (adapterProfile(facts)); default 'software'. */
  adapter?: AdapterProfileName | AdapterProfile;
  /** Default: the head config.json's architectures name. */
  head?: BertHead;
  /** Whether the checkpoint has a pooler (unknown without the weights; HF's BertModel saves one). Default true. */
  hasPooler?: boolean;
  /** Masked-LM heads: rows the decoder scores (fill-mask: the [MASK]s). Default one per sequence. */
  mlmRows?: number;
  /** Weights held in row blocks (a loaded model's BertModel.rowBlocks; BertGraphOptions.weightBlocks). Default none. */
  weightBlocks?: ReadonlyMap<string, readonly number[]>;
}

export interface PlanDump {
  /** The plan's shape: batch and sequence buckets (the device's binding limit may cap the batch lower at run time). */
  batchBucket: number;
  sequenceBucket: number;
  dispatches: DispatchInfo[];
}

export function planDump(config: BertConfig, o: PlanDumpOptions): PlanDump {
  for (const [name, v] of [['B', o.B], ['T', o.T]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`plan: ${name} must be a positive integer, got ${String(v)}`);
  }
  if (o.T > config.maxPositionEmbeddings) throw new RangeError(`plan: ${o.T} tokens exceed max_position_embeddings (${config.maxPositionEmbeddings})`);
  const adapter = typeof o.adapter === 'object' ? o.adapter : ADAPTER_PROFILES[o.adapter ?? 'software'];
  if (!adapter) throw new RangeError(`plan: unknown adapter profile ${JSON.stringify(o.adapter)} (expected gpu or software)`);
  const dtype = o.dtype ?? 'f32';
  const head = o.head ?? headOf(config);
  const Tb = sequenceBucket(o.T, config.maxPositionEmbeddings);
  const Bb = batchBucket(o.B);
  let mlmRows = 0;
  if (hasMaskedLmHead(head)) for (mlmRows = 1; mlmRows < (o.mlmRows ?? o.B);) mlmRows *= 2;
  const graph = buildBertGraph(config, {
    B: Bb, T: Tb, dtype, head, hasPooler: o.hasPooler ?? true, mlmRows, untiedDecoder: !config.tieWordEmbeddings, profile: adapter,
    weightBlocks: o.weightBlocks,
  });
  return { batchBucket: Bb, sequenceBucket: Tb, dispatches: describeGraph(graph, dtype, adapter) };
}
