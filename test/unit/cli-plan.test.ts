// `bertgpu plan` and `bertgpu profile` as a user runs them: a real child process on the committed fixtures. plan must
// work from a folder holding config.json alone and never ask for a GPU (it runs with no Vulkan driver reachable).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../../src/model/config.ts';
import { planDump } from '../../src/model/plan-dump.ts';
import { fixturesDir } from '../model/fixture.ts';

const bertBaseConfig = {
  architectures: ['BertForSequenceClassification'], hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
  intermediate_size: 3072, max_position_embeddings: 512, vocab_size: 30522, type_vocab_size: 2, hidden_act: 'gelu',
  layer_norm_eps: 1e-12, id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' }, model_type: 'bert',
};
const tinyConfig = () => parseBertConfig(JSON.parse(readFileSync(join(tiny, 'config.json'), 'utf8')));

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');
const tiny = join(fixturesDir, 'tiny-bert');
const mesaShaderCache = process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');

interface Run { code: number | null; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'bertgpu-cli-')), MESA_SHADER_CACHE_DIR: mesaShaderCache, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`bertgpu ${args.join(' ')} hung`)); }, 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const bertgpuLines = (s: string) => s.split('\n').filter((l) => l.startsWith('bertgpu:'));

/** A model folder with config.json and nothing else. */
function configOnly(config: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'bertgpu-config-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('bertgpu plan', () => {
  it('--json: one object equal to the plan dump, from config.json alone, with no GPU reachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertgpu-config-'));
    copyFileSync(join(tiny, 'config.json'), join(dir, 'config.json'));
    // No Vulkan driver: any GPU request would fail the run.
    const r = await cli(['plan', '--model', dir, '--batch', '3', '--tokens', '20', '--json'], { VK_DRIVER_FILES: '/nonexistent/icd.json' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const got = JSON.parse(lines[0]);
    expect(got.dispatches).toEqual(planDump(tinyConfig(), { B: 3, T: 20 }).dispatches);
    // Software profile, f32: matmul + LayerNorm as matmulVec4 + layernorm (variants.ts): 7 per layer.
    expect(got.totals.dispatchesPerLayer).toBe(7);
    for (const d of got.dispatches) expect(Object.keys(d)).toEqual(['op', 'kernel', 'workgroups', 'workgroupSize', 'flops']);
  });

  it('BERT-base, --profile gpu --dtype f16: 12 layers of dispatches; text output is a table with totals', async () => {
    const dir = configOnly(bertBaseConfig);
    const json = await cli(['plan', '--model', dir, '--batch', '8', '--tokens', '128', '--profile', 'gpu', '--dtype', 'f16', '--json']);
    expect(json.code).toBe(0);
    const got = JSON.parse(json.stdout);
    expect(got.dispatches).toEqual(planDump(parseBertConfig(bertBaseConfig), { B: 8, T: 128, dtype: 'f16', adapter: 'gpu' }).dispatches);
    // The GPU profile fuses attention + output projection + LayerNorm (attentionFlashProj + layernormRow): 6 per layer.
    expect(got.dispatches.filter((d: { kernel: string }) => d.kernel === 'attentionFlashProjF16')).toHaveLength(12);
    expect(got.totals.dispatchesPerLayer).toBe(6);
    const text = await cli(['plan', '--model', dir, '--batch', '1', '--tokens', '128']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^#\s+op\s+kernel\s+workgroups\s+wg size\s+threads\s+MFLOP$/m);
    expect(text.stdout).toMatch(/87 dispatches \(7 per layer × 12\), [\d.]+ GFLOP/);
  });

  it('bad arguments exit 2 with one bertgpu: line; a bad model exits 1 with one', async () => {
    const usage: string[][] = [
      ['plan', '--model', tiny],
      ['plan', '--model', tiny, '--batch', '0', '--tokens', '8'],
      ['plan', '--model', tiny, '--batch', '1', '--tokens', 'x'],
      ['plan', '--model', tiny, '--batch', '1', '--tokens', '8', '--profile', 'tpu'],
      ['plan', '--model', tiny, '--batch', '1', '--tokens', '8', 'some text'],
      ['plan', '--batch', '1', '--tokens', '8'],
      ['profile', '--model', tiny, '--batch', '1', '--tokens', '8', '--profile', 'gpu'],
      ['classify', '--model', tiny, '--batch', '2', 'text'],
    ];
    for (const args of usage) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(bertgpuLines(r.stderr), args.join(' ')).toHaveLength(1);
    }
    const missing = await cli(['plan', '--model', join(tmpdir(), 'no-such-model-folder'), '--batch', '1', '--tokens', '8']);
    expect(missing.code).toBe(1);
    expect(bertgpuLines(missing.stderr)).toEqual([expect.stringMatching(/^bertgpu: .*no-such-model-folder/)]);
    const long = await cli(['plan', '--model', tiny, '--batch', '1', '--tokens', '65']);
    expect(long.code).toBe(1);
    expect(bertgpuLines(long.stderr)).toEqual(['bertgpu: plan: 65 tokens exceed max_position_embeddings (64)']);
    const badConfig = await cli(['plan', '--model', configOnly({ ...bertBaseConfig, hidden_size: 770 }), '--batch', '1', '--tokens', '8']);
    expect(badConfig.code).toBe(1);
    expect(bertgpuLines(badConfig.stderr)).toHaveLength(1);
  });
});

describe('bertgpu profile', () => {
  it('--json: every dispatch of the plan with a GPU time, positive totals', async () => {
    const r = await cli(['profile', '--model', tiny, '--batch', '2', '--tokens', '16', '--json']);
    expect(bertgpuLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    const dump = planDump(tinyConfig(), { B: 2, T: 16 });
    expect(got.dispatches.map(({ gpuMs: _, ...d }: { gpuMs: number }) => d)).toEqual(dump.dispatches);
    for (const d of got.dispatches) expect(d.gpuMs).toBeGreaterThanOrEqual(0);
    expect(got.totals.gpuMs).toBeGreaterThan(0);
    expect(got.totals.flops).toBe(dump.dispatches.reduce((a, d) => a + d.flops, 0));
    expect(got.adapter.description).toMatch(/llvmpipe|SwiftShader/);
  });

  it('info says whether the adapter has timestamp-query (lavapipe does) and subgroups', async () => {
    const r = await cli(['info', '--json']);
    expect(r.code).toBe(0);
    const facts = JSON.parse(r.stdout);
    expect(facts.timestamps).toBe(true);
    expect(typeof facts.subgroups).toBe('boolean');
    const text = await cli(['info']);
    expect(text.stdout).toMatch(/^timestamps: +yes \(bertgpu profile can time each dispatch\)$/m);
  });

  it('plain text: the table with a GPU ms column and a totals line', async () => {
    const r = await cli(['profile', '--model', tiny, '--batch', '1', '--tokens', '8']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#\s+op\s+kernel\s+workgroups\s+wg size\s+threads\s+MFLOP\s+GPU ms$/m);
    expect(r.stdout).toMatch(/17 dispatches, [\d.]+ GPU ms, [\d.]+ GFLOP, [\d.]+ GFLOP\/s/);
  });
});
