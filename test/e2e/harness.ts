// Shared pieces of the demo e2e tests: building the demo with Vite's JS API, launching Debian's Chromium through
// playwright-core, opening a page that records console errors, the CLI's scores as ground truth, and a CSV reader.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { chromiumArgs, chromiumPath } from '../helpers/chromium.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const artifactDir = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));
export const bundledModelDir = fileURLToPath(new URL('../../public/models/tiny-bert-random', import.meta.url));
export const bundledMlmDir = fileURLToPath(new URL('../../public/models/tiny-bert-mlm-random', import.meta.url));

/** `vite build` of the demo (the same config as `npm run build:demo`) into outDir. */
export async function buildDemo(outDir: string): Promise<void> {
  await build({
    configFile: fileURLToPath(new URL('../../vite.config.ts', import.meta.url)),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
}

/** `withoutWebGpuFlag`: Chromium as on most Linux desktops, where navigator.gpu exists but gives no adapter. */
export function launchChromium(options: { withoutWebGpuFlag?: boolean } = {}): Promise<Browser> {
  const args = options.withoutWebGpuFlag ? chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu') : chromiumArgs;
  return chromium.launch({ executablePath: chromiumPath, args });
}

export interface DemoPage {
  context: BrowserContext;
  page: Page;
  /** Console errors (page and its Workers) and uncaught exceptions, as they happened. */
  errors: string[];
}

/**
 * A fresh context (own Cache Storage, so no test sees another's cached model) and page. `init` runs before the
 * page's scripts (used to take WebGPU away).
 */
export async function openPage(browser: Browser, init?: () => void): Promise<DemoPage> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  if (init) await page.addInitScript(init);
  return { context, page, errors };
}

export function screenshotPath(name: string): string {
  mkdirSync(artifactDir, { recursive: true });
  return `${artifactDir}${name}.png`;
}

export interface CliResult {
  label: string;
  score: number;
  scores: Record<string, number>;
}

/** The bertgpu CLI (Node + Dawn) on the same model folder: one result per input, in order. */
export async function cliClassify(modelDir: string, inputs: string[]): Promise<CliResult[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['bin/bertgpu.js', 'classify', '--model', modelDir, '--json', ...inputs], {
    cwd: repoRoot, timeout: 180_000, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
  if (lines.length !== inputs.length) throw new Error(`CLI printed ${lines.length} results for ${inputs.length} inputs:\n${stdout}`);
  return lines.map((l) => JSON.parse(l) as CliResult);
}

export interface CliFillMaskPrediction {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

/** `bertgpu fill-mask --json` on a model folder: per input, its predictions (a list per mask when it has several). */
export async function cliFillMask(modelDir: string, inputs: string[]): Promise<(CliFillMaskPrediction[] | CliFillMaskPrediction[][])[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['bin/bertgpu.js', 'fill-mask', '--model', modelDir, '--json', ...inputs], {
    cwd: repoRoot, timeout: 180_000, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  const lines = stdout.split('\n').filter((l) => l.startsWith('['));
  if (lines.length !== inputs.length) throw new Error(`CLI printed ${lines.length} results for ${inputs.length} inputs:\n${stdout}`);
  return lines.map((l) => JSON.parse(l) as CliFillMaskPrediction[] | CliFillMaskPrediction[][]);
}

/** RFC 4180 reader (quoted fields, doubled quotes, CRLF), independent of the demo's writer. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** Waits until the bundled model is loaded and the label bars show scores for `text`. */
export async function waitForLabels(page: Page, text: string, timeout = 120_000): Promise<Record<string, number>> {
  await page.waitForFunction((t) => {
    const bars = document.getElementById('label-bars');
    return bars?.dataset.text === t && bars.querySelectorAll('li[data-score]').length > 0;
  }, text, { timeout });
  return page.$$eval('#label-bars li', (lis) => Object.fromEntries(lis.map((li) => [(li as HTMLElement).dataset.label!, Number((li as HTMLElement).dataset.score)])));
}

export async function waitForModel(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(() => /^Loaded /.test(document.getElementById('model-status')?.textContent ?? ''), null, { timeout });
}

/** Largest |a − b| over the labels of b (a must have every one of them). */
export function maxDiff(a: Record<string, number>, b: Record<string, number>): number {
  let d = 0;
  for (const [label, v] of Object.entries(b)) d = Math.max(d, label in a ? Math.abs(a[label] - v) : Infinity);
  return d;
}
