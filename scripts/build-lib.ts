// npm run build: the library into dist/ — the browser entry (index.js + its runtime Worker, WGSL inlined as strings)
// and the Node entries (node.js, cli.js) — plus .d.ts files, then prints the gzipped size of what a browser app
// ships (JS + WGSL; the Node entries and the demo excluded) against the 64 kB budget. prepack runs it, so an
// over-budget library is never packed.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { wgslMinify } from './wgsl-minify.ts';
import { cpuWasmEmbed } from './build-cpu-wasm.ts';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
// 60 kB until #11, whose hardening (bounded configs and tokenizer files, Worker death detection, the cross-origin
// Worker shim) took the library from 55.6 to 60.2 kB; 90 kB since #12/#13 put two kernel sets, the tuner and eight
// tasks in the Worker (84.8 kB measured; the page side loads no task module: the Worker sends what the callable needs).
// Known weight to take back: the Worker loads every task and both kernel sets where one task and one profile run.
const BUDGET_KB = 90;

rmSync(dist, { recursive: true, force: true });

// Browser: one entry; the Worker (new URL('./runtime/worker.ts', import.meta.url)) becomes its own ES module file.
await build({
  configFile: false,
  root,
  publicDir: false,
  // Relative asset URLs: the Worker is found next to index.js wherever the package is installed or bundled.
  base: './',
  logLevel: 'warn',
  plugins: [wgslMinify(), cpuWasmEmbed()],
  worker: { format: 'es', plugins: () => [wgslMinify(), cpuWasmEmbed()] },
  build: {
    outDir: join(dist, 'browser'),
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    lib: { entry: { index: join(root, 'src/index.ts'), tokenizer: join(root, 'src/tokenizer/index.ts') }, formats: ['es'] },
  },
});

// Node: the same sources with Dawn; dependencies and peers (webgpu, imported on first use) stay external: npm
// installs them next to the package.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
await build({
  configFile: false,
  root,
  publicDir: false,
  logLevel: 'warn',
  plugins: [wgslMinify(), cpuWasmEmbed()],
  build: {
    outDir: join(dist, 'node'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    ssr: true,
    rollupOptions: {
      input: { node: join(root, 'src/node.ts'), cli: join(root, 'src/cli/main.ts') },
      external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), /^node:/],
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
});

execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
// tsc keeps the sources' `./x.ts` specifiers in .d.ts files; published declarations point at `./x.js`.
for (const f of files(join(dist, 'types')).filter((p) => p.endsWith('.d.ts'))) {
  const text = readFileSync(f, 'utf8');
  const fixed = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1$2.js$3');
  if (fixed !== text) writeFileSync(f, fixed);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
// What a page downloads by default: index.js, the files it imports statically, and the Worker it starts (with its
// own static imports). Lazy chunks (the in-thread runtime for worker: false) and the separate 'bertgpu/tokenizer'
// entry are listed but not counted: a page that never uses them never fetches them.
const browserDir = join(dist, 'browser');
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  const dir = dirname(file);
  for (const m of code.matchAll(/(?:import|export)\s*(?:[\w*{}\s,$]*?from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g)) closure(resolve(dir, m[1]), seen);
  for (const m of code.matchAll(/new URL\(\s*["']([^"']+\.js)["']\s*,\s*import\.meta\.url\s*\)/g)) closure(resolve(dir, m[1]), seen);
  return seen;
}
const loaded = closure(join(browserDir, 'index.js'));
let total = 0;
for (const f of files(browserDir).filter((p) => p.endsWith('.js'))) {
  const gz = gzipSync(readFileSync(f), { level: 9 }).length;
  const counted = loaded.has(f);
  if (counted) total += gz;
  console.log(`  ${relative(root, f).padEnd(44)} ${(statSync(f).size / 1024).toFixed(1).padStart(7)} kB  gzip ${(gz / 1024).toFixed(1).padStart(6)} kB${counted ? '' : '  (not loaded by default)'}`);
}
if (![...loaded].some((f) => f.includes('worker'))) throw new Error('build: the runtime Worker was not found from index.js');
// The BPE/Unigram tokenizer code is a dynamic import (src/tokenizer/pipeline-models.ts), so WordPiece pages never fetch
// it; a static import of it anywhere in the page's or the Worker's graph would show up here (a message only unigram.ts has).
for (const f of loaded) {
  if (readFileSync(f, 'utf8').includes('and model.unk_id is null')) {
    throw new Error(`build: ${relative(root, f)} holds the BPE/Unigram tokenizer code, which must load on demand (prepareTokenizerJson)`);
  }
}
const kb = total / 1024;
console.log(`library as a page loads it (entry + Worker, JS + WGSL, gzipped): ${kb.toFixed(1)} kB — budget ${BUDGET_KB} kB ${kb <= BUDGET_KB ? 'ok' : 'OVER BUDGET'}`);
if (kb > BUDGET_KB) process.exit(1);
