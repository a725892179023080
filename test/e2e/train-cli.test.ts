// `bertgpu train` as a user runs it (a child process, node bin/bertgpu.js): the 16-step acceptance recipe with --json
// gives one JSON object per optimizer step on stdout and nothing else, every loss within 1e-3 of PyTorch's float64
// run (test/fixtures/train-16/reference.json); `bertgpu classify --model OUT` then gives PyTorch's trained logits
// within 1e-3; bad flags and data are one `bertgpu: …` line.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from '../model/fixture.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');
const data = join(fixturesDir, 'train-16');
const tiny = join(fixturesDir, 'tiny-bert');
const ref = JSON.parse(readFileSync(join(data, 'reference.json'), 'utf8')) as {
  id2label: string[]; rows: Array<{ text: string; textPair?: string }>;
  steps: Array<{ step: number; epoch: number; loss: number; lr: number; gradNorm: number }>; logits: { train: number[][] };
};

interface Run { code: number; stdout: string; stderr: string }
const mesaShaderCache = process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
function cli(args: string[]): Promise<Run> {
  const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'bertgpu-train-cli-')), MESA_SHADER_CACHE_DIR: mesaShaderCache };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}
const bertgpuLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('bertgpu:'));
const RECIPE = ['--epochs', '4', '--batch-size', '4', '--lr', '3e-4', '--weight-decay', '0.01', '--max-grad-norm', '1', '--scheduler', 'constant', '--dropout', '0', '--no-shuffle'];

describe('bertgpu train', () => {
  it('the 16-step recipe with --json: one object per step within 1e-3 of PyTorch; classify --model OUT gives the trained logits', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bertgpu-trained-')), 'model');
    const r = await cli(['train', '--model', tiny, '--data', join(data, 'train.tsv'), '--out', out, ...RECIPE, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(16);
    lines.forEach((line, i) => {
      const s = JSON.parse(line) as Record<string, number>;
      expect(Object.keys(s)).toEqual(['step', 'epoch', 'loss', 'lr', 'gradNorm']);
      const want = ref.steps[i];
      expect(s.step).toBe(want.step);
      expect(s.epoch).toBe(want.epoch + 1);
      expect(s.lr).toBe(want.lr);
      expect(Math.abs(s.loss - want.loss), `step ${s.step}`).toBeLessThanOrEqual(1e-3);
    });
    const file = join(mkdtempSync(join(tmpdir(), 'bertgpu-in-')), 'inputs.txt');
    writeFileSync(file, ref.rows.map((row) => (row.textPair === undefined ? row.text : `${row.text}\t${row.textPair}`)).join('\n') + '\n');
    const c = await cli(['classify', '--model', out, '--json', '--file', file]);
    expect(c.code, c.stderr).toBe(0);
    const got = c.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { logits: number[] }).logits);
    got.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - ref.logits.train[i][j]), `row ${i} logit ${j}`).toBeLessThanOrEqual(1e-3)));
  }, 120_000);

  it('without --json: a progress bar with the loss on stderr, stdout empty; --labels starts a fresh head', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bertgpu-trained-')), 'model');
    const tsv = join(mkdtempSync(join(tmpdir(), 'bertgpu-data-')), 'd.tsv');
    writeFileSync(tsv, 'good film\tyes\nbad film\tno\nfine\tyes\nawful\tno\n');
    const r = await cli(['train', '--model', tiny, '--data', tsv, '--out', out, '--labels', 'no,yes', '--epochs', '1', '--batch-size', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/step 2\/2 \[#+\] epoch 1 loss \d+\.\d{4}/);
    expect((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { id2label: unknown }).id2label).toEqual({ 0: 'no', 1: 'yes' });
  }, 120_000);

  it('refuses --device cpu, a missing --data, an unknown label (naming file and line) and a foreign non-empty --out', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bertgpu-trained-')), 'model');
    const cpu = await cli(['train', '--device', 'cpu', '--model', tiny, '--data', join(data, 'train.tsv'), '--out', out]);
    expect(cpu.code).toBe(2);
    expect(bertgpuLines(cpu.stderr)[0]).toMatch(/train runs on the GPU; --device cpu cannot train/);
    const noData = await cli(['train', '--model', tiny, '--out', out]);
    expect(noData.code).toBe(2);
    expect(bertgpuLines(noData.stderr)[0]).toMatch(/train needs --data FILE/);
    const tsv = join(mkdtempSync(join(tmpdir(), 'bertgpu-data-')), 'bad.tsv');
    writeFileSync(tsv, 'good film\tpositive\nbad film\tawful\n');
    const bad = await cli(['train', '--model', tiny, '--data', tsv, '--out', out]);
    expect(bad.code).toBe(1);
    expect(bertgpuLines(bad.stderr)).toEqual([expect.stringMatching(/^bertgpu: .*bad\.tsv: line 2: unknown label "awful" \(known labels: "negative", "neutral", "positive"\)$/)]);
    const busy = mkdtempSync(join(tmpdir(), 'bertgpu-busy-'));
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    const foreign = await cli(['train', '--model', tiny, '--data', join(data, 'train.tsv'), '--out', busy]);
    expect(foreign.code).toBe(1);
    expect(bertgpuLines(foreign.stderr)[0]).toMatch(/--out .* is not empty and is not a previous bertgpu save/);
  }, 120_000);
});
