// The demo site end to end, in Debian's Chromium on SwiftShader WebGPU: the static build (as `npm run build:demo`
// makes it) served from a sub-path, and the dev server that `npm start` runs. Expected scores come from the bertgpu
// CLI (Node + Dawn) run on the same bundled model folder, never from numbers written here.
import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createServer as createViteServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundledMlmDir, bundledModelDir, cliClassify, cliFillMask, launchChromium, maxDiff, openPage, parseCsv, repoRoot, screenshotPath,
  waitForLabels, waitForModel, type CliResult,
} from './harness.ts';
import { serveBuiltDemo, type BuiltSite } from './built-site.ts';
import type { StaticServer } from './static-server.ts';

// Words from the tiny model's vocabulary; the third is a pair (the CLI separates a pair with a TAB).
const cases = [
  { text: 'this movie was great fun', pair: '' },
  { text: 'the acting was terrible and boring', pair: '' },
  { text: 'the plot was good', pair: 'but the ending was awful' },
];
const cliInput = (c: { text: string; pair: string }) => (c.pair ? `${c.text}\t${c.pair}` : c.text);
const TOL = 1e-4;

let site: BuiltSite | undefined;
let server: StaticServer | undefined;
let browser: Browser | undefined;
let expected: CliResult[] = [];
let siteUrl = '';

beforeAll(async () => {
  // The site under a sub-path (a static host rarely serves at /): relative URLs must hold.
  site = await serveBuiltDemo('bertgpu-demo-', '/sites/bertgpu/', { '/fixtures/': join(repoRoot, 'test/fixtures/weights/hostile') });
  ({ server, browser, url: siteUrl } = site);
  expected = await cliClassify(bundledModelDir, cases.map(cliInput));
});

afterAll(async () => {
  await site?.close();
});

describe('demo site (vite build, served from a sub-path)', () => {
  it('loads the bundled model to 100 %, matches the CLI on three texts, draws attention, exports CSV, logs no errors', async () => {
    const { context, page, errors } = await openPage(browser!);
    try {
      await page.goto(siteUrl);
      await waitForModel(page);
      expect(await page.$eval('#load-progress', (p) => (p as HTMLProgressElement).value)).toBe(100);
      expect(await page.textContent('#progress-text')).toMatch(/model\.safetensors: .* \(100 %\)/);
      expect(await page.textContent('#app')).toMatch(/random weights — its labels mean nothing/);

      for (const [i, c] of cases.entries()) {
        await page.fill('#text', c.text);
        await page.fill('#text-pair', c.pair);
        await page.click('#classify-button');
        const scores = await waitForLabels(page, cliInput(c));
        expect(Object.keys(scores).sort()).toEqual(Object.keys(expected[i].scores).sort());
        expect(maxDiff(scores, expected[i].scores), `scores for ${JSON.stringify(c)}`).toBeLessThanOrEqual(TOL);
      }

      // Insight follows the last (pair) input: two [SEP]s, adapter and timings shown, heatmap painted.
      await page.waitForFunction(() => Array.from(document.querySelectorAll('#tokens li'), (li) => li.textContent).filter((t) => t === '[SEP]').length === 2);
      const facts = await page.textContent('#facts');
      expect(facts).toMatch(/GPU adapter/);
      expect(facts).toMatch(/Precision\s*f32/);
      expect(facts).toMatch(/tokenize [\d.]+ m?s · GPU [\d.]+ m?s · total [\d.]+ m?s/);
      const paint = () => page.$eval('#heatmap', (c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const colours = new Set<number>();
        let painted = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) painted++;
          colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        }
        return { painted, colours: colours.size, url: canvas.toDataURL() };
      });
      const first = await paint();
      expect(first.painted).toBeGreaterThan(2000);
      expect(first.colours).toBeGreaterThan(8);
      // Another layer and head: a new inspect() call and a different picture.
      await page.selectOption('#layer', '0');
      await page.waitForFunction(() => /layer 1,/.test(document.getElementById('heatmap')!.getAttribute('aria-label') ?? ''));
      await page.selectOption('#head', '1');
      await page.waitForFunction(() => /head 2,/.test(document.getElementById('heatmap')!.getAttribute('aria-label') ?? ''));
      expect((await paint()).url).not.toBe(first.url);
      // The canvas reads out by keyboard too: arrows move a highlighted cell.
      await page.focus('#heatmap');
      await page.keyboard.press('ArrowRight');
      expect(await page.textContent('#heatmap-readout')).toMatch(/^\[CLS\] \(#1\) → the \(#2\): 0\.\d{4}$/);

      // Batch: the same three inputs as lines; the table and the downloaded CSV carry the CLI's scores.
      await page.fill('#batch-input', cases.map(cliInput).join('\n'));
      await page.click('#batch-button');
      await page.waitForFunction(() => document.querySelectorAll('#batch-table tbody tr').length === 3, null, { timeout: 120_000 });
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-link')]);
      expect(download.suggestedFilename()).toBe('bertgpu-results.csv');
      const rows = parseCsv(readFileSync(await download.path(), 'utf8'));
      const header = rows[0];
      expect(header.slice(0, 4)).toEqual(['text', 'text_pair', 'label', 'score']);
      expect(rows.length).toBe(1 + cases.length);
      cases.forEach((c, i) => {
        const row = Object.fromEntries(header.map((h, j) => [h, rows[i + 1][j]]));
        expect([row.text, row.text_pair]).toEqual([c.text, c.pair]);
        expect(row.label).toBe(expected[i].label);
        const scores = Object.fromEntries(Object.keys(expected[i].scores).map((l) => [l, Number(row[`score_${l}`])]));
        expect(maxDiff(scores, expected[i].scores), `CSV row ${i + 1}`).toBeLessThanOrEqual(TOL);
      });

      await page.screenshot({ path: screenshotPath('demo'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('Cancel during loading leaves the page usable, and loading again works', async () => {
    const { context, page, errors } = await openPage(browser!);
    // Drip the weights (8 KiB per 100 ms, ~6 s for the file) so there is a loading phase to cancel.
    server!.throttle = { match: (p) => p.endsWith('/model.safetensors'), chunkBytes: 8192, delayMs: 100 };
    try {
      await page.goto(siteUrl);
      await page.waitForFunction(() => {
        const p = document.getElementById('load-progress') as HTMLProgressElement;
        return p.hasAttribute('value') && p.value > 0 && p.value < 100;
      }, null, { timeout: 60_000 });
      expect(await page.textContent('#progress-text')).toMatch(/of .* \(\d+ %\) — \S+/); // bytes, percent, tensor
      await page.click('#cancel-load');
      await page.waitForFunction(() => document.getElementById('model-status')!.textContent === 'Loading cancelled.');
      expect(await page.isHidden('#model-error')).toBe(true);
      expect(await page.isHidden('#cancel-load')).toBe(true);
      // Usable: controls answer (here: there is no model yet, and the page says so).
      await page.click('#classify-button');
      expect(await page.textContent('#classify-error')).toMatch(/Load a model first/);

      server!.throttle = null;
      await page.click('#load-bundled');
      await waitForModel(page);
      expect(await page.$eval('#load-progress', (p) => (p as HTMLProgressElement).value)).toBe(100);
      const scores = await waitForLabels(page, cases[0].text); // the page's default text
      expect(maxDiff(scores, expected[0].scores)).toBeLessThanOrEqual(TOL);
      expect(errors).toEqual([]);
    } finally {
      server!.throttle = null;
      await context.close();
    }
  });

  it('a bad model id, a missing folder and unsupported repos show readable errors; the loaded model stays', async () => {
    const { context, page, errors } = await openPage(browser!);
    try {
      await page.goto(siteUrl);
      await waitForModel(page);
      const before = await waitForLabels(page, cases[0].text);
      const bad: [string, RegExp][] = [
        ['no such/model id!', /is not a valid Hub repo id/],
        [`${server!.url}/fixtures/no-such-model/`, /config\.json/],
        [`${server!.url}/fixtures/pytorch-only/`, /has pytorch_model\.bin but no model\.safetensors/],
        [`${server!.url}/fixtures/config-unsupported-model/`, /model_type "gpt2" is not supported \(supported: bert, distilbert, roberta, xlm-roberta, camembert, electra, albert\)/],
      ];
      for (const [ref, message] of bad) {
        await page.fill('#model-id', ref);
        await page.press('#model-id', 'Enter');
        // The box is emptied when a load starts, so a match is this attempt's message.
        await page.waitForFunction(([src, flags]) => new RegExp(src, flags).test(document.getElementById('model-error')!.textContent ?? ''),
          [message.source, message.flags] as const);
        expect(await page.textContent('#model-error')).toMatch(/^Could not load /);
        expect(await page.textContent('#model-error')).toContain(ref);
        expect(await page.textContent('#model-status')).toMatch(/^Still using tiny-bert-random/);
        if (ref.includes('pytorch-only')) await page.screenshot({ path: screenshotPath('demo-error'), fullPage: true });
      }
      // The failed loads left the results on the page alone, and the model still answers.
      expect(await waitForLabels(page, cases[0].text, 1000)).toEqual(before);
      await page.fill('#text', cases[1].text);
      await page.click('#classify-button');
      expect(maxDiff(await waitForLabels(page, cases[1].text), expected[1].scores)).toBeLessThanOrEqual(TOL);
      // The 404 for the missing folder is logged by Chromium's network layer itself; anything else is a failure.
      expect(errors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('fill-mask: the bundled masked-LM model fills one and two [MASK]s as the CLI does, then classification returns', async () => {
    const texts = ['the movie was [MASK] .', 'i [MASK] this movie , but the music was [MASK] !'];
    const want = await cliFillMask(bundledMlmDir, texts);
    const { context, page, errors } = await openPage(browser!);
    try {
      await page.goto(siteUrl);
      await waitForModel(page);
      await page.click('#load-bundled-mlm');
      await page.waitForFunction(() => /^Loaded tiny-bert-mlm-random/.test(document.getElementById('model-status')?.textContent ?? ''), null, { timeout: 120_000 });
      expect(await page.isHidden('#classify-section')).toBe(true);
      expect(await page.isHidden('#batch-section')).toBe(true);
      for (const [i, text] of texts.entries()) {
        await page.fill('#mask-text', text);
        await page.click('#fill-button');
        await page.waitForFunction((t) => document.getElementById('mask-results')?.dataset.text === t
          && document.querySelectorAll('#mask-results li[data-score]').length > 0, text, { timeout: 60_000 });
        const got = await page.$$eval('#mask-results ol', (lists) => lists.map((ol) => Array.from(ol.querySelectorAll('li'), (li) => ({
          token: Number((li as HTMLElement).dataset.token), score: Number((li as HTMLElement).dataset.score), str: li.querySelector('.label-name')!.textContent,
        }))));
        const perMask = (Array.isArray(want[i][0]) ? want[i] : [want[i]]) as { token: number; score: number; token_str: string }[][];
        expect(got.map((m) => m.map((p) => p.token))).toEqual(perMask.map((m) => m.map((p) => p.token)));
        expect(got.map((m) => m.map((p) => p.str))).toEqual(perMask.map((m) => m.map((p) => p.token_str)));
        got.flat().forEach((p, k) => expect(Math.abs(p.score - perMask.flat()[k].score)).toBeLessThanOrEqual(TOL));
      }
      // The insight panel looks inside the same call: the tokens include the [MASK]s.
      await page.waitForFunction(() => Array.from(document.querySelectorAll('#tokens li'), (li) => li.textContent).filter((t) => t === '[MASK]').length === 2);
      await page.screenshot({ path: screenshotPath('demo-fill-mask'), fullPage: true });
      await page.fill('#mask-text', 'no mask here');
      await page.click('#fill-button');
      await page.waitForSelector('#fill-error:not([hidden])');
      expect(await page.textContent('#fill-error')).toMatch(/no mask token \(\[MASK\]\) found/);
      await page.click('#load-bundled');
      await page.waitForFunction(() => document.body.dataset.modelLoads === '3', null, { timeout: 120_000 });
      expect(await page.isHidden('#fill-section')).toBe(true);
      expect(maxDiff(await waitForLabels(page, cases[0].text), expected[0].scores)).toBeLessThanOrEqual(TOL);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('keyboard only: labelled controls in a sensible Tab order, visible focus, Enter and Space work', async () => {
    const { context, page, errors } = await openPage(browser!);
    try {
      await page.goto(siteUrl);
      await waitForModel(page);
      await page.waitForFunction(() => !(document.getElementById('head') as HTMLSelectElement).disabled);
      // Every form control has a label (by <label for>, or aria-label for the canvas).
      const unlabelled = await page.$$eval('input, select, textarea, button', (els) => els
        .filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label') && !(e.textContent ?? '').trim())
        .map((e) => e.id));
      expect(unlabelled).toEqual([]);

      const order = ['load-bundled', 'load-bundled-mlm', 'model-id', 'load-remote', 'folder-input', 'dtype', 'task', 'text', 'text-pair', 'live',
        'classify-button', 'explain-button', 'layer', 'head', 'heatmap', 'batch-input', 'batch-button'];
      const seen: string[] = [];
      for (let i = 0; i < order.length; i++) {
        await page.keyboard.press('Tab');
        const { id, outline } = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          const s = getComputedStyle(el);
          return { id: el.id, outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };
        });
        seen.push(id);
        expect(outline, `visible focus on #${id}`).toBe(true);
      }
      expect(seen).toEqual(order);

      // Back to the text box (Shift+Tab from the batch button), live classification off with Space, Enter submits.
      for (let i = 0; i < 9; i++) await page.keyboard.press('Shift+Tab');
      expect(await page.evaluate(() => document.activeElement!.id)).toBe('text');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Space');
      expect(await page.isChecked('#live')).toBe(false);
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type(cases[1].text);
      await page.keyboard.press('Enter');
      expect(maxDiff(await waitForLabels(page, cases[1].text), expected[1].scores)).toBeLessThanOrEqual(TOL);

      // Space on the Classify button.
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type(cases[0].text);
      for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement!.id)).toBe('classify-button');
      await page.keyboard.press('Space');
      expect(maxDiff(await waitForLabels(page, cases[0].text), expected[0].scores)).toBeLessThanOrEqual(TOL);

      // Enter on "Load the bundled test model" reloads it.
      for (let i = 0; i < 10; i++) await page.keyboard.press('Shift+Tab');
      expect(await page.evaluate(() => document.activeElement!.id)).toBe('load-bundled');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.body.dataset.modelLoads === '2', null, { timeout: 120_000 });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a local folder loads through the folder picker and through a drop', async () => {
    const { context, page, errors } = await openPage(browser!);
    try {
      await page.goto(siteUrl);
      await waitForModel(page);
      // <input webkitdirectory>: Playwright hands the folder over as the browser would.
      await page.setInputFiles('#folder-input', bundledModelDir);
      await page.waitForFunction(() => document.body.dataset.modelLoads === '2', null, { timeout: 120_000 });
      expect(await page.textContent('#model-status')).toMatch(/^Loaded tiny-bert-random \(\d+ files\)/);
      expect(maxDiff(await waitForLabels(page, cases[0].text), expected[0].scores)).toBeLessThanOrEqual(TOL);

      // A drop of the model's files (a synthetic drop carries files, not a directory entry).
      await page.evaluate(async (base) => {
        const dt = new DataTransfer();
        for (const name of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
          dt.items.add(new File([await (await fetch(`${base}models/tiny-bert-random/${name}`)).blob()], name));
        }
        document.getElementById('drop-zone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, siteUrl);
      await page.waitForFunction(() => document.body.dataset.modelLoads === '3', null, { timeout: 120_000 });
      expect(await page.textContent('#model-status')).toMatch(/^Loaded 6 dropped files/);
      await page.fill('#text', cases[1].text);
      expect(maxDiff(await waitForLabels(page, cases[1].text), expected[1].scores)).toBeLessThanOrEqual(TOL); // as typed
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('without WebGPU the page says so and classifies on the CPU backend (WebAssembly), matching PyTorch', async () => {
    // Takes WebGPU away before any page script runs, as in a browser without it.
    const { context, page, errors } = await openPage(browser!, () => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    try {
      await page.goto(siteUrl);
      await page.waitForSelector('#no-webgpu', { state: 'visible' });
      expect(await page.evaluate(() => 'gpu' in navigator)).toBe(false);
      const text = await page.textContent('#no-webgpu');
      expect(text).toMatch(/WebGPU is not available in this browser: the model runs on the CPU/);
      expect(text).toMatch(/navigator\.gpu is missing/);
      expect(await page.isHidden('#app')).toBe(false);
      await waitForModel(page);
      expect(await page.textContent('#model-status')).toMatch(/^Loaded tiny-bert-random.*on the CPU \(WebAssembly\)\.$/);
      expect(maxDiff(await waitForLabels(page, cases[0].text), expected[0].scores)).toBeLessThanOrEqual(TOL);
      await page.waitForFunction(() => /Backend\s*CPU \(WebAssembly\)/.test(document.body.textContent ?? ''), null, { timeout: 60_000 });
      await page.screenshot({ path: screenshotPath('demo-no-webgpu'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('with navigator.gpu but no adapter (Chromium without its WebGPU flag) the Worker falls back to the CPU and says why', async () => {
    const noAdapter = await launchChromium({ withoutWebGpuFlag: true });
    try {
      const { context, page, errors } = await openPage(noAdapter);
      await page.goto(siteUrl);
      expect(await page.evaluate(async () => 'gpu' in navigator && (await navigator.gpu.requestAdapter()) === null)).toBe(true);
      await waitForModel(page);
      expect(await page.isHidden('#no-webgpu')).toBe(true);
      expect(await page.textContent('#model-status')).toMatch(/^Loaded tiny-bert-random.*on the CPU \(WebAssembly\)\.$/);
      expect(maxDiff(await waitForLabels(page, cases[0].text), expected[0].scores)).toBeLessThanOrEqual(TOL);
      await page.waitForFunction(() => /Backend\s*CPU \(WebAssembly\) — WebGPU is unavailable .*no adapter/.test(document.body.textContent ?? ''), null, { timeout: 60_000 });
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await noAdapter.close();
    }
  });
});

describe('demo dev server (npm start)', () => {
  it('serves a working demo: the Worker and the bundled model load from source', async () => {
    const port = await freePort();
    const vite = await createViteServer({ configFile: join(repoRoot, 'vite.config.ts'), logLevel: 'warn', server: { port, strictPort: true } });
    await vite.listen();
    const { context, page, errors } = await openPage(browser!);
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      await waitForModel(page);
      expect(maxDiff(await waitForLabels(page, cases[0].text), expected[0].scores)).toBeLessThanOrEqual(TOL);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await vite.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
