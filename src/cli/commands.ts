// The CLI commands. Each writes one result per input to stdout (JSON lines with --json) and nothing else there,
// a batch at a time as the batches finish. A task command is a formatter over bertgpu/node's pipeline(): each input
// line is one call (the pipeline's micro-batcher packs a batch's calls into forwards), printed by the task's CLI entry.
import { openProvider } from '../hub/node-files.ts';
import { openModel } from '../hub/model.ts';
import type { GpuContext } from '../gpu/device.ts';
import { tokenizerFromFiles } from '../model/load.ts';
import { pipeline } from '../node.ts';
import { WITH_DETAILS } from '../runtime/details.ts';
import type { CliLine } from '../tasks/task.ts';
import type { CliOptions } from './args.ts';
import { wasmSimdSupport } from '../cpu-backend/wasm-kernels.ts';
import type { InputBatches } from './inputs.ts';

/** Writes one batch's result lines (one per input) and resolves when more may be written. */
export type Out = (lines: readonly string[]) => Promise<void>;

export function provider(o: CliOptions) {
  return openProvider(o.model!, { endpoint: o.endpoint, cacheDir: o.cache ? undefined : false });
}

/** The pipeline a command runs on: the CLI's dtype, endpoint, cache, batch size, kernel profile and device. */
export function openPipeline(task: string, o: CliOptions) {
  return pipeline(task, o.model!, {
    dtype: o.dtype, endpoint: o.endpoint, cache: o.cache, maxBatchSize: o.batchSize,
    ...(o.kernelProfile ? { kernelProfile: o.kernelProfile } : {}),
    ...(o.device ? { device: o.device } : {}),
  });
}

/**
 * An input's failure as the CLI reports it: "input N …". A task names a single input "inputs" in its messages
 * ("inputs: no mask token …"); that word becomes "input N", anything else gets "input N: " in front.
 */
function atInput(n: number, e: unknown): unknown {
  if (!(e instanceof Error) || e.name === 'AbortError' || e.name === 'OutputClosed') return e;
  const message = /^inputs\b(?!\[)/.test(e.message) ? e.message.replace(/^inputs/, `input ${n}`) : `input ${n}: ${e.message}`;
  const wrapped = new Error(message, { cause: e });
  return wrapped;
}

/** The call's arguments for a line, as the task's CLI entry says (default: the text, or { text, text_pair }). */
function defaultArgs(line: CliLine): unknown[] {
  return [line.textPair === undefined ? line.text : { text: line.text, text_pair: line.textPair }];
}

export async function runTask(o: CliOptions, batches: InputBatches, out: Out): Promise<void> {
  const { module, cli } = o.task!;
  const pipe = await openPipeline(module.name, o);
  const call = pipe as unknown as (...args: unknown[]) => Promise<{ result: unknown; details: unknown[] }>;
  const format = { json: o.json, topK: o.topK };
  try {
    for await (const { first, inputs } of batches) {
      // Every line of the batch is one call, made in the same tick: the micro-batcher runs them as few forwards.
      const calls = inputs.map(async (line, k) => {
        if (cli.pairs === false && line.textPair !== undefined) {
          throw new Error(`${cli.command} takes single texts; input ${first + k + 1} has a TAB (text pair)`);
        }
        try {
          const args = cli.args ? cli.args(line) : defaultArgs(line);
          return await call(...args, { ...o.callOptions, [WITH_DETAILS]: true });
        } catch (e) {
          throw atInput(first + k + 1, e);
        }
      });
      const settled = await Promise.allSettled(calls);
      const lines: string[] = [];
      const failed = settled.findIndex((s) => s.status === 'rejected');
      for (const s of failed < 0 ? settled : settled.slice(0, failed)) {
        const { result, details } = (s as PromiseFulfilledResult<{ result: unknown; details: unknown[] }>).value;
        lines.push(cli.format(result, details, format));
      }
      // The lines before a failing one are written, then the run stops with its error.
      await out(lines);
      if (failed >= 0) throw (settled[failed] as PromiseRejectedResult).reason;
    }
  } finally {
    await pipe.dispose();
  }
}

export async function tokenize(o: CliOptions, inputs: InputBatches, out: Out): Promise<void> {
  const files = await openModel(provider(o));
  const tokenizer = tokenizerFromFiles(files);
  const maxLength = Math.min(tokenizer.modelMaxLength ?? Infinity, files.config.maxPositionEmbeddings);
  const line = (input: CliLine) => {
    const e = tokenizer.encode(input.text, input.textPair ?? null, { truncation: { maxLength }, returnOverflowing: true });
    if (!o.json) return Array.from(e.ids, (id) => tokenizer.idToToken(id) ?? `<${id}>`).join(' ');
    const offsets: [number, number][] = [];
    for (let i = 0; i < e.offsets.length; i += 2) offsets.push([e.offsets[i], e.offsets[i + 1]]);
    const truncated = e.overflowing.length > 0;
    return JSON.stringify({ ids: Array.from(e.ids), tokenTypeIds: Array.from(e.tokenTypeIds), attentionMask: Array.from(e.attentionMask), offsets, truncated });
  };
  for await (const batch of inputs) await out(batch.inputs.map(line));
}

/** The CPU backend's engine facts (info --device cpu, or where WebGPU is unavailable). */
export function cpuInfo(o: CliOptions, out: Out, reason: string): Promise<void> {
  const { simd, relaxed } = wasmSimdSupport();
  const facts = { backend: 'cpu', reason, simd128: simd, relaxedSimd: relaxed, threads: 1 };
  if (o.json) return out([JSON.stringify(facts)]);
  return out([
    `backend:      cpu (${reason})`,
    `simd128:      ${simd ? 'yes' : 'no (the CPU backend cannot run here)'}`,
    `relaxed SIMD: ${relaxed ? 'yes (fused multiply-add)' : 'no (multiply + add)'}`,
    'threads:      1',
  ]);
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
