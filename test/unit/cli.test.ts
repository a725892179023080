// The bertgpu CLI as a user runs it: a real child process (`node bin/bertgpu.js`) on the committed fixtures.
// Expected numbers come from PyTorch (reference.json) and token ids from the HF Rust tokenizer (same file).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostileCases } from '../fixtures/weights/hostile-corpus.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference, validRows } from '../model/fixture.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');
const tiny = join(fixturesDir, 'tiny-bert');

interface Run { code: number | null; stdout: string; stderr: string }

// Each run gets an empty download cache. Mesa's shader cache lives under XDG_CACHE_HOME too, so it is pointed back at
// the usual place: without it lavapipe compiles every kernel again in every run (~5 s each instead of ~0.5 s).
const mesaShaderCache = process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');

function cli(args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'bertgpu-cli-')), MESA_SHADER_CACHE_DIR: mesaShaderCache };
    const child = spawn(process.execPath, [bin, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`bertgpu ${args.join(' ')} hung for ${timeoutMs} ms`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const bertgpuLines = (s: string) => s.split('\n').filter((l) => l.startsWith('bertgpu:'));

describe('bertgpu CLI', () => {
  const ref = readReference('tiny-bert');
  const singles = ref.cases.filter((c) => c.text.length === 1);

  it('classify --json equals PyTorch for every single-input case, pairs through a TAB file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertgpu-in-'));
    const file = join(dir, 'inputs.txt');
    writeFileSync(file, singles.map((c) => (c.textPair ? `${c.text[0]}\t${c.textPair[0]}` : c.text[0])).join('\n') + '\n');
    const r = await cli(['classify', '--model', tiny, '--json', '--file', file]);
    expect(r.stderr).not.toMatch(/^bertgpu:/m);
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows).toHaveLength(singles.length);
    rows.forEach((row, i) => {
      const c = singles[i];
      expectClose(`${c.name} logits`, row.logits as number[], c.logits.data, { atol: 1e-4, rtol: 0 });
      const probs = Object.values(row.scores as Record<string, number>);
      const best = probs.indexOf(Math.max(...probs));
      expect(row.label).toBe(['negative', 'neutral', 'positive'][best]);
      expect(row.score).toBe(probs[best]);
      expect(row.truncated).toBe(c.truncated);
    });
  });

  it('tokenize --json gives the HF Rust tokenizer ids, truncated to the model length', async () => {
    const r = await cli(['tokenize', '--model', tiny, '--json', ...singles.filter((c) => !c.textPair).map((c) => c.text[0])]);
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    singles.filter((c) => !c.textPair).forEach((c, i) => {
      expect(rows[i].ids).toEqual(c.inputIds[0]);
      expect(rows[i].tokenTypeIds).toEqual(c.tokenTypeIds[0]);
      expect(rows[i].attentionMask).toEqual(c.attentionMask[0]);
      expect(rows[i].truncated).toBe(c.truncated);
      expect((rows[i].offsets as unknown[]).length).toBe(c.inputIds[0].length);
    });
  });

  it('embed --json --normalize is the mean of PyTorch hidden states over real tokens, L2-normalised', async () => {
    const c = singles.find((x) => x.name === 'single')!;
    const r = await cli(['embed', '--model', tiny, '--json', '--pooling', 'mean', '--normalize', c.text[0]]);
    expect(r.code).toBe(0);
    const C = c.lastHiddenState.dims[2];
    const valid = validRows(c.lastHiddenState.data, c.attentionMask, C);
    const n = valid.length / C;
    const mean = Array.from({ length: C }, (_, j) => valid.filter((_, i) => i % C === j).reduce((a, b) => a + b, 0) / n);
    const norm = Math.hypot(...mean);
    expectClose('embedding', jsonLines(r.stdout)[0].embedding as number[], mean.map((v) => v / norm), { atol: 1e-4, rtol: 0 });
  });

  it('fill-mask --json gives the top tokens of PyTorch at each [MASK]; plain text; a non-MLM model exits 1', async () => {
    const mlm = join(fixturesDir, 'tiny-bert-mlm');
    const mref = JSON.parse(readFileSync(join(mlm, 'reference.json'), 'utf8')) as {
      cases: { name: string; text: string[]; top5: { id: number; prob: number }[][][] }[];
    };
    const single = mref.cases.find((c) => c.name === 'single')!;
    const two = mref.cases.find((c) => c.name === 'two-masks')!;
    const r = await cli(['fill-mask', '--model', mlm, '--json', '--top-k', '3', single.text[0], two.text[0]]);
    expect(r.stderr).not.toMatch(/^bertgpu:/m);
    expect(r.code).toBe(0);
    const [one, both] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { token: number; score: number }[] | { token: number }[][]);
    expect((one as { token: number }[]).map((p) => p.token)).toEqual(single.top5[0][0].slice(0, 3).map((t) => t.id));
    expectClose('scores', (one as { score: number }[]).map((p) => p.score), single.top5[0][0].slice(0, 3).map((t) => t.prob), { atol: 0, rtol: 1e-3 });
    expect((both as { token: number }[][]).map((m) => m.map((p) => p.token))).toEqual(two.top5[0].map((m) => m.slice(0, 3).map((t) => t.id)));
    const plain = await cli(['fill-mask', '--model', mlm, two.text[0]]);
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim().split(' | ')).toHaveLength(2);
    const noMask = await cli(['fill-mask', '--model', mlm, '--batch-size', '2', single.text[0], single.text[0], 'no mask']);
    expect(noMask.code).toBe(1);
    expect(bertgpuLines(noMask.stderr)).toEqual([expect.stringMatching(/^bertgpu: input 3: no mask token/)]);
    const wrong = await cli(['fill-mask', '--model', tiny, 'a [MASK]']);
    expect(wrong.code).toBe(1);
    expect(bertgpuLines(wrong.stderr)).toEqual([expect.stringMatching(/no masked-LM head/)]);
  });

  it('info prints the adapter and exits 0', async () => {
    const r = await cli(['info', '--json']);
    expect(r.code).toBe(0);
    const facts = jsonLines(r.stdout)[0];
    expect(typeof facts.description).toBe('string');
    expect(typeof facts.f16).toBe('boolean');
  });

  it('usage errors exit 2 with a bertgpu: line', async () => {
    for (const args of [[], ['frobnicate'], ['classify', 'text'], ['classify', '--model', tiny], ['embed', '--model', tiny, '--pooling', 'max', 'x']]) {
      const r = await cli(args);
      if (args.length === 0) {
        expect(r.code).toBe(0); // bare `bertgpu` prints the usage
        continue;
      }
      expect(r.code, args.join(' ')).toBe(2);
      expect(bertgpuLines(r.stderr)).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });

  it('a missing model folder exits 1 with one bertgpu: line naming it', async () => {
    const r = await cli(['classify', '--model', '/nonexistent/model', 'hi']);
    expect(r.code).toBe(1);
    expect(bertgpuLines(r.stderr)).toEqual([expect.stringContaining('/nonexistent/model')]);
  });

  describe('every folder of the hostile corpus exits 1 with its specific bertgpu: line, no hang', () => {
    for (const h of hostileCases()) {
      it(h.name, async () => {
        const r = await cli(['classify', '--model', join(fixturesDir, 'weights', 'hostile', h.name), '--json', 'a b c'], 30_000);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        const lines = bertgpuLines(r.stderr);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch((h.knownSize ?? h).message);
      });
    }
  });
});
