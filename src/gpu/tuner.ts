// Autotuning on the user's device: for one forward's graph at a (batch, sequence) bucket, time every applicable
// (candidate, tile) of each distinct op shape on scratch buffers of the op's sizes filled with small random values
// (never the model's weights: tuning runs while they download), and choose the fastest per shape. The choices go
// into AdapterProfile.choices, which lowering consults before the variant table's priority order.
//
// Timing: timestamp queries (one compute pass per run, all live candidates of an op in one submit per round) where
// the device has `timestamp-query`; else wall time of submit → onSubmittedWorkDone per run. Each candidate's time is
// the median of ≥ `samples` runs after a warm-up run; after the second round, candidates ≥ 2× slower than the best are
// dropped (an op whose candidates are that far apart needs no more rounds). Ops are tuned heaviest first (FLOPs ×
// occurrences). Two limits: every candidate's compile starts at once (overlapping the download and the first ops'
// timing), and ops wait for their compiles at most `compileWaitMs` from the call; the timing itself has a hard
// budget of wall time (`budgetMs`, from the first timed run): a run is started only if it is predicted to end in the
// budget, so the overrun is at most one run. An op not finished within either keeps the table's choice and is not
// stored (a later call, with its pipelines compiled by then, times it). Choices are stored per adapter + kernel sources + shape (src/gpu/tuner-cache.ts); an op found
// there is not timed.
import { opFlops } from '../graph/dispatch-info.ts';
import type { Graph, Op } from '../graph/ops.ts';
import { choiceLabel, opKey, tunableVariants, type AdapterProfile, type Candidate, type LoweredDispatch, type OpKind, type OpOf, type VariantChoice } from '../graph/variants.ts';
import type { AdapterFacts } from './device.ts';
import { bindKernel } from './dispatch.ts';
import type { KernelName } from './kernels.ts';
import type { PipelineCache } from './pipelines.ts';
import { adapterKey, kernelSourceHash, tuningKey, type TuningEntry, type TuningStore } from './tuner-cache.ts';
import { createScratch, type Scratch } from './tuner-scratch.ts';

export interface TuneContext {
  device: GPUDevice;
  pipelines: PipelineCache;
  facts: Pick<AdapterFacts, 'vendor' | 'architecture' | 'description'>;
}

export interface TuneOptions {
  /** Wall-time budget of the timing, from its first run to its last (default 300 ms). */
  budgetMs?: number;
  /** How long ops wait for their candidates' compiles, from the call (default 2000 ms; compiles go on after it). */
  compileWaitMs?: number;
  /** Runs per candidate whose median is its time (default 5, at least 5). */
  samples?: number;
  /** Where choices persist (default: none — every call times). */
  store?: TuningStore | null;
  /** 'auto' (default): timestamp queries where the device has them, else wall time. */
  timing?: 'auto' | 'timestamps' | 'wall';
  /** Hash of an op's candidate kernels (default kernelSourceHash); a test changes it to stand for edited WGSL. */
  hashSources?: (kernels: readonly KernelName[], extra: string) => string;
}

/** What happened to one distinct op shape. */
export interface OpTuning {
  key: string;
  op: OpKind;
  /** Every (candidate, tile) considered, with its median time (null where it was not timed or failed). */
  candidates: Array<{ label: string; ms: number | null; runs: number }>;
  choice: VariantChoice;
  /**
   * cache: from the store; timed: measured now; single: one candidate, nothing to time; budget: out of time, and
   * failed: no candidate ran here (both keep the table's order).
   */
  source: 'cache' | 'timed' | 'single' | 'budget' | 'failed';
}

export interface TuneResult {
  /** Choices by opKey for the ops whose choice is known (cache or timed); merge into AdapterProfile.choices. */
  choices: Map<string, VariantChoice>;
  ops: OpTuning[];
  elapsedMs: number;
  /** Wall time from the first timed run to the end (what budgetMs bounds); 0 when nothing was timed. */
  measureMs: number;
  /** Timed runs (warm-ups included): 0 when everything came from the store. */
  timedRuns: number;
  method: 'timestamps' | 'wall';
  /** The longest single timed run (ms; warm-ups included): the most a run started before the deadline can overrun it. */
  longestRunMs: number;
  /** Settles when every pipeline this call started compiling has (the device must outlive them; lavapipe crashes). */
  idle: Promise<void>;
}

const now = () => globalThis.performance.now();
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Variant {
  candidate: Candidate;
  choice: VariantChoice;
  label: string;
  dispatches?: Array<{ kernel: KernelName; pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; grid: readonly [number, number?, number?] }>;
  /** The warm-up run's time (a predictor for the budget), then the timed runs. */
  warmMs?: number;
  ms: number[];
  /** It could not be lowered, compiled or bound here. */
  failed: boolean;
  /** Dropped after two rounds at ≥ 2× the best. */
  dropped: boolean;
}

interface OpGroup {
  key: string;
  op: Op;
  weight: number;
  variants: Variant[];
  storeKey: string;
}

/** Tunes the ops of one forward graph (graph built for `profile`, as plans are). */
export async function tuneGraph(ctx: TuneContext, graph: Graph, dtype: 'f32' | 'f16', profile: AdapterProfile, options: TuneOptions = {}): Promise<TuneResult> {
  const start = now();
  const budget = options.budgetMs ?? 300;
  if (!(budget >= 0)) throw new Error(`tune: budgetMs must be ≥ 0, got ${String(options.budgetMs)}`);
  const samples = Math.max(5, Math.floor(options.samples ?? 5));
  const compileWait = options.compileWaitMs ?? 2000;
  if (!(compileWait >= 0)) throw new Error(`tune: compileWaitMs must be ≥ 0, got ${String(options.compileWaitMs)}`);
  const limits: Limits = { budget, compileDeadline: start + compileWait, measureStart: null };
  const { device } = ctx;
  const wantTimestamps = options.timing === 'timestamps' || (options.timing !== 'wall' && device.features.has('timestamp-query'));
  if (wantTimestamps && !device.features.has('timestamp-query')) throw new Error("tune: timing 'timestamps' needs a device with timestamp-query");
  const method = wantTimestamps ? 'timestamps' as const : 'wall' as const;
  const hash = options.hashSources ?? kernelSourceHash;
  // Tuning ignores choices the profile already has: it measures the table's candidates themselves.
  const base: AdapterProfile = { kind: profile.kind, features: profile.features };
  const adapter = adapterKey(ctx.facts);

  // Distinct op shapes, heaviest first.
  const groups = new Map<string, OpGroup>();
  for (const op of graph.ops) {
    const key = opKey(op);
    const g = groups.get(key);
    if (g) {
      g.weight += opFlops(op);
      continue;
    }
    const variants = tunableVariants(op as OpOf<OpKind>, dtype, base).map(({ candidate, choice }) => ({
      candidate: candidate as Candidate, choice, label: choiceLabel(choice), ms: [], failed: false, dropped: false,
    }));
    const kernels = [...new Set(variants.flatMap((v) => v.candidate.kernels ?? [v.candidate.kernel]))];
    const sources = hash(kernels, JSON.stringify(variants.map((v) => v.choice)));
    groups.set(key, { key, op, weight: opFlops(op), variants, storeKey: tuningKey({ adapter, sources, dtype, profile: profile.kind, op: key }) });
  }
  const order = [...groups.values()].sort((a, b) => b.weight - a.weight);

  const choices = new Map<string, VariantChoice>();
  const ops: OpTuning[] = [];
  const compiles: Promise<unknown>[] = [];
  const fresh = new Map<string, TuningEntry>();
  let timedRuns = 0;
  const report = (g: OpGroup, choice: VariantChoice, source: OpTuning['source']) => {
    ops.push({ key: g.key, op: g.op.kind, choice, source,
      candidates: g.variants.map((v) => ({ label: v.label, ms: v.ms.length > 0 && !v.failed ? median(v.ms) : null, runs: v.ms.length + (v.warmMs === undefined ? 0 : 1) })) });
    if (source === 'cache' || source === 'timed') choices.set(g.key, choice);
  };

  const tunable = order.filter((g) => g.variants.length > 1);
  const cached = options.store ? await options.store.getMany(tunable.map((g) => g.storeKey)) : new Map<string, TuningEntry>();
  // Every candidate to be timed starts compiling now (stand-in buffers: lowering only passes buffers through).
  for (const g of tunable) {
    if (cached.has(g.storeKey)) continue;
    for (const v of g.variants) {
      try {
        const bytes = v.candidate.scratchBytes?.(g.op as never) ?? 0;
        const out = v.candidate.lower(g.op as never, () => ({}) as GPUBuffer, () => ({ size: bytes }) as GPUBuffer, v.choice.tile);
        for (const d of Array.isArray(out) ? out : [{ kernel: v.candidate.kernel, call: out }]) {
          // A failed compile is timeGroup's to report (it awaits the same cached promise).
          compiles.push(ctx.pipelines.get(d.kernel, d.call.overrides).catch(() => undefined));
        }
      } catch {
        // timeGroup lowers it again and marks it failed.
      }
    }
  }
  for (const g of order) {
    if (g.variants.length <= 1) {
      if (g.variants[0]) report(g, g.variants[0].choice, 'single');
      continue;
    }
    const hit = cached.get(g.storeKey);
    const stored = hit && g.variants.find((v) => v.label === choiceLabel(hit));
    if (stored) {
      report(g, stored.choice, 'cache');
      continue;
    }
    if (outOfTime(limits)) {
      report(g, g.variants[0].choice, 'budget');
      continue;
    }
    const scratch = createScratch(device, graph, g.key);
    try {
      const outcome = await timeGroup(ctx, g, scratch, { limits, samples, method, compiles, count: () => timedRuns++ });
      if (outcome === 'timed') {
        const best = bestOf(g.variants);
        report(g, best.choice, 'timed');
        fresh.set(g.storeKey, { ...best.choice, ms: median(best.ms) });
      } else {
        report(g, g.variants[0].choice, outcome);
      }
    } finally {
      scratch.destroy();
    }
  }
  if (options.store && fresh.size > 0) await options.store.putMany(fresh);
  const longestRunMs = Math.max(0, ...[...groups.values()].flatMap((g) => g.variants.flatMap((v) => [...v.ms, v.warmMs ?? 0])));
  const end = now();
  return { choices, ops, elapsedMs: end - start, measureMs: limits.measureStart === null ? 0 : end - limits.measureStart, timedRuns, method, longestRunMs, idle: Promise.allSettled(compiles).then(() => undefined) };
}

const live = (vs: readonly Variant[]) => vs.filter((v) => !v.failed && !v.dropped);
function bestOf(vs: readonly Variant[]): Variant {
  return live(vs).reduce((a, b) => (median(b.ms) < median(a.ms) ? b : a));
}

interface Limits {
  budget: number;
  compileDeadline: number;
  /** When the first timed run started (the budget runs from there). */
  measureStart: number | null;
}

/** The end of the timing budget: from the first run, or from now if none has run yet. */
const measureDeadline = (l: Limits) => (l.measureStart ?? now()) + l.budget;
const outOfTime = (l: Limits) => (l.measureStart !== null && now() >= measureDeadline(l)) || (l.measureStart === null && l.budget === 0);

interface TimingPlan {
  limits: Limits;
  samples: number;
  method: 'timestamps' | 'wall';
  compiles: Promise<unknown>[];
  count(): void;
}

/** Sleeps until the deadline (a race partner for compiles). */
const until = (deadline: number) => new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), Math.max(0, deadline - now())));

/** Compiles, binds, warms and times the variants of one op. */
async function timeGroup(ctx: TuneContext, g: OpGroup, s: Scratch, t: TimingPlan): Promise<'timed' | 'budget' | 'failed'> {
  const { device } = ctx;
  // Lower every variant on the scratch buffers; start their compiles together.
  const lowered = g.variants.map((v) => {
    let bytes = 0;
    try {
      bytes = v.candidate.scratchBytes?.(g.op as never) ?? 0;
      const out = v.candidate.lower(g.op as never, (id) => s.buffer(id), () => s.scratch(bytes), v.choice.tile);
      return Array.isArray(out) ? out : [{ kernel: v.candidate.kernel, call: out } satisfies LoweredDispatch];
    } catch {
      v.failed = true;
      return [];
    }
  });
  const pipelines = lowered.map((ds) => ds.map((d) => ctx.pipelines.get(d.kernel, d.call.overrides)));
  t.compiles.push(...pipelines.flat());
  // Wait for the compiles until the compile deadline, or the timing budget's end once timing has begun.
  const wait = t.limits.measureStart === null ? t.limits.compileDeadline : Math.min(t.limits.compileDeadline, measureDeadline(t.limits));
  const ready = await Promise.race([Promise.allSettled(pipelines.map((ps) => Promise.all(ps))), until(wait)]);
  if (ready === 'late') return 'budget';
  const bound = ready.map(async (r, i) => {
    const v = g.variants[i];
    if (r.status === 'rejected' || v.failed) {
      v.failed = true;
      return;
    }
    device.pushErrorScope('validation');
    try {
      v.dispatches = lowered[i].map((d, j) => {
        const { bindGroup, uniform } = bindKernel(device, ctx.pipelines, d.kernel, d.call);
        s.uniforms.push(uniform);
        return { kernel: d.kernel, pipeline: r.value[j], bindGroup, grid: d.call.grid };
      });
    } catch {
      v.failed = true;
    } finally {
      if (await device.popErrorScope()) v.failed = true;
    }
  });
  await Promise.all(bound);
  if (live(g.variants).length === 0) return 'failed';

  // Warm-up round (first-dispatch costs; its times predict the next round's), then the timed rounds.
  if (!(await round(device, live(g.variants), t))) return 'budget';
  for (const v of g.variants) v.warmMs = v.ms.pop();
  for (let r = 0; r < t.samples; r++) {
    const vs = live(g.variants);
    if (vs.length === 1 && r >= 2) break;
    if (!(await round(device, vs, t))) return 'budget';
    if (r === 1) {
      // Far apart after two rounds: the slow ones are no contest (and often the op needs no more rounds).
      const best = Math.min(...vs.map((v) => median(v.ms)));
      if (best > 0) for (const v of vs) if (median(v.ms) >= 2 * best) v.dropped = true;
    }
  }
  return 'timed';
}

/**
 * One run of each variant, each part started only if predicted to end within the budget; appends each run's ms.
 * False when out of budget. With timestamps, variants whose time is known share one submit (one round trip); a
 * variant not yet run (the warm-up) goes alone, so the budget is checked before each run whose length is unknown.
 */
async function round(device: GPUDevice, vs: Variant[], t: TimingPlan): Promise<boolean> {
  const expected = (v: Variant) => (v.ms.length ? median(v.ms) : v.warmMs);
  const known = vs.every((v) => expected(v) !== undefined);
  const parts = t.method === 'timestamps' && known ? [vs] : vs.map((v) => [v]);
  for (const part of parts) {
    const predicted = part.reduce((sum, v) => sum + (expected(v) ?? 0), 0);
    const deadline = measureDeadline(t.limits);
    if (t.limits.budget === 0 || now() >= deadline || now() + predicted > deadline) return false;
    t.limits.measureStart ??= now();
    if (t.method === 'timestamps') await timestamped(device, part);
    else await wallTimed(device, part[0]);
    part.forEach(() => t.count());
  }
  return true;
}

/** One run of each variant in one submit, each its own pass between two timestamps. */
async function timestamped(device: GPUDevice, vs: Variant[]): Promise<void> {
  const count = 2 * vs.length;
  const querySet = device.createQuerySet({ label: 'tune', type: 'timestamp', count });
  const resolved = device.createBuffer({ label: 'tune.resolve', size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ label: 'tune.readback', size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder({ label: 'tune' });
    vs.forEach((v, i) => record(encoder, v, { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 }));
    encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, readback, 0, count * 8);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const ns = new BigInt64Array(readback.getMappedRange());
    // As in step-timer.ts: an end before its begin (non-monotonic timestamps on some drivers) reads 0.
    vs.forEach((v, i) => v.ms.push(Math.max(0, Number(ns[2 * i + 1] - ns[2 * i])) / 1e6));
    readback.unmap();
  } finally {
    querySet.destroy();
    resolved.destroy();
    readback.destroy();
  }
}

/** One run of a variant timed from submit to onSubmittedWorkDone. */
async function wallTimed(device: GPUDevice, v: Variant): Promise<void> {
  const encoder = device.createCommandEncoder({ label: 'tune' });
  record(encoder, v);
  const t0 = now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  v.ms.push(now() - t0);
}

/** One run of a variant: its dispatches in one compute pass (WebGPU orders their storage accesses). */
function record(encoder: GPUCommandEncoder, v: Variant, timestampWrites?: GPUComputePassTimestampWrites): void {
  const pass = encoder.beginComputePass({ label: `tune:${v.label}`, ...(timestampWrites ? { timestampWrites } : {}) });
  for (const d of v.dispatches ?? []) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.grid[0], d.grid[1] ?? 1, d.grid[2] ?? 1);
  }
  pass.end();
}

/** Merges tuning results' choices into a profile (later results win). */
export function withChoices(profile: AdapterProfile, ...results: ReadonlyArray<Pick<TuneResult, 'choices'>>): AdapterProfile {
  const merged = new Map(profile.choices ?? []);
  for (const r of results) for (const [k, v] of r.choices) merged.set(k, v);
  return { ...profile, choices: merged };
}
