// The demo's "Teach it" panel end to end in Chromium on SwiftShader (the static build): labelled lines fine-tune a copy
// of the bundled model with a fresh head for the labels in the data, the plot and status follow the steps and epochs,
// the taught model classifies, and its folder downloads (config.json with the new labels, model.safetensors);
// Cancel stops a run; bad data is explained, not thrown.
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshotPath, waitForModel } from './harness.ts';
import { serveBuiltDemo, type BuiltSite } from './built-site.ts';

// Two classes told apart by one word each; words from the bundled model's vocabulary.
const lines = [
  'this movie was great fun\tup', 'a great film and a good story\tup', 'great acting\tup', 'the music was great\tup',
  'this movie was awful\tdown', 'an awful film and a bad story\tdown', 'awful acting\tdown', 'the music was awful\tdown',
].join('\n');

let site: BuiltSite | undefined;
let browser: Browser | undefined;
let siteUrl = '';

beforeAll(async () => {
  site = await serveBuiltDemo('bertgpu-demo-teach-');
  ({ browser, url: siteUrl } = site);
}, 180_000);

afterAll(async () => {
  await site?.close();
});

describe('demo: Inside the model colours the tokens by clf.explain()', () => {
  it('one coloured token per token, green for positive scores and red for negative, and says which label', async () => {
    const { context, page, errors } = await openPage(browser!);
    try {
      await page.goto(siteUrl);
      await waitForModel(page);
      await page.fill('#text', 'the acting was terrible and boring');
      await page.click('#classify-button');
      await page.waitForFunction(() => !(document.getElementById('explain-button') as HTMLButtonElement).disabled, null, { timeout: 60_000 });
      const inspected = await page.$$eval('#tokens li', (lis) => lis.map((li) => li.textContent));
      await page.click('#explain-button');
      await page.waitForFunction(() => /^Why "/.test(document.getElementById('explain-readout')?.textContent ?? ''), null, { timeout: 120_000 });
      const label = /^Why "([^"]+)"/.exec((await page.textContent('#explain-readout'))!)![1];
      const top = await page.$$eval('#label-bars li', (lis) => lis[0]?.textContent ?? '');
      expect(top.startsWith(label), `${top} vs ${label}`).toBe(true); // the top label is the one explained
      const tokens = await page.$$eval('#tokens li', (lis) => lis.map((li) => ({ text: li.textContent, cls: li.className, score: Number((li as HTMLElement).dataset.score) })));
      expect(tokens.map((t) => t.text)).toEqual(inspected);
      for (const t of tokens) {
        expect(Number.isFinite(t.score)).toBe(true);
        expect(t.cls).toBe(t.score >= 0 ? 'pos' : 'neg');
      }
      await page.locator('#tokens').screenshot({ path: screenshotPath('demo-explain-tokens') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 300_000);
});

describe('demo: Teach it', () => {
  it('trains on pasted lines with a live plot, classifies with the taught model, downloads its folder; Cancel stops', async () => {
    const { context, page, errors } = await openPage(browser!);
    try {
      await page.goto(siteUrl);
      await waitForModel(page);
      // Bad data first: one label only.
      await page.fill('#teach-input', 'just one\tup\n');
      await page.click('#teach-button');
      expect(await page.textContent('#teach-status')).toMatch(/^Cannot train: the data needs at least two different labels/);

      await page.fill('#teach-input', lines);
      await page.fill('#teach-epochs', '6');
      await page.click('#teach-button');
      await page.waitForFunction(() => /trained\./.test(document.getElementById('teach-status')?.textContent ?? ''), null, { timeout: 240_000 });
      const status = await page.textContent('#teach-status');
      const accuracy = Number(/training accuracy ([\d.]+)/.exec(status!)![1]);
      expect(accuracy, status!).toBeGreaterThanOrEqual(0.75); // 8 lines, 6 steps: above chance (0.875 seen on SwiftShader)
      const plot = await page.getAttribute('#teach-plot', 'aria-label');
      expect(plot).toMatch(/^Loss over 6 steps \(last [\d.]+\); training accuracy [\d.]+(, [\d.]+){5}$/);
      await page.fill('#teach-text', 'a great song');
      await page.click('#teach-classify');
      await page.waitForFunction(() => /^(up|down) /.test(document.getElementById('teach-result')?.textContent ?? ''));
      const names = await page.$$eval('#teach-downloads a', (as) => as.map((a) => (a as HTMLAnchorElement).download));
      expect(names.sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#teach-downloads a[download="config.json"]')]);
      const config = JSON.parse(readFileSync(await download.path(), 'utf8')) as { id2label: Record<string, string> };
      expect(config.id2label).toEqual({ 0: 'up', 1: 'down' });
      await page.screenshot({ path: screenshotPath('demo-teach'), fullPage: true });

      // Cancel: a long run stops at the button.
      await page.fill('#teach-epochs', '50');
      await page.click('#teach-button');
      await page.waitForFunction(() => /^Epoch 1\/50/.test(document.getElementById('teach-status')?.textContent ?? ''), null, { timeout: 120_000 });
      await page.click('#teach-cancel');
      await page.waitForFunction(() => /^Training cancelled/.test(document.getElementById('teach-status')?.textContent ?? ''), null, { timeout: 120_000 });
      expect(await page.isHidden('#teach-cancel')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 400_000);
});
