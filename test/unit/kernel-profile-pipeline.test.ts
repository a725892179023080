// pipeline()'s kernelProfile option: 'gpu' forces the GPU-shaped kernels (shaders/gpu) even on lavapipe and must give
// the fixture's PyTorch float64 logits at 1e-4; info says which profile and kernels run. A bad value is a TypeError
// before anything loads. The CLI's --kernel-profile reaches the same option.
import { spawn } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

const tiny = join(fixturesDir, 'tiny-bert');
const singles = readReference('tiny-bert').cases.filter((c) => c.text.length === 1);
const input = (c: (typeof singles)[number]) => (c.textPair ? { text: c.text[0], text_pair: c.textPair[0] } : c.text[0]);

describe('pipeline kernelProfile', () => {
  it("'gpu' on lavapipe: PyTorch logits at 1e-4, info.kernels lists the GPU kernels; 'software' lists others", async () => {
    const gpu = await pipeline('text-classification', tiny, { dtype: 'f32', kernelProfile: 'gpu' });
    const soft = await pipeline('text-classification', tiny, { dtype: 'f32', kernelProfile: 'software' });
    try {
      expect(gpu.info.kernelProfile).toBe('gpu');
      expect(soft.info.kernelProfile).toBe('software');
      expect(gpu.info.kernels.matmul).toEqual(expect.arrayContaining(['gemmTiled']));
      expect(gpu.info.kernels.attentionOutput).toEqual(['attentionFlashProj', 'layernormRow']);
      expect(soft.info.kernels.matmul).not.toContain('gemmTiled');
      expect(soft.info.kernels.attentionOutput).toBeUndefined();
      // function_to_apply 'none' returns the raw logits as scores: compared per label with PyTorch's.
      const labels = gpu.info.labels;
      const got = await gpu(singles.map(input), { top_k: null, function_to_apply: 'none' }) as { label: string; score: number }[][];
      got.forEach((ranked, i) => {
        const logits = labels.map((l) => ranked.find((r) => r.label === l)!.score);
        expectClose(`${singles[i].name} logits`, logits, singles[i].logits.data, { atol: 1e-4, rtol: 0 });
      });
    } finally {
      await gpu.dispose();
      await soft.dispose();
    }
  });

  it('a bad kernelProfile is a TypeError naming the option, before any load', async () => {
    await expect(pipeline('text-classification', '/nonexistent/model', { kernelProfile: 'tpu' as 'gpu' })).rejects.toThrow(/kernelProfile must be 'gpu', 'software' or 'auto', got "tpu"/);
  });

  it('bertgpu classify --kernel-profile gpu --json: the same logits at 1e-4', async () => {
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'bertgpu-cli-')), MESA_SHADER_CACHE_DIR: process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache') };
    const texts = singles.filter((c) => !c.textPair);
    const child = spawn(process.execPath, [bin, 'classify', '--model', tiny, '--json', '--kernel-profile', 'gpu', ...texts.map((c) => c.text[0])], { env });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { logits: number[] });
    rows.forEach((row, i) => expectClose(texts[i].name, row.logits, texts[i].logits.data, { atol: 1e-4, rtol: 0 }));
  });
});
