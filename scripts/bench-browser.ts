// npm run bench:browser — the benchmark page (demo/bench.html) in Chromium, headless: bertgpu and transformers.js
// (WebGPU) on the same weights, alternating rounds, on Chromium's adapter (here SwiftShader, a CPU rasteriser at
// ~0.5 GFLOP/s, so the defaults are small: MiniLM-shaped at 1 × 128, 3 rounds). Builds the site with the demo's Vite
// config, serves it and the bench models (.cache/models, made by scripts/make-fixtures --bench-only when missing)
// from 127.0.0.1, clicks Run, waits, prints the page's JSON and a table. On a machine whose Chromium has a real GPU,
// pass the full settings: --shapes 1x128,8x128 --rounds 10.
//
// --device cpu: bertgpu's CPU backend (WebAssembly) vs transformers.js device 'wasm', in the same page; the server
// sends no COOP/COEP headers, so the page is not crossOriginIsolated and both run single-threaded (npm run bench:cpu
// runs this next to its Node rows).
//
// usage: npm run bench:browser [-- --models minilm,base,tiny --shapes 1x128,8x128 --rounds N --dtype f32|auto|f16
//                               --device gpu|cpu --no-tjs --json FILE --timeout-min 30]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { startStaticServer } from '../test/e2e/static-server.ts';
import { chromiumArgs, chromiumPath } from '../test/helpers/chromium.ts';
import type { BenchResult } from '../demo/src/bench-run.ts';
import { tablePrinter } from './bench-table.ts';

const root = resolve(import.meta.dirname, '..');
const modelDirs: Record<string, string> = {
  tiny: join(root, 'test/fixtures/tiny-bert'),
  minilm: join(root, '.cache/models/minilm-random'),
  base: join(root, '.cache/models/base-random'),
};
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'minilm' },
    shapes: { type: 'string', default: '1x128' },
    rounds: { type: 'string', default: '3' },
    dtype: { type: 'string', default: 'f32' },
    device: { type: 'string', default: 'gpu' },
    'no-tjs': { type: 'boolean', default: false },
    json: { type: 'string' },
    'timeout-min': { type: 'string', default: '30' },
  },
});

function ensureModels(wanted: string[]): void {
  for (const m of wanted) if (!modelDirs[m]) throw new Error(`bench:browser: unknown model '${m}' (tiny, minilm, base)`);
  if (wanted.every((m) => existsSync(join(modelDirs[m], 'onnx/model.onnx')))) return;
  console.log('making the benchmark models (scripts/make-fixtures --bench-only, with Debian python3-torch) …');
  execFileSync('bash', [join(root, 'scripts/setup.sh')], { stdio: 'inherit', env: { ...process.env, BERTGPU_SETUP_TORCH: '1' } });
  execFileSync(join(root, 'scripts/make-fixtures'), ['--bench-only'], { stdio: 'inherit' });
}

const fmt = (ms: number | undefined) => (ms === undefined ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function runOne(pageUrl: string, name: string): Promise<BenchResult> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const q = new URLSearchParams({ model: name, shapes: args.shapes!, rounds: args.rounds!, dtype: args.dtype!, device: args.device!, tjs: args['no-tjs'] ? '0' : '1' });
    await page.goto(`${pageUrl}?${q}`);
    await page.waitForFunction(() => document.body.dataset.benchState === 'idle', undefined, { timeout: 60_000 });
    let last = '';
    const progress = setInterval(() => {
      page.textContent('#bench-status').then((t) => {
        if (t && t !== last) console.log(`  … ${(last = t)}`);
      }, () => undefined);
    }, 2000);
    try {
      await page.click('#bench-run');
      await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.benchState ?? ''), undefined,
        { timeout: Number(args['timeout-min']) * 60_000, polling: 500 });
    } finally {
      clearInterval(progress);
    }
    const result = await page.evaluate(() => (window as unknown as { benchResult?: BenchResult }).benchResult);
    if (!result) throw new Error(`bench:browser: the page gave no result: ${(await page.textContent('#bench-error')) ?? ''} ${errors.join('; ')}`);
    return result;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const wanted = args.models!.split(',').map((s) => s.trim()).filter(Boolean);
  if (args.device !== 'gpu' && args.device !== 'cpu') throw new Error(`bench:browser: --device must be gpu or cpu, not '${args.device}'`);
  ensureModels(wanted);
  const out = mkdtempSync(join(tmpdir(), 'bertgpu-bench-site-'));
  try {
    await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    // The page lists these in its model picker (demo/src/bench-main.ts reads bench-models.json next to it).
    writeFileSync(join(out, 'bench-models.json'), JSON.stringify(wanted.map((m) => ({ name: m, url: `../bench-models/${m}/` }))));
    const mounts: Record<string, string> = { '/site/': out };
    for (const m of wanted) mounts[`/bench-models/${m}/`] = modelDirs[m];
    const server = await startStaticServer(mounts);
    const results: BenchResult[] = [];
    try {
      for (const m of wanted) {
        const sides = args.device === 'cpu' ? 'bertgpu CPU backend f32 vs transformers.js wasm fp32' : `bertgpu ${args.dtype} vs transformers.js WebGPU fp32`;
        console.log(`bench:browser — ${m}: shapes ${args.shapes}, ${args.rounds} rounds, ${args['no-tjs'] ? sides.split(' vs ')[0] : sides}`);
        results.push(await runOne(`${server.url}/site/bench.html`, m));
      }
    } finally {
      await server.close();
    }
    const json = JSON.stringify(results.length === 1 ? results[0] : results, null, 2);
    if (args.json) writeFileSync(args.json, `${json}\n`);
    else console.log(json);
    printSummary(results);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function printSummary(results: BenchResult[]): void {
  const a = results[0]?.adapter;
  console.log(`\nadapter: ${a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' · ') : 'none'}${a?.isFallbackAdapter ? ' (software)' : ''}`);
  const rows: string[][] = [['model', 'shape', 'bertgpu', args.device === 'cpu' ? 'tjs wasm' : 'tjs webgpu', 'speed-up', 'bertgpu GFLOP/s', 'tjs GFLOP/s', 'profile GPU ms', 'N']];
  for (const r of results) {
    for (const side of [r.bertgpu, r.transformersJs]) if ('error' in side) console.log(`${r.model.name}: ${side.error}`);
    for (const s of r.shapes) {
      rows.push([
        r.model.name, `${s.B}×${s.T}`, fmt(s.bertgpu?.medianMs), fmt(s.transformersJs?.medianMs),
        s.speedup === null ? 'n/a' : `${s.speedup.toFixed(2)}×`, s.bertgpu?.gflops?.toFixed(2) ?? 'n/a',
        s.transformersJs?.gflops?.toFixed(2) ?? 'n/a', 'totals' in s.profile ? s.profile.totals.gpuMs.toFixed(1) : s.profile.error,
        String(r.settings.rounds),
      ]);
    }
  }
  tablePrinter()(rows);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
