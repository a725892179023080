// The forward-only rows of npm run bench (`--forward`): BertModel.forward on a ready batch of token ids against
// transformers.js's model() on the same ids (ONNX Runtime CPU and WebGPU) — no tokenizing, no post-processing, no
// pipeline. The main table (scripts/bench-forward.ts) times the public pipeline API; this one says how much of a
// difference is the forward itself. Sides alternate round after round; medians.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { requestDevice } from '../src/gpu/device.ts';
import { findLavapipeIcd, requestNodeGpu } from '../src/gpu/node-gpu.ts';
import { dirProvider } from '../src/hub/node-files.ts';
import { loadBert } from '../src/model/load.ts';
import { tablePrinter } from './bench-table.ts';

const root = resolve(import.meta.dirname, '..');
const models: Record<string, string> = {
  tiny: join(root, 'test/fixtures/tiny-bert'),
  minilm: join(root, '.cache/models/minilm-random'),
  base: join(root, '.cache/models/base-random'),
};
export interface DirectOptions {
  models: string[];
  batches: number[];
  tokens: number;
  rounds?: number;
  webgpu: boolean;
  f16: boolean;
}

// transformers.js's WebGPU EP (its own Dawn inside onnxruntime-node) finds the adapter through VK_DRIVER_FILES;
// point both sides at the same software driver when there is no real GPU.
const icd = findLavapipeIcd();
if (!process.env.VK_DRIVER_FILES && icd) process.env.VK_DRIVER_FILES = icd;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

export async function benchDirect(args: DirectOptions): Promise<void> {
  const wanted = args.models;
  for (const m of wanted) if (!models[m]) throw new Error(`unknown model '${m}' (tiny, minilm, base)`);
  if (wanted.some((m) => m !== 'tiny' && !existsSync(join(models[m], 'model.safetensors')))) {
    console.log('making the benchmark models (scripts/make-fixtures --bench-only, with Debian python3-torch) …');
    // Set-up installs python3-torch only when asked (the tests never need it): ask now.
    execFileSync('bash', [join(root, 'scripts/setup.sh')], { stdio: 'inherit', env: { ...process.env, BERTGPU_SETUP_TORCH: '1' } });
    execFileSync(join(root, 'scripts/make-fixtures'), ['--bench-only'], { stdio: 'inherit' });
  }
  const { gpu, adapter, driver } = await requestNodeGpu();
  const ctx = await requestDevice(adapter, { label: 'bench', instance: gpu });
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  console.log(`\nforward only (BertModel.forward vs transformers.js model() on ready token ids; ${ctx.facts.description}, ${driver}): median of N alternating rounds`);
  const header = ['model (forward only)', 'batch', 'ours f32', ...(args.f16 && ctx.facts.hasF16 ? ['ours f16'] : []), 'tjs cpu', ...(!args.webgpu ? [] : ['tjs webgpu']), 'f32 vs webgpu', 'dispatches', 'peak GPU MB', 'N'];
  const rows: string[][] = [header];
  const printTable = tablePrinter();

  for (const name of wanted) {
    const dir = models[name];
    const ours = await loadBert(ctx, dirProvider(dir));
    const ours16 = args.f16 && ctx.facts.hasF16 ? await loadBert(ctx, dirProvider(dir), { dtype: 'f16' }) : null;
    tjs.env.localModelPath = resolve(dir, '..') + '/';
    const folder = dir.split('/').pop()!;
    const cpu = await tjs.AutoModelForSequenceClassification.from_pretrained(folder, { dtype: 'fp32', device: 'cpu' });
    let webgpu: Awaited<ReturnType<typeof tjs.AutoModelForSequenceClassification.from_pretrained>> | null = null;
    if (args.webgpu) {
      try {
        webgpu = await tjs.AutoModelForSequenceClassification.from_pretrained(folder, { dtype: 'fp32', device: 'webgpu' });
      } catch (e) {
        console.log(`transformers.js webgpu unavailable for ${name}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    const T = Math.min(args.tokens, ours.model.config.maxPositionEmbeddings);
    for (const B of args.batches) {
      const V = ours.model.config.vocabSize;
      const ids = Int32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 2 : 5 + ((i * 7919) % (V - 5))));
      const batch = { B, T, inputIds: ids, tokenTypeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T).fill(1) };
      const t64 = (a: Int32Array) => new tjs.Tensor('int64', BigInt64Array.from(a, BigInt), [B, T]);
      const feeds = { input_ids: t64(ids), attention_mask: t64(batch.attentionMask), token_type_ids: t64(batch.tokenTypeIds) };
      const sides: Array<[string, () => Promise<unknown>]> = [
        ['ours f32', () => ours.model.forward(batch)],
        ...(ours16 ? [['ours f16', () => ours16.model.forward(batch)] as [string, () => Promise<unknown>]] : []),
        ['tjs cpu', () => cpu(feeds)],
        ...(webgpu ? [['tjs webgpu', () => webgpu!(feeds)] as [string, () => Promise<unknown>]] : []),
      ];
      const flops = 2 * B * T * ours.model.config.numHiddenLayers * (4 * ours.model.config.hiddenSize ** 2 + 2 * ours.model.config.hiddenSize * ours.model.config.intermediateSize);
      const rounds = args.rounds ? args.rounds : flops > 5e10 ? 3 : flops > 5e9 ? 5 : 15;
      const times = new Map<string, number[]>(sides.map(([n]) => [n, []]));
      for (const [, f] of sides) await f(); // warm-up: plans, pipelines, ORT sessions
      for (let r = 0; r < rounds; r++) {
        for (const [n, f] of sides) {
          const t0 = performance.now();
          await f();
          times.get(n)!.push(performance.now() - t0);
        }
      }
      const med = (n: string) => (times.has(n) ? median(times.get(n)!) : NaN);
      const info = await ours.model.planInfo(B, T);
      const peakMb = (ours.model.weights.byteLength + info.arenaBytes) / 2 ** 20;
      rows.push([
        name, `${B}×${T}`, fmt(med('ours f32')), ...(ours16 ? [fmt(med('ours f16'))] : []), fmt(med('tjs cpu')),
        ...(!args.webgpu ? [] : [webgpu ? fmt(med('tjs webgpu')) : 'n/a']),
        webgpu ? `${(med('tjs webgpu') / med('ours f32')).toFixed(2)}× faster` : 'n/a',
        String(info.dispatches), peakMb.toFixed(1), String(rounds),
      ]);
      printTable(rows);
    }
    await ours.model.dispose();
    await ours16?.model.dispose();
    await cpu.dispose();
    await webgpu?.dispose();
  }
}

