// The measurement of the benchmark page (bench.html): bertgpu and transformers.js loaded from the same folder, then,
// per shape (sequences × tokens), one warm-up call each and N rounds that alternate the two sides, so whatever the
// machine does meanwhile (other tabs, clocks, thermal limits) hits both. Both sides are timed through their public
// pipeline API on the same texts: tokenizing, the forward, the read-back and the task's post-processing. bertgpu's
// `profile()` gives the per-dispatch GPU times and the forward's FLOPs (the GFLOP/s of both sides use the same count).
import { pipeline, type PipelineInfo, type ProfileResult } from '../../src/index.ts';
import type { BenchSource } from './bench-source.ts';
import { loadTransformersJs, type TjsSide } from './bench-tjs.ts';

export type BenchTask = 'text-classification' | 'feature-extraction';

export interface BenchSettings {
  /** Shapes to time: sequences × tokens ([CLS] and [SEP] included). */
  shapes: { B: number; T: number }[];
  /** Timed rounds per shape (each round runs both sides once). */
  rounds: number;
  /** bertgpu's precision; transformers.js runs the fp32 ONNX export. */
  dtype: 'f32' | 'f16' | 'auto';
  task: BenchTask;
  /** Also run transformers.js (off: bertgpu alone, e.g. a model without an ONNX export). */
  transformersJs: boolean;
  /**
   * 'gpu' (absent): bertgpu on WebGPU vs transformers.js device 'webgpu'. 'cpu': bertgpu's CPU backend (device 'cpu',
   * f32) vs transformers.js device 'wasm' (ONNX Runtime Web's CPU kernels); both take threads only when the page is
   * crossOriginIsolated (bertgpu: Environment.cpuThreads; ONNX Runtime Web: its own default), one each otherwise.
   */
  device?: 'gpu' | 'cpu';
}

export interface SideTimes {
  medianMs: number;
  minMs: number;
  /** Every timed call, in order (ms). */
  timesMs: number[];
  /** The forward's FLOPs over the median latency; null where profile() could not count them. */
  gflops: number | null;
}

export interface ShapeResult {
  B: number;
  T: number;
  /** FLOPs of one forward at this shape (bertgpu's plan: profile().totals.flops); null when profile() failed. */
  flops: number | null;
  bertgpu: SideTimes | null;
  transformersJs: SideTimes | null;
  /** transformers.js median / bertgpu median (> 1: bertgpu is faster). */
  speedup: number | null;
  /** bertgpu's per-dispatch GPU times for one forward, or why there are none. */
  profile: ProfileResult | { error: string };
}

export interface BenchResult {
  tool: 'bertgpu-bench';
  schema: 1;
  date: string;
  userAgent: string;
  model: { name: string; kind: BenchSource['kind']; task: BenchTask };
  settings: BenchSettings;
  /** The page's WebGPU adapter (the one both sides ask for). */
  adapter: AdapterFacts | null;
  bertgpu: { loadMs: number; dtype: string; dtypeReason: string; adapter: PipelineInfo['adapter']; device?: PipelineInfo['device'] } | { error: string };
  transformersJs: { loadMs: number; version: string; device: 'webgpu' | 'wasm'; dtype: 'fp32'; wasmThreads?: number } | { error: string } | { skipped: string };
  /** The page's crossOriginIsolated (SharedArrayBuffer, so threads for both CPU sides). */
  crossOriginIsolated?: boolean;
  shapes: ShapeResult[];
}

export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

/** Progress lines for the page (what is loading, which round). */
export type Report = (line: string) => void;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * B texts of T − 2 single-letter words. A single character is always one WordPiece token (itself, or [UNK] where the
 * vocabulary lacks it), so with [CLS] and [SEP] each text is exactly T tokens on every BERT tokenizer, cased or not.
 */
export function benchTexts(B: number, T: number): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: B }, (_, b) => Array.from({ length: T - 2 }, (_, i) => letters[(b * 7 + i * 11) % 26]).join(' '));
}

export async function adapterFacts(): Promise<AdapterFacts | null> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return null;
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const key of ['maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension']) {
    limits[key] = Number((adapter.limits as unknown as Record<string, number>)[key]);
  }
  return {
    vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
    isFallbackAdapter: (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    features: [...adapter.features].sort(), limits,
  };
}

const message = (e: unknown) => (e instanceof Error || e instanceof DOMException ? e.message || e.name : String(e));

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await f();
  return [value, performance.now() - t0];
}

function sideTimes(timesMs: number[], flops: number | null): SideTimes | null {
  if (timesMs.length === 0) return null;
  const medianMs = median(timesMs);
  return { medianMs, minMs: Math.min(...timesMs), timesMs, gflops: flops === null ? null : flops / medianMs / 1e6 };
}

/** Loads both sides, times every shape, profiles bertgpu, and disposes of both. Never throws for a side's failure. */
export async function runBench(source: BenchSource, settings: BenchSettings, report: Report): Promise<BenchResult> {
  const result: BenchResult = {
    tool: 'bertgpu-bench', schema: 1, date: new Date().toISOString(), userAgent: navigator.userAgent,
    model: { name: source.name, kind: source.kind, task: settings.task }, settings,
    adapter: await adapterFacts(), crossOriginIsolated: globalThis.crossOriginIsolated === true, bertgpu: { error: 'not loaded' }, transformersJs: { skipped: 'not asked for' }, shapes: [],
  };
  report(`Loading ${source.name} into bertgpu…`);
  type Pipe = ((texts: string[]) => Promise<unknown>) & { info: PipelineInfo; profile(t: string[]): Promise<ProfileResult>; dispose(): Promise<void> };
  let ours: Pipe | null = null;
  const cpu = settings.device === 'cpu';
  try {
    const options = cpu ? { device: 'cpu' as const } : { dtype: settings.dtype };
    const [pipe, loadMs] = await timed(() => pipeline(settings.task, source.bertgpuModel(), options) as unknown as Promise<Pipe>);
    ours = pipe;
    result.bertgpu = { loadMs, dtype: pipe.info.dtype, dtypeReason: pipe.info.dtypeReason, adapter: pipe.info.adapter, device: pipe.info.device };
  } catch (e) {
    result.bertgpu = { error: `bertgpu could not load the model: ${message(e)}` };
    report(result.bertgpu.error);
  }
  let theirs: TjsSide | null = null;
  if (settings.transformersJs) {
    const tjsDevice = cpu ? 'wasm' : 'webgpu';
    report(`Loading ${source.name} into transformers.js (${tjsDevice}, fp32 ONNX)…`);
    try {
      const [side, loadMs] = await timed(() => loadTransformersJs(source, settings.task, tjsDevice));
      theirs = side;
      result.transformersJs = { loadMs, version: side.version, device: tjsDevice, dtype: 'fp32', wasmThreads: side.wasmThreads };
    } catch (e) {
      result.transformersJs = { error: `transformers.js could not load the model: ${message(e)}` };
      report(result.transformersJs.error);
    }
  }
  try {
    if (!ours && !theirs) return result;
    const maxT = ours ? ours.info.maxLength : Infinity;
    for (const { B, T: asked } of settings.shapes) {
      const T = Math.min(asked, maxT);
      const texts = benchTexts(B, T);
      const sides: [string, (t: string[]) => Promise<unknown>, number[]][] = [];
      if (ours) sides.push(['bertgpu', ours, []]);
      if (theirs) sides.push(['transformers.js', theirs.run, []]);
      const failed = new Map<string, string>();
      for (const [name, run] of sides) {
        report(`${B} × ${T}: warming up ${name}…`);
        await run(texts).catch((e) => failed.set(name, message(e)));
      }
      for (let r = 0; r < settings.rounds; r++) {
        report(`${B} × ${T}: round ${r + 1} of ${settings.rounds}`);
        for (const [name, run, times] of sides) {
          if (failed.has(name)) continue;
          try {
            times.push((await timed(() => run(texts)))[1]);
          } catch (e) {
            failed.set(name, message(e));
          }
        }
      }
      let profile: ShapeResult['profile'] = { error: cpu ? 'profile() times GPU dispatches: not on the CPU backend' : 'bertgpu did not load' };
      if (ours && !cpu) {
        report(`${B} × ${T}: profiling bertgpu's dispatches…`);
        profile = await ours.profile(texts).catch((e) => ({ error: message(e) }));
      }
      // The texts are built to tokenize to exactly T; the profile's own count says whether they did.
      if ('totals' in profile && profile.T !== T) report(`${B} × ${T}: the texts tokenized to ${profile.T} tokens, not ${T}`);
      const flops = 'totals' in profile ? profile.totals.flops : null;
      const ourTimes = sideTimes(sides.find(([n]) => n === 'bertgpu')?.[2] ?? [], flops);
      const theirTimes = sideTimes(sides.find(([n]) => n === 'transformers.js')?.[2] ?? [], flops);
      for (const [name, why] of failed) report(`${B} × ${T}: ${name} failed: ${why}`);
      result.shapes.push({
        B, T, flops, bertgpu: ourTimes, transformersJs: theirTimes,
        speedup: ourTimes && theirTimes ? theirTimes.medianMs / ourTimes.medianMs : null, profile,
      });
    }
    return result;
  } finally {
    await ours?.dispose().catch(() => undefined);
    await theirs?.dispose().catch(() => undefined);
  }
}

/** "1x128,8x128" → shapes; throws naming the bad entry. */
export function parseShapes(text: string): { B: number; T: number }[] {
  const shapes = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(\d+)\s*[x×]\s*(\d+)$/.exec(s);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 3) throw new Error(`shape '${s}': write sequences×tokens, like 8x128 (tokens ≥ 3)`);
    return { B: Number(m[1]), T: Number(m[2]) };
  });
  if (shapes.length === 0) throw new Error('shapes: give at least one, like 1x128,8x128');
  return shapes;
}
