// The benchmark page (demo/bench.html) end to end in Chromium on SwiftShader: the site as `npm run build:demo` builds
// it, served from a sub-path. bertgpu alone on the bundled model (which has no ONNX export, so transformers.js's side
// must fail with a message while bertgpu's still runs), both sides on the tiny fixture that has onnx/model.onnx
// (ONNX Runtime Web's wasm served from the built site), "Copy results as JSON" (clipboard, and the fallback when the
// browser refuses it), and a browser without WebGPU. Tiny shapes: SwiftShader is slow.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../demo/src/bench-run.ts';
import { openPage, repoRoot } from './harness.ts';
import { serveBuiltDemo, type BuiltSite } from './built-site.ts';
import type { StaticServer } from './static-server.ts';

let site: BuiltSite | undefined;
let outDir = '';
let server: StaticServer | undefined;
let browser: Browser | undefined;
let benchUrl = '';

beforeAll(async () => {
  site = await serveBuiltDemo('bertgpu-bench-page-', '/sites/bertgpu/', { '/fixtures/tiny-bert/': join(repoRoot, 'test/fixtures/tiny-bert') });
  ({ outDir, server, browser } = site);
  benchUrl = `${site.url}bench.html`;
});

afterAll(async () => {
  await site?.close();
});

async function runPage(page: Page, query: Record<string, string>): Promise<BenchResult> {
  await page.goto(`${benchUrl}?${new URLSearchParams(query)}`);
  await page.waitForFunction(() => document.body.dataset.benchState === 'idle', undefined, { timeout: 20_000 });
  await page.click('#bench-run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.benchState ?? ''), undefined, { timeout: 45_000 });
  return (await page.evaluate(() => (window as unknown as { benchResult: BenchResult }).benchResult));
}

describe('benchmark page (vite build, served from a sub-path)', () => {
  it('is a page of the demo build, linked from the demo', () => {
    expect(existsSync(join(outDir, 'bench.html'))).toBe(true);
    expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toMatch(/<a href="\.\/bench\.html"/);
  });

  it('bundled model: bertgpu runs (times, FLOPs, per-op profile, adapter); transformers.js fails with a message; Copy puts the JSON on the clipboard', async () => {
    const { context, page, errors } = await openPage(browser!);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server!.url });
    try {
      const r = await runPage(page, { model: 'tiny-bert-random', shapes: '1x16,2x16', rounds: '2', tjs: '1' });
      expect(await page.evaluate(() => document.body.dataset.benchState)).toBe('done');
      expect(r.tool).toBe('bertgpu-bench');
      expect(r.model).toEqual({ name: expect.stringMatching(/^tiny-bert-random/), kind: 'url', task: 'text-classification' });
      expect(r.adapter?.architecture).toBe('swiftshader');
      expect(r.adapter?.isFallbackAdapter).toBe(true);
      expect(r.bertgpu).toMatchObject({ dtype: 'f32', adapter: { isFallbackAdapter: true } });
      expect(r.transformersJs).toEqual({ error: expect.stringMatching(/transformers\.js could not load the model: .*onnx/) });
      expect(r.shapes.map((s) => [s.B, s.T])).toEqual([[1, 16], [2, 16]]);
      for (const s of r.shapes) {
        expect(s.bertgpu!.timesMs).toHaveLength(2);
        expect(s.bertgpu!.medianMs).toBeGreaterThan(0);
        expect(s.transformersJs).toBeNull();
        expect(s.speedup).toBeNull();
        if (!('totals' in s.profile)) throw new Error(`no profile: ${s.profile.error}`);
        // The texts tokenize to exactly the asked length, and the GFLOP/s are the profile's FLOPs over the median.
        expect(s.profile.T).toBe(s.T);
        expect(s.profile.B).toBe(s.B);
        expect(s.flops).toBe(s.profile.totals.flops);
        expect(s.bertgpu!.gflops).toBeCloseTo(s.flops! / s.bertgpu!.medianMs / 1e6, 9);
        expect(s.profile.dispatches.length).toBe(s.profile.totals.dispatches);
      }
      // The page shows it: the summary, a per-op table per shape, the adapter, the side's error.
      expect(await page.locator('#bench-summary tbody tr').count()).toBe(2);
      expect(await page.locator('.bench-profile table').count()).toBe(2);
      expect(await page.textContent('#bench-adapter')).toMatch(/swiftshader/);
      expect(await page.textContent('#bench-error')).toMatch(/onnx\/model\.onnx|model\.onnx/);

      await page.click('#bench-copy');
      await page.waitForFunction(() => /Copied/.test(document.getElementById('bench-copy-status')?.textContent ?? ''));
      const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as BenchResult;
      expect(copied).toEqual(JSON.parse(JSON.stringify(r)));
      expect(errors.filter((e) => !/onnx|404|Failed to load resource/i.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a model with onnx/model.onnx: both sides on the same adapter, alternating, speed-up reported', async () => {
    const { context, page } = await openPage(browser!);
    try {
      const r = await runPage(page, { model: `${server!.url}/fixtures/tiny-bert/`, shapes: '2x16', rounds: '2' });
      expect(r.bertgpu).toHaveProperty('loadMs');
      expect(r.transformersJs).toMatchObject({ device: 'webgpu', dtype: 'fp32', version: expect.stringMatching(/^\d+\.\d+/) });
      const [s] = r.shapes;
      expect(s.bertgpu!.timesMs).toHaveLength(2);
      expect(s.transformersJs!.timesMs).toHaveLength(2);
      expect(s.speedup).toBeCloseTo(s.transformersJs!.medianMs / s.bertgpu!.medianMs, 9);
      expect(s.transformersJs!.gflops).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });

  it('where the browser refuses the clipboard, the JSON is selected for copying by hand', async () => {
    const { context, page } = await openPage(browser!, () => {
      Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')) } });
    });
    try {
      await runPage(page, { model: 'tiny-bert-random', shapes: '1x8', rounds: '1', tjs: '0' });
      await page.click('#bench-copy');
      await page.waitForFunction(() => /refused the clipboard/.test(document.getElementById('bench-copy-status')?.textContent ?? ''));
      const selected = await page.evaluate(() => {
        const box = document.getElementById('bench-json') as HTMLTextAreaElement;
        return document.activeElement === box ? box.value.slice(box.selectionStart, box.selectionEnd) : '';
      });
      expect(JSON.parse(selected)).toMatchObject({ tool: 'bertgpu-bench', transformersJs: { skipped: expect.any(String) } });
    } finally {
      await context.close();
    }
  });

  it('without WebGPU: explains it, runs nothing', async () => {
    const { context, page } = await openPage(browser!, () => {
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined });
    });
    try {
      await page.goto(benchUrl);
      await page.waitForFunction(() => document.body.dataset.benchState === 'error');
      expect(await page.isVisible('#no-webgpu')).toBe(true);
      expect(await page.isHidden('#app')).toBe(true);
      expect(await page.textContent('#no-webgpu')).toMatch(/\?device=cpu/);
    } finally {
      await context.close();
    }
  });
});
