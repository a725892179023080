// Every case of the hostile config.json and tokenizer-file corpora through the CLI, as a user would hit it:
// `bertgpu classify --model DIR` must exit 1 with exactly one `bertgpu:` line naming the file or field, nothing on
// stdout, within seconds. The child runs with a 256 MB JavaScript heap, so a case that allocates by its hostile number
// (num_labels: 4e9 used to take 38 s and 2.3 GB before aborting) dies of the heap limit instead and fails here.
// One process per case (~0.7 s each, most of it the WebGPU adapter), two at a time. The oddities must classify.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configCases, configOddities } from '../fixtures/hostile/config-corpus.ts';
import { tokenizerCases, tokenizerOddities } from '../fixtures/hostile/tokenizer-corpus.ts';
import type { Files } from '../fixtures/weights/hostile-corpus.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');
const tmp = mkdtempSync(join(tmpdir(), 'bertgpu-hostile-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }

function folder(name: string, files: Files): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, f), body);
  return dir;
}

function classify(dir: string, texts: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // The user's own cache directory: Mesa's shader cache lives there, and a cold one costs ~10 s per run.
    const child = spawn(process.execPath, ['--max-old-space-size=256', bin, 'classify', '--no-cache', '--model', dir, '--json', ...texts]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`bertgpu classify --model ${dir} hung`)); }, 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

const bertgpuLines = (s: string) => s.split('\n').filter((l) => l.startsWith('bertgpu:'));

describe.concurrent('hostile corpora through the CLI: exit 1, one bertgpu: line naming the file or field', { concurrent: true }, () => {
  for (const [corpus, cases] of [['config', configCases()], ['tokenizer', tokenizerCases()]] as const) {
    for (const c of cases) {
      it(`${corpus}: ${c.name}`, async () => {
        const r = await classify(folder(`${corpus}-${c.name}`, c.files), ['a b c']);
        expect({ code: r.code, signal: r.signal, stdout: r.stdout }, r.stderr.slice(-2000)).toEqual({ code: 1, signal: null, stdout: '' });
        const lines = bertgpuLines(r.stderr);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(c.message);
        expect(r.ms).toBeLessThan(10_000);
      });
    }
  }

  for (const o of [...configOddities(), ...tokenizerOddities()]) {
    it(`keeps working: ${o.name}`, async () => {
      const r = await classify(folder(`odd-${o.name}`, o.files), ['a b c', `a ${'k'.repeat(16_000)}`]);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { label: string; scores: Record<string, number> });
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(Object.keys(row.scores).sort()).toEqual(['no', 'yes']);
        const best = Object.entries(row.scores).sort((x, y) => y[1] - x[1])[0][0];
        expect(row.label).toBe(best);
      }
    });
  }
});
