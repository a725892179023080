// The packed tarball, installed alone into fresh projects, used the ways a user would: its contents; Node without
// and with the optional webgpu peer; the CLI from node_modules/.bin; a consumer's TypeScript; and in Chromium through
// a Vite dev server (the dependency optimizer pre-bundles bertgpu), a Vite build, a webpack 5 build and a plain
// <script type="module"> page that imports bertgpu from another origin, as from a CDN. Every classification must
// match PyTorch (reference.json) within 1e-4, and every browser app must run the runtime in its Worker.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { build, createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpack from 'webpack';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import { appPage, appScript, copyModel, fixtureDir, freshProject, packRepo, type Packed } from './consumer-package.ts';
import { launchChromium, openPage, repoRoot } from './harness.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

const run = promisify(execFile);
const reference = JSON.parse(readFileSync(join(fixtureDir, 'reference.json'), 'utf8')) as { cases: Array<{ name: string; text: string[]; logits: { data: number[] } }> };
const single = reference.cases.find((c) => c.name === 'single')!;
const labels = ['negative', 'neutral', 'positive'];
const want = softmax(single.logits.data);
// The repository's lavapipe, so Node results come from the same driver as the unit tests.
const nodeEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', BERTGPU_MESA_DIR: join(repoRoot, '.cache/mesa') };

let packed: Packed;
let bare = ''; // bertgpu alone, as `npm install bertgpu` leaves it
let withDawn = ''; // plus webgpu, as after `npm install bertgpu webgpu`
let browser: Browser | undefined;
const servers: StaticServer[] = [];

beforeAll(async () => {
  packed = await packRepo();
  [bare, withDawn] = await Promise.all([freshProject(packed, 'bare'), freshProject(packed, 'with-dawn', { webgpu: true })]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
  if (packed) rmSync(packed.dir, { recursive: true, force: true });
});

/** Runs a user's script with Node; a failure says how it ended (13: a top-level await that never settled). */
async function runScript(cwd: string, script: string): Promise<{ stdout: string }> {
  try {
    return await run(process.execPath, [script], { cwd, env: nodeEnv, timeout: 120_000 });
  } catch (e) {
    const { code, stderr } = e as { code?: number; stderr?: string };
    const why = code === 13 ? ' (its top-level await never settled: nothing kept the event loop alive)' : '';
    throw new Error(`node ${script} exited with ${String(code)}${why}:\n${(stderr ?? '').split('\n').slice(-8).join('\n')}`);
  }
}

function expectReferenceScores(what: string, scores: Array<{ label: string; score: number }>): void {
  expect(scores.map((s) => s.label).sort()).toEqual(labels);
  expectClose(what, labels.map((l) => scores.find((s) => s.label === l)!.score), want, { atol: 1e-4, rtol: 0 });
}

describe('the packed tarball', () => {
  it('carries the browser build with its Worker, the Node build, the CLI, the types and the licence; no sources', async () => {
    const { stdout } = await run('tar', ['tzf', packed.tarball]);
    const files = stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin/bertgpu.js', 'dist/browser/index.js', 'dist/browser/tokenizer.js',
      'dist/node/node.js', 'dist/node/cli.js', 'dist/types/index.d.ts', 'dist/types/node.d.ts', 'dist/types/tokenizer/index.d.ts']) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => /^dist\/browser\/assets\/worker-[\w-]+\.js$/.test(f)), 'the runtime Worker').toBe(true);
    expect(files.filter((f) => /^(src|test|scripts|demo|shaders)\//.test(f))).toEqual([]);
    // Every target named in "exports" is in the tarball.
    const pkg = JSON.parse(readFileSync(join(bare, 'node_modules/bertgpu/package.json'), 'utf8')) as { exports: unknown; peerDependenciesMeta: unknown; dependencies: Record<string, string> };
    const targets = (function leaves(v: unknown): string[] {
      return typeof v === 'string' ? [v] : Object.values(v as object).flatMap(leaves);
    })(pkg.exports);
    expect(targets.length).toBeGreaterThan(8);
    for (const t of targets) expect(files, `exports target ${t}`).toContain(t.replace(/^\.\//, ''));
    expect(pkg.peerDependenciesMeta).toEqual({ webgpu: { optional: true } });
    expect(Object.keys(pkg.dependencies)).toEqual(['@webgpu/types']);
    expect(existsSync(join(bare, 'node_modules/webgpu')), 'npm installed the optional peer').toBe(false);
  });

  it('without webgpu installed, bertgpu/node and the CLI run on the CPU backend, say why, and device gpu says to npm install webgpu', async () => {
    // No dispose(): a script that forgets it must still end (the CPU backend's threads never hold the event loop).
    writeFileSync(join(bare, 'no-dawn.mjs'), `import { pipeline } from 'bertgpu/node';
const classify = await pipeline('text-classification', ${JSON.stringify(fixtureDir)});
const scores = await classify(${JSON.stringify(single.text[0])}, { topK: null });
let gpuError = '';
try { await pipeline('text-classification', ${JSON.stringify(fixtureDir)}, { device: 'gpu' }); } catch (e) { gpuError = e.message; }
console.log(JSON.stringify({ device: classify.info.device, scores, gpuError }));
`);
    const { stdout } = await run(process.execPath, ['no-dawn.mjs'], { cwd: bare, env: nodeEnv, timeout: 60_000 });
    const result = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))!) as { device: { backend: string; reason: string }; scores: Array<{ label: string; score: number }>; gpuError: string };
    expect(result.device.backend).toBe('cpu');
    expect(result.device.reason).toMatch(/"webgpu".*not installed.*npm install webgpu/);
    expectReferenceScores('bertgpu/node on the CPU backend', result.scores);
    expect(result.gpuError).toMatch(/"webgpu".*not installed.*npm install webgpu/);
    const bin = join(bare, 'node_modules/.bin/bertgpu');
    const cpu = await run(bin, ['classify', '--model', fixtureDir, '--json', single.text[0]], { cwd: bare, env: nodeEnv, timeout: 60_000 });
    const line = JSON.parse(cpu.stdout.split('\n').find((l) => l.startsWith('{'))!) as { scores: Record<string, number> };
    expectReferenceScores('CLI scores on the CPU backend', Object.entries(line.scores).map(([label, score]) => ({ label, score })));
    const cli = await run(bin, ['classify', '--device', 'gpu', '--model', fixtureDir, 'hello'], { cwd: bare, env: nodeEnv, timeout: 60_000 })
      .then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^bertgpu: .*npm install webgpu/)]);
  });

  it('bertgpu/node (and bertgpu under the node condition) classifies the fixture, matching PyTorch', async () => {
    writeFileSync(join(withDawn, 'classify.mjs'), `import { pipeline } from 'bertgpu/node';
import * as viaCondition from 'bertgpu';
// f32: dtype 'auto' may keep f16 on an adapter with shader-f16, and the PyTorch comparison is at 1e-4.
const classify = await pipeline('text-classification', ${JSON.stringify(fixtureDir)}, { dtype: 'f32' });
const scores = await classify(${JSON.stringify(single.text[0])}, { topK: null });
await classify.dispose();
console.log(JSON.stringify({ scores, sameEntry: viaCondition.pipeline === pipeline }));
`);
    const { stdout } = await runScript(withDawn, 'classify.mjs');
    const result = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))!) as { scores: Array<{ label: string; score: number }>; sameEntry: boolean };
    expectReferenceScores('bertgpu/node scores', result.scores);
    expect(result.sameEntry, "import 'bertgpu' in Node gives the Node build").toBe(true);
  });

  it('the installed CLI (node_modules/.bin/bertgpu) classifies the fixture, matching PyTorch', async () => {
    const { stdout } = await run(join(withDawn, 'node_modules/.bin/bertgpu'), ['classify', '--model', fixtureDir, '--json', single.text[0]], { cwd: withDawn, env: nodeEnv, timeout: 120_000 });
    const line = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))!) as { scores: Record<string, number> };
    expectReferenceScores('CLI scores', Object.entries(line.scores).map(([label, score]) => ({ label, score })));
  });

  it("a consumer's strict TypeScript (Bundler, NodeNext and Node10 resolution, skipLibCheck off) accepts the installed types", async () => {
    writeFileSync(join(bare, 'web.ts'), `import { pipeline, type LabelScore, type PipelineOptions } from 'bertgpu';
import { BertTokenizer } from 'bertgpu/tokenizer';
const options: PipelineOptions = { dtype: 'auto', onProgress: (p) => console.log(p) };
const classify = await pipeline('text-classification', 'org/model', options);
const scores: LabelScore[] = await classify('a text', { topK: null });
const device: GPUDevice | undefined = undefined;
console.log(scores, device, BertTokenizer);
`);
    writeFileSync(join(bare, 'node.ts'), `import { pipeline } from 'bertgpu/node';
import { pipeline as viaCondition } from 'bertgpu';
const embed = await pipeline('feature-extraction', './model');
const out = await embed(['a', 'b'], { pooling: 'mean', normalize: true });
const rows: number = out.dims[0];
console.log(rows, viaCondition, out.data.length);
`);
    const base = { target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: [] };
    // WebGPU's own types (@webgpu/types) are written against the DOM library, so a Node project lists it too.
    writeFileSync(join(bare, 'tsconfig.web.json'), JSON.stringify({ compilerOptions: { ...base, module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'] }, files: ['web.ts'] }));
    writeFileSync(join(bare, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { ...base, module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'] }, files: ['node.ts'] }));
    // The pre-"exports" resolution many older projects still use: subpaths come from "typesVersions".
    writeFileSync(join(bare, 'tsconfig.legacy.json'), JSON.stringify({ compilerOptions: { ...base, module: 'ESNext', moduleResolution: 'Node10', lib: ['ES2022', 'DOM'] }, files: ['web.ts', 'node.ts'] }));
    const tsc = join(repoRoot, 'node_modules/.bin/tsc');
    for (const project of ['tsconfig.web.json', 'tsconfig.node.json', 'tsconfig.legacy.json']) {
      const result = await run(tsc, ['-p', project], { cwd: bare, timeout: 120_000 }).then(() => 'ok', (e: { stdout: string }) => e.stdout);
      expect(result, project).toBe('ok');
    }
  });
});

// ---- Chromium: every app loads bertgpu from the installed package and classifies through its Worker. ----

interface PageResult {
  ok: boolean;
  error?: string;
  scores: Array<{ label: string; score: number }>;
}

interface AppRun {
  result: PageResult;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** URLs of the Workers the page started. */
  workers: string[];
}

/** Opens `url` in a fresh context and waits for the app's JSON in #out. */
async function runApp(url: string): Promise<AppRun> {
  browser ??= await launchChromium();
  const { context, page, errors } = await openPage(browser);
  const workers: string[] = [];
  page.on('worker', (w) => workers.push(w.url()));
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'running', null, { timeout: 120_000 });
    return { result: JSON.parse((await page.textContent('#out'))!) as PageResult, errors, workers };
  } finally {
    await context.close();
  }
}

/** Runs the app at `url`, checks its scores against PyTorch; returns the Worker URLs the page started. */
async function classifyInChromium(what: string, url: string): Promise<string[]> {
  const { result, errors, workers } = await runApp(url);
  expect(result.error, what).toBeUndefined();
  expectReferenceScores(`${what} scores`, result.scores);
  expect(errors, errors.join('\n')).toEqual([]);
  expect(workers, `${what}: the runtime Worker`).toHaveLength(1);
  return workers;
}

function writeBrowserApp(dir: string, specifier = 'bertgpu'): void {
  writeFileSync(join(dir, 'index.html'), appPage('<script type="module" src="./main.js"></script>'));
  writeFileSync(join(dir, 'main.js'), appScript(specifier, single.text[0]));
  copyModel(join(dir, 'public/model'));
}

describe('the installed package in Chromium', () => {
  // Vite 8's dependency optimizer rewrites a dependency's `new URL('…', import.meta.url)` to the file's real place;
  // earlier Vite (esbuild optimizer) did not, and needed bertgpu excluded from pre-bundling (the README says so).
  it.each([
    { name: 'no config: the dependency optimizer pre-bundles bertgpu', dir: 'vite-dev', optimizeDeps: undefined },
    { name: "optimizeDeps.exclude: ['bertgpu'] (the set-up for Vite 7 and earlier)", dir: 'vite-dev-excluded', optimizeDeps: { exclude: ['bertgpu'] } },
  ])('Vite dev server, $name', async ({ dir, optimizeDeps }) => {
    const app = join(bare, dir);
    mkdirSync(app);
    writeBrowserApp(app);
    let server: ViteDevServer | undefined;
    try {
      server = await createServer({
        root: app, configFile: false, logLevel: 'warn', cacheDir: join(app, '.vite'), optimizeDeps,
        server: { host: '127.0.0.1', port: 0, strictPort: false },
      });
      await server.listen();
      const workers = await classifyInChromium('Vite dev', server.resolvedUrls!.local[0]);
      const prebundled = existsSync(join(app, '.vite/deps')) && readdirSync(join(app, '.vite/deps')).some((f) => f.startsWith('bertgpu'));
      expect(prebundled, 'bertgpu was served from the optimizer\'s bundle').toBe(!optimizeDeps);
      expect(workers[0]).toMatch(/\/node_modules\/bertgpu\/dist\/browser\/assets\/worker-[\w-]+\.js/);
    } finally {
      await server?.close();
    }
  });

  it('Vite build, served from a sub-path', async () => {
    const app = join(bare, 'vite-build');
    mkdirSync(app);
    writeBrowserApp(app);
    await build({ root: app, base: './', configFile: false, logLevel: 'warn', build: { outDir: join(app, 'dist'), target: 'es2022' } });
    const server = await startStaticServer({ '/app/': join(app, 'dist') });
    servers.push(server);
    const workers = await classifyInChromium('Vite build', `${server.url}/app/`);
    expect(workers[0]).toMatch(new RegExp(`^${server.url}/app/assets/worker-[\\w-]+\\.js$`));
  });

  it('webpack 5 build', async () => {
    const app = join(bare, 'webpack');
    mkdirSync(app);
    writeBrowserApp(app);
    const out = join(app, 'dist');
    const stats = await new Promise<webpack.Stats>((resolve, reject) => {
      webpack({
        mode: 'production', context: app, entry: './main.js', target: 'web', devtool: false,
        output: { path: out, filename: 'main.js', clean: true }, performance: { hints: false },
      }, (err, s) => (err || !s ? reject(err ?? new Error('webpack: no stats')) : resolve(s)));
    });
    expect(stats.hasErrors(), stats.toString('errors-only')).toBe(false);
    writeFileSync(join(out, 'index.html'), appPage('<script src="./main.js"></script>'));
    copyModel(join(out, 'model'));
    const server = await startStaticServer({ '/app/': out });
    servers.push(server);
    const workers = await classifyInChromium('webpack', `${server.url}/app/`);
    expect(workers[0].startsWith(`${server.url}/app/`)).toBe(true);
  });

  it('a plain <script type="module"> page importing dist/browser/index.js from another origin (a CDN)', async () => {
    const cdn = await startCdn();
    const page = await startStaticSite('static-site', cdn, '');
    const workers = await classifyInChromium('CDN page', `${page.url}/`);
    // A cross-origin script cannot be a Worker: a same-origin blob: module imports it, and the CDN served it.
    expect(workers[0]).toMatch(/^blob:/);
    expect(cdn.log.some((p) => /^\/bertgpu\/assets\/worker-[\w-]+\.js$/.test(p)), cdn.log.join('\n')).toBe(true);
  });

  it('the same page with a Content-Security-Policy that refuses blob: Workers gets an error that says what to do', async () => {
    const cdn = await startCdn();
    const page = await startStaticSite('static-site-csp', cdn, `<meta http-equiv="Content-Security-Policy" content="worker-src 'self'">`);
    const { result } = await runApp(`${page.url}/`);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/bertgpu Worker .* did not load.*worker-src blob:.*worker: false/);
  });
});

async function startCdn(): Promise<StaticServer> {
  const cdn = await startStaticServer({ '/bertgpu/': join(bare, 'node_modules/bertgpu/dist/browser') }, { cors: true });
  servers.push(cdn);
  return cdn;
}

/** A folder with the model and a page whose inline module script imports bertgpu from `cdn`, served on its own origin. */
async function startStaticSite(name: string, cdn: StaticServer, head: string): Promise<StaticServer> {
  const site = join(bare, name);
  copyModel(join(site, 'model'));
  writeFileSync(join(site, 'index.html'), appPage(`<script type="module">${appScript(`${cdn.url}/bertgpu/index.js`, single.text[0])}</script>`, head));
  const page = await startStaticServer({ '/': site });
  servers.push(page);
  expect(new URL(cdn.url).origin).not.toBe(new URL(page.url).origin);
  return page;
}
