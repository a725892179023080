// The Chromium half of `npm run bench:load`: builds scripts/bench-load-page with Vite, serves it and the checkpoint
// from a static server on 127.0.0.1, and runs the measurements in a dedicated Worker of Debian's Chromium (WebGPU on
// its built-in SwiftShader). There the response body is parsed by the network service and GPU writes are copied by
// the GPU process, so the Worker's own thread does less than Node's single thread does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { startStaticServer } from '../test/e2e/static-server.ts';
import { chromiumArgs, chromiumPath } from '../test/helpers/chromium.ts';

export interface ChromiumLoadResult {
  times: Record<string, number[]>;
  leaked: number;
  adapter: string;
}

export async function benchLoadInChromium(checkpointPath: string, rounds: number): Promise<ChromiumLoadResult> {
  const out = mkdtempSync(join(tmpdir(), 'bertgpu-bench-page-'));
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  try {
    await build({
      configFile: false,
      root: fileURLToPath(new URL('./bench-load-page', import.meta.url)),
      base: './',
      logLevel: 'warn',
      cacheDir: join(repoRoot, 'node_modules/.vite/bench-load'),
      worker: { format: 'es' },
      build: { outDir: out, emptyOutDir: true, target: 'es2022' },
    });
    const server = await startStaticServer({ '/page/': out, '/model/': dirname(checkpointPath) });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/page/index.html?model=/model/${basename(checkpointPath)}&rounds=${rounds}`);
      const handle = await page.waitForFunction(() => {
        const w = window as unknown as { benchResult?: unknown; benchError?: string };
        return w.benchError !== undefined || w.benchResult !== undefined ? { result: w.benchResult, error: w.benchError } : null;
      }, undefined, { timeout: 600_000, polling: 250 });
      const { result, error } = (await handle.jsonValue()) as { result?: ChromiumLoadResult; error?: string };
      if (error || !result) throw new Error(`bench:load in Chromium failed: ${error ?? errors.join('; ')}`);
      return result;
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
