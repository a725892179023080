// A web developer's view of the package: `npm run build`, then a minimal app that does `import { pipeline } from
// 'bertgpu'` is built with Vite against the built package (dist/, through package.json "exports"), served
// statically, and run in Chromium. Its scores must equal PyTorch's (reference.json of the same model).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import { launchChromium, openPage, repoRoot } from './harness.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

const fixture = join(repoRoot, 'test/fixtures/tiny-bert');
const reference = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as { cases: Array<{ name: string; text: string[]; logits: { data: number[] } }> };
const single = reference.cases.find((c) => c.name === 'single')!;

let app = '';
let server: StaticServer | undefined;

beforeAll(async () => {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'pipe' });
  app = mkdtempSync(join(tmpdir(), 'bertgpu-consumer-'));
  // The app depends on the package as npm would install it: node_modules/bertgpu → the package root.
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(repoRoot, join(app, 'node_modules', 'bertgpu'), 'dir');
  mkdirSync(join(app, 'public', 'model'), { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    cpSync(join(fixture, f), join(app, 'public', 'model', f));
  }
  writeFileSync(join(app, 'index.html'), '<!doctype html><title>consumer</title><link rel="icon" href="data:,"><pre id="out">running</pre><script type="module" src="./main.js"></script>');
  writeFileSync(join(app, 'main.js'), `
import { pipeline } from 'bertgpu';
const out = document.getElementById('out');
try {
  const classify = await pipeline('text-classification', new URL('./model', location.href).href);
  const scores = await classify(${JSON.stringify(single.text[0])}, { topK: null });
  out.textContent = JSON.stringify({ ok: true, scores, dtype: classify.info.dtype });
  await classify.dispose();
} catch (e) {
  out.textContent = JSON.stringify({ ok: false, error: String(e) });
}
`);
  await build({ root: app, base: './', logLevel: 'warn', configFile: false, build: { outDir: join(app, 'dist'), target: 'es2022' } });
  server = await startStaticServer({ '/app/': join(app, 'dist') });
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the built package in a Vite app', () => {
  it('classifies in Chromium through its Worker, matching PyTorch', async () => {
    const browser = await launchChromium();
    try {
      const { page, errors } = await openPage(browser);
      await page.goto(`${server!.url}/app/`);
      await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'running', null, { timeout: 120_000 });
      const result = JSON.parse((await page.textContent('#out'))!) as { ok: boolean; error?: string; scores: Array<{ label: string; score: number }> };
      expect(result.error).toBeUndefined();
      const labels = ['negative', 'neutral', 'positive'];
      expectClose('consumer scores', labels.map((l) => result.scores.find((s) => s.label === l)!.score), softmax(single.logits.data), { atol: 1e-4, rtol: 0 });
      // The app's bundle must have loaded the package's Worker file, not inlined source.
      expect(errors, errors.join('\n')).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
