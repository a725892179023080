// `bertgpu plan` (one forward's dispatches from config.json alone: no weights, no device) and `bertgpu profile` (the
// same forward on this adapter, each dispatch timed with timestamp queries). --json prints one object.
import type { DispatchInfo } from '../graph/dispatch-info.ts';
import { headOf, parseBertConfig, type BertConfig } from '../model/config.ts';
import { planDump } from '../model/plan-dump.ts';
import { PROFILE_SHAPE } from '../runtime/profile.ts';
import { taskModule, taskNames } from '../tasks/registry.ts';
import type { CliOptions } from './args.ts';
import { openPipeline, provider, type Out } from './commands.ts';

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

/**
 * The task `profile` loads the model for: the first registered task whose head check accepts the checkpoint as
 * config.json describes it (its own head runs), else one that loads any checkpoint as its base model.
 */
function profileTask(label: string, config: BertConfig): string {
  const modules = taskNames().map((n) => taskModule(n));
  const accepts = (m: (typeof modules)[number]) => {
    try {
      m.checkModel?.({ label, config, head: headOf(config) });
      return true;
    } catch {
      return false;
    }
  };
  const task = modules.find((m) => !m.loadAsBase && m.checkModel && accepts(m)) ?? modules.find((m) => m.loadAsBase);
  if (!task) throw new Error(`${label}: no task runs this model`);
  return task.name;
}

export async function profile(o: CliOptions, out: Out): Promise<void> {
  const config = await readConfig(o);
  const B = o.batch!;
  const T = o.tokens!;
  if (T > config.maxPositionEmbeddings) throw new Error(`--tokens ${T} exceeds the model's max_position_embeddings (${config.maxPositionEmbeddings})`);
  const pipe = await openPipeline(profileTask(provider(o).label, config), o);
  try {
    // A first run builds the plan and compiles its pipelines; the second is the one reported.
    const shape = { [PROFILE_SHAPE]: { B, T } };
    await pipe.profile(shape);
    const p = await pipe.profile(shape);
    const a = pipe.info.adapter;
    const adapter = { vendor: a.vendor, architecture: a.architecture, description: a.description, fallback: a.isFallbackAdapter };
    const { totals } = p;
    if (o.json) {
      return out([JSON.stringify({ dispatches: p.dispatches, batchBucket: p.batchBucket, sequenceBucket: p.sequenceBucket, dtype: o.dtype, adapter, totals })]);
    }
    return out(table(p.dispatches, [
      `adapter ${a.description || a.vendor}, ${o.dtype}, batch ${B} → ${p.batchBucket}, tokens ${T} → ${p.sequenceBucket}`,
      `${totals.dispatches} dispatches, ${fmt(totals.gpuMs, 3)} GPU ms, ${fmt(totals.flops / 1e9, 3)} GFLOP, ${fmt(totals.gflops, 1)} GFLOP/s`,
    ]));
  } finally {
    await pipe.dispose();
  }
}
