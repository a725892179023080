// The network findings in Chromium (playwright-core, WebGPU on SwiftShader), where the rules differ from Node: the
// page cannot set Accept-Encoding, cross-origin answers hide every header the server does not expose, and a Hub LFS
// redirect is opaque. The library is served from source by a Vite dev server; the models come from this test's own
// servers on another origin: one like the Hub (302 to the LFS store carrying X-Linked-Etag/Size, CORS with the Hub's
// exposed headers, the revision API) and one like a gzip CDN (Content-Encoding: gzip with the compressed
// Content-Length, CORS without any exposed header). pipeline() runs in its default module Worker.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softmax } from '../../src/model/heads.ts';
import { chromiumArgs, chromiumPath } from '../helpers/chromium.ts';
import { HUB_EXPOSED_HEADERS, setFile, startServer, type TestServer } from '../helpers/http-server.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixture = join(fixturesDir, 'tiny-bert');
const c = readReference('tiny-bert').cases.find((x) => x.text.length === 1 && !x.textPair)!;
const labels = ['negative', 'neutral', 'positive'];
const want = softmax(c.logits.data);

let vite: ViteDevServer;
let pageUrl: string;
let browser: Browser;
let hub: TestServer;
let cdn: TestServer;

function serve(server: TestServer, prefix: string): void {
  for (const f of readdirSync(fixture)) {
    if (statSync(join(fixture, f)).isFile()) setFile(server, `${prefix}/${f}`, new Uint8Array(readFileSync(join(fixture, f))));
  }
}

beforeAll(async () => {
  hub = await startServer({}, { linkedEtag: true, lfsRedirect: true, corsExpose: HUB_EXPOSED_HEADERS, hubApi: true });
  cdn = await startServer({}, { gzip: 'always', corsExpose: [] });
  serve(hub, '/org/tiny/resolve/main');
  serve(hub, '/org/corrupt/resolve/main');
  hub.files.get('/org/corrupt/resolve/main/model.safetensors')!.linkedEtag = 'ab'.repeat(32);
  serve(cdn, '/models/tiny');
  vite = await createServer({
    configFile: false,
    root: repoRoot,
    logLevel: 'error',
    cacheDir: join(repoRoot, 'node_modules/.vite/net-browser'),
    worker: { format: 'es' },
    server: { host: '127.0.0.1', port: 0, hmr: false, fs: { allow: [repoRoot] } },
    optimizeDeps: { noDiscovery: true, include: [] },
    plugins: [{
      name: 'net-test-page',
      configureServer(server) {
        server.middlewares.use('/net-test.html', (_req, res) => {
          res.setHeader('Content-Type', 'text/html');
          res.end(`<!doctype html><title>net</title><script type="module">
            import { pipeline } from '/src/index.ts';
            window.bertgpuPipeline = pipeline;
          </script>`);
        });
      },
    }],
  });
  await vite.listen();
  pageUrl = `${vite.resolvedUrls!.local[0].replace(/\/$/, '')}/net-test.html`;
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
});
afterAll(async () => {
  await browser?.close();
  await vite?.close();
  await hub?.close();
  await cdn?.close();
});

/** pipeline() + one classification in the page; the scores by label, or the error message. */
async function classifyIn(page: Page, model: string, endpoint?: string): Promise<{ scores?: number[]; error?: string }> {
  return page.evaluate(async ({ model, endpoint, text, labels }) => {
    const pipeline = (window as unknown as { bertgpuPipeline: typeof import('../../src/index.ts').pipeline }).bertgpuPipeline;
    try {
      const classify = await pipeline('text-classification', model, { endpoint, dtype: 'f32' });
      const r = (await classify(text, { topK: null })) as { label: string; score: number }[];
      await classify.dispose();
      return { scores: labels.map((l) => r.find((x) => x.label === l)!.score) };
    } catch (e) {
      return { error: String((e as Error).message ?? e) };
    }
  }, { model, endpoint, text: c.text[0], labels });
}

async function freshPage(): Promise<Page> {
  const context = await browser.newContext(); // its own Cache Storage
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => 'bertgpuPipeline' in window, null, { timeout: 60_000 });
  return page;
}

const expectScores = (r: { scores?: number[]; error?: string }) => {
  expect(r.error).toBeUndefined();
  r.scores!.forEach((s, i) => expect(Math.abs(s - want[i])).toBeLessThan(1e-4));
};

describe('network in Chromium (Worker pipeline)', () => {
  it('a Hub LFS file is checked against its sha256 (from the revision API): a corrupt download is refused', async () => {
    const page = await freshPage();
    hub.log.length = 0;
    const r = await classifyIn(page, 'org/corrupt', hub.url);
    expect(r.error).toMatch(/model\.safetensors.*sha256 [0-9a-f]{64} does not match the expected (ab){32}/);
    expect(hub.log.some((x) => x.path === '/api/models/org/corrupt/revision/main' && x.query === '?blobs=true')).toBe(true);
    await page.context().close();
  });

  it('a Hub model loads, classifies, and is served from the cache the second time (revalidated, not downloaded)', async () => {
    const page = await freshPage();
    hub.log.length = 0;
    expectScores(await classifyIn(page, 'org/tiny', hub.url));
    expect(hub.log.filter((x) => x.method === 'GET' && x.path === '/lfs/org/tiny/resolve/main/model.safetensors')).toHaveLength(1);
    hub.log.length = 0;
    expectScores(await classifyIn(page, 'org/tiny', hub.url));
    expect(hub.log.filter((x) => x.method === 'GET' && !x.path.startsWith('/api/'))).toEqual([]);
    expect(hub.log.some((x) => x.method === 'HEAD' && x.path.endsWith('/model.safetensors'))).toBe(true);
    await page.context().close();
  });

  it('a folder on a gzip CDN (no exposed headers) loads and classifies, then loads from the cache', async () => {
    const page = await freshPage();
    cdn.log.length = 0;
    expectScores(await classifyIn(page, `${cdn.url}/models/tiny/`));
    expect(cdn.log.some((x) => x.method === 'GET' && x.path.endsWith('/model.safetensors'))).toBe(true);
    cdn.log.length = 0;
    expectScores(await classifyIn(page, `${cdn.url}/models/tiny/`));
    expect(cdn.log.filter((x) => x.method === 'GET')).toEqual([]);
    // A new version (later Last-Modified, readable cross-origin) is downloaded again, not served stale.
    setFile(cdn, '/models/tiny/config.json', new Uint8Array(readFileSync(join(fixture, 'config.json'))));
    cdn.log.length = 0;
    expectScores(await classifyIn(page, `${cdn.url}/models/tiny/`));
    expect(cdn.log.filter((x) => x.method === 'GET').map((x) => x.path)).toEqual(['/models/tiny/config.json']);
    await page.context().close();
  });
});
