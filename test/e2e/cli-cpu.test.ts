// `bertgpu … --device cpu` as a user runs it (a child process, node bin/bertgpu.js): classify on the CPU backend vs
// the PyTorch fp64 references at 1e-4, fill-mask and ner on the CPU, info --device cpu, and the flag's errors.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');

interface Run { code: number; stdout: string; stderr: string }

// An empty download cache per run; Mesa's shader cache (under XDG_CACHE_HOME too) kept where it was, so the GPU runs
// compared against do not recompile every kernel (as test/unit/cli.test.ts).
const mesaShaderCache = process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');

function cli(args: string[]): Promise<Run> {
  const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'bertgpu-cpu-cli-')), MESA_SHADER_CACHE_DIR: mesaShaderCache };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('bertgpu CLI on the CPU backend', () => {
  it('classify --device cpu --json equals PyTorch for every single-input case (pairs through a TAB file)', async () => {
    const singles = readReference('tiny-bert').cases.filter((c) => c.text.length === 1);
    const file = join(mkdtempSync(join(tmpdir(), 'bertgpu-in-')), 'inputs.txt');
    writeFileSync(file, singles.map((c) => (c.textPair ? `${c.text[0]}\t${c.textPair[0]}` : c.text[0])).join('\n') + '\n');
    const r = await cli(['classify', '--device', 'cpu', '--model', join(fixturesDir, 'tiny-bert'), '--json', '--file', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    expect(rows).toHaveLength(singles.length);
    rows.forEach((row, i) => expectClose(`${singles[i].name} logits`, row.logits as number[], singles[i].logits.data, { atol: 1e-4, rtol: 0 }));
  });

  it('fill-mask and ner run on the CPU too and agree with the GPU run', async () => {
    for (const [command, model, text] of [['fill-mask', 'tiny-bert-mlm', 'the [MASK] sat on the mat'], ['ner', 'tiny-bert-ner', 'John lives in Paris']] as const) {
      const [cpu, gpu] = await Promise.all(['cpu', 'gpu'].map((d) => cli([command, '--device', d, '--model', join(fixturesDir, model), '--json', text])));
      expect(cpu.code, cpu.stderr).toBe(0);
      expect(gpu.code, gpu.stderr).toBe(0);
      const [a, b] = [jsonLines(cpu.stdout)[0], jsonLines(gpu.stdout)[0]];
      // Same labels/tokens in the same order; scores within the f32 tolerance.
      const scores = (x: unknown): number[] => JSON.stringify(x).match(/"score":[-\d.e]+/g)!.map((m) => Number(m.slice(8)));
      expect(JSON.stringify(a).replace(/"score":[-\d.e]+/g, '')).toBe(JSON.stringify(b).replace(/"score":[-\d.e]+/g, ''));
      expectClose(`${command} scores`, scores(a), scores(b), { atol: 1e-4, rtol: 0 });
    }
  });

  it('info --device cpu describes the WebAssembly engine; a bad --device and plan --device cpu are usage errors', async () => {
    const info = await cli(['info', '--device', 'cpu', '--json']);
    expect(info.code).toBe(0);
    expect(jsonLines(info.stdout)[0]).toMatchObject({ backend: 'cpu', simd128: true, threads: 1 });
    const bad = await cli(['classify', '--device', 'npu', '--model', 'x', 'hi']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe("bertgpu: --device must be cpu, gpu or auto, got 'npu'");
    const plan = await cli(['plan', '--device', 'cpu', '--model', join(fixturesDir, 'tiny-bert'), '--batch', '1', '--tokens', '8']);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toMatch(/^bertgpu: plan lists GPU dispatches; with --device cpu there are none/);
  });
});
