// The package as a user gets it: `npm pack` of this repository (its prepack step builds dist/), installed alone into
// fresh projects with `npm install --offline`. Nothing comes from a registry: the only dependency, @webgpu/types, is
// packed from our own node_modules and installed from its tarball beside ours; `webgpu` (an optional peer, 51 MB of
// Dawn binaries) is linked in only where a test plays a user who installed it.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './harness.ts';

const run = promisify(execFile);

export const fixtureDir = join(repoRoot, 'test/fixtures/tiny-bert');

export interface Packed {
  /** Scratch folder holding the tarballs and every project; the caller removes it. */
  dir: string;
  tarball: string;
  typesTarball: string;
}

async function npmPack(what: string, dest: string): Promise<string> {
  const before = new Set(readdirSync(dest));
  // prepack prints the build's size table on stdout, so the tarball is found on disk rather than parsed from it.
  await run('npm', ['pack', what, '--pack-destination', dest, '--silent'], { cwd: repoRoot, timeout: 240_000, maxBuffer: 16 << 20 });
  const made = readdirSync(dest).filter((f) => f.endsWith('.tgz') && !before.has(f));
  if (made.length !== 1) throw new Error(`npm pack ${what} made ${made.join(', ') || 'nothing'}`);
  return join(dest, made[0]);
}

/** Packs the repository (building dist/ on the way) and @webgpu/types, once per test file. */
export async function packRepo(): Promise<Packed> {
  const dir = mkdtempSync(join(tmpdir(), 'bertgpu-pack-'));
  const tarball = await npmPack('.', dir);
  const typesTarball = await npmPack(join(repoRoot, 'node_modules/@webgpu/types'), dir);
  return { dir, tarball, typesTarball };
}

/**
 * A fresh ESM project with bertgpu installed from the tarball. `webgpu: true` links the repository's Dawn into it,
 * as `npm install webgpu` would have put it there.
 */
export async function freshProject(packed: Packed, name: string, options: { webgpu?: boolean } = {}): Promise<string> {
  const app = join(packed.dir, name);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', packed.tarball, packed.typesTarball], { cwd: app, timeout: 120_000 });
  if (options.webgpu) symlinkSync(join(repoRoot, 'node_modules/webgpu'), join(app, 'node_modules/webgpu'), 'dir');
  return app;
}

export const modelFiles = ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

/** Copies the fixture model into `dir` (a folder the app serves as ./model). */
export function copyModel(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const f of modelFiles) cpSync(join(fixtureDir, f), join(dir, f));
}

/**
 * The browser app: imports pipeline from `specifier`, classifies `text` with the model at ./model next to the page,
 * in f32 (the PyTorch comparison is at 1e-4), and writes the outcome as JSON into #out. No top-level await, so
 * webpack's classic-script output runs it too.
 */
export function appScript(specifier: string, text: string): string {
  return `import { pipeline } from ${JSON.stringify(specifier)};
const out = document.getElementById('out');
(async () => {
  const classify = await pipeline('text-classification', new URL('./model', location.href).href, { dtype: 'f32' });
  const scores = await classify(${JSON.stringify(text)}, { topK: null });
  await classify.dispose();
  return { ok: true, scores };
})().catch((e) => ({ ok: false, error: String(e && e.stack || e) })).then((r) => { out.textContent = JSON.stringify(r); });
`;
}

/** A page with the #out element the app writes to and `script` (a tag) that runs it; `head` goes in its head. */
export function appPage(script: string, head = ''): string {
  return `<!doctype html><html><head>${head}<title>bertgpu consumer</title><link rel="icon" href="data:,"></head><body><pre id="out">running</pre>${script}</body></html>`;
}
