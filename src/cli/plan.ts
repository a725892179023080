// `bertgpu plan` (one forward's dispatches from config.json alone: no weights, no device) and `bertgpu profile` (the
// same forward on this adapter, each dispatch timed with timestamp queries). --json prints one object.
import type { GpuContext } from '../gpu/device.ts';
import type { DispatchInfo } from '../graph/dispatch-info.ts';
import { parseBertConfig, type BertConfig } from '../model/config.ts';
import { loadBert } from '../model/load.ts';
import { planDump } from '../model/plan-dump.ts';
import { hasMaskedLmHead } from '../model/config.ts';
import type { CliOptions } from './args.ts';
import { provider, type Out } from './commands.ts';

async function readConfig(o: CliOptions): Promise<BertConfig> {
  const files = provider(o);
  const text = await files.text('config.json');
  if (text === null) throw new Error(`${files.label}: no config.json`);
  return parseBertConfig(text, `${files.label}/config.json`);
}

/** Dispatches per encoder layer: the difference the layer count makes (whatever the kernels split an op into). */
function perLayer(config: BertConfig, count: (c: BertConfig) => number): number {
  const L = config.numHiddenLayers;
  const other = L === 1 ? 2 : 1;
  return Math.abs(count(config) - count({ ...config, numHiddenLayers: other })) / Math.abs(L - other);
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const triple = (t: readonly number[]) => t.join('×');

/** A readable table: one line per dispatch (and its time when profiled), then totals. */
function table(dispatches: Array<DispatchInfo & { gpuMs?: number }>, footer: string[]): string[] {
  const timed = dispatches.some((d) => d.gpuMs !== undefined);
  const rows = dispatches.map((d, i) => [String(i), d.op, d.kernel, triple(d.workgroups), triple(d.workgroupSize),
    fmt(d.workgroups.reduce((a, b) => a * b, 1) * d.workgroupSize.reduce((a, b) => a * b, 1)), fmt(d.flops / 1e6, 2),
    ...(timed ? [fmt(d.gpuMs ?? 0, 3)] : [])]);
  const head = ['#', 'op', 'kernel', 'workgroups', 'wg size', 'threads', 'MFLOP', ...(timed ? ['GPU ms'] : [])];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((x, c) => (c < 3 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line), '', ...footer];
}

export async function plan(o: CliOptions, out: Out): Promise<void> {
  const config = await readConfig(o);
  const options = { B: o.batch!, T: o.tokens!, dtype: o.dtype, adapter: o.profile };
  const dump = planDump(config, options);
  const flops = dump.dispatches.reduce((a, d) => a + d.flops, 0);
  const layer = perLayer(config, (c) => planDump(c, options).dispatches.length);
  if (o.json) {
    return out([JSON.stringify({
      dispatches: dump.dispatches, batchBucket: dump.batchBucket, sequenceBucket: dump.sequenceBucket,
      totals: { dispatches: dump.dispatches.length, flops, dispatchesPerLayer: layer },
    })]);
  }
  return out(table(dump.dispatches, [
    `profile ${o.profile}, ${o.dtype}, batch ${o.batch} → ${dump.batchBucket}, tokens ${o.tokens} → ${dump.sequenceBucket}`,
    `${dump.dispatches.length} dispatches (${layer} per layer × ${config.numHiddenLayers}), ${fmt(flops / 1e9, 3)} GFLOP`,
  ]));
}

export async function profile(gpu: GpuContext, o: CliOptions, out: Out): Promise<void> {
  const loaded = await loadBert(gpu, provider(o), { dtype: o.dtype });
  try {
    const { model } = loaded;
    const { vocabSize, maxPositionEmbeddings } = model.config;
    const B = o.batch!;
    const T = o.tokens!;
    if (T > maxPositionEmbeddings) throw new Error(`--tokens ${T} exceeds the model's max_position_embeddings (${maxPositionEmbeddings})`);
    // Timing does not depend on which tokens run: a fixed spread of ids, every position attended.
    const inputIds = Int32Array.from({ length: B * T }, (_, i) => (7 * i + 1) % vocabSize);
    const batch = { B, T, inputIds, tokenTypeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T).fill(1),
      // Masked-LM heads score one row per sequence (a fill-mask call with one [MASK] each), as `plan` assumes.
      mlmRows: hasMaskedLmHead(model.head) ? Array.from({ length: B }, (_, b) => b * T + Math.min(1, T - 1)) : undefined };
    // A first run builds the plan and compiles its pipelines; the second is the one reported.
    await model.profile(batch);
    const p = await model.profile(batch);
    const gpuMs = p.dispatches.reduce((a, d) => a + d.gpuMs, 0);
    const flops = p.dispatches.reduce((a, d) => a + d.flops, 0);
    const f = gpu.facts;
    const adapter = { vendor: f.vendor, architecture: f.architecture, description: f.description, fallback: f.isFallbackAdapter };
    const totals = { dispatches: p.dispatches.length, gpuMs, flops, gflops: gpuMs > 0 ? flops / gpuMs / 1e6 : 0 };
    if (o.json) {
      return out([JSON.stringify({ dispatches: p.dispatches, batchBucket: p.batchBucket, sequenceBucket: p.sequenceBucket, dtype: o.dtype, adapter, totals })]);
    }
    return out(table(p.dispatches, [
      `adapter ${f.description || f.vendor}, ${o.dtype}, batch ${B} → ${p.batchBucket}, tokens ${T} → ${p.sequenceBucket}`,
      `${totals.dispatches} dispatches, ${fmt(gpuMs, 3)} GPU ms, ${fmt(flops / 1e9, 3)} GFLOP, ${fmt(totals.gflops, 1)} GFLOP/s`,
    ]));
  } finally {
    await loaded.model.dispose();
  }
}
