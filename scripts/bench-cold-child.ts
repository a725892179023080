// One cold start, in a process of its own (spawned by scripts/bench-cold.ts): `pipeline()` → first result on a
// 1 × T input, through the public API of bertgpu (side 'bertgpu') or transformers.js WebGPU (side 'tjs'). The parent
// gives this process empty cache folders (XDG_CACHE_HOME: bertgpu's tuning choices; MESA_SHADER_CACHE_DIR: the
// Vulkan driver's compiled shaders, which both sides' Dawn go through), so nothing compiled by an earlier run helps.
// Prints one JSON line: { side, importMs, loadMs, firstMs, totalMs, tokens }.
//
// usage (by the parent): tsx --import ./scripts/wgsl-loader.mjs scripts/bench-cold-child.ts SIDE DIR TASK TOKENS DTYPE
import { basename, dirname } from 'node:path';
import { benchTexts } from './bench-texts.ts';

const [side, dir, task, tokensArg, dtype] = process.argv.slice(2);
const T = Number(tokensArg);
if (!['bertgpu', 'tjs'].includes(side) || !dir || !task || !(T >= 3)) {
  console.error('bench-cold-child: usage: SIDE(bertgpu|tjs) DIR TASK TOKENS DTYPE');
  process.exit(1);
}
const texts = benchTexts(1, T);
const t0 = performance.now();
let run: (t: string[]) => Promise<unknown>;
let dispose: () => Promise<unknown>;
let tImported: number;
let tLoaded: number;
let tokens: number;
if (side === 'bertgpu') {
  const { pipeline } = await import('../src/node.ts');
  tImported = performance.now();
  const pipe = await pipeline(task as 'text-classification', dir, { device: 'gpu', dtype: dtype as 'f32' });
  tLoaded = performance.now();
  run = (t) => pipe(t);
  dispose = () => pipe.dispose();
  tokens = T; // checked by the warm bench's profile(); the cold run times nothing else
} else {
  const tjs = await import('@huggingface/transformers');
  tImported = performance.now();
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = `${dirname(dir)}/`;
  const pipe = await tjs.pipeline(task as 'text-classification', basename(dir), { device: 'webgpu', dtype: 'fp32' });
  tLoaded = performance.now();
  run = (t) => (pipe as unknown as (t: string[]) => Promise<unknown>)(t);
  dispose = () => pipe.dispose();
  tokens = (pipe.tokenizer(texts, { padding: true, truncation: true }) as { input_ids: { dims: number[] } }).input_ids.dims[1];
}
await run(texts);
const tFirst = performance.now();
console.log(JSON.stringify({ side, importMs: tImported - t0, loadMs: tLoaded - tImported, firstMs: tFirst - tLoaded, totalMs: tFirst - tImported, tokens }));
await dispose();
process.exit(0);
