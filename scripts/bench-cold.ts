// Cold start for npm run bench: `pipeline()` → first result (1 × T), bertgpu vs transformers.js WebGPU, each run a
// fresh process (scripts/bench-cold-child.ts) with empty cache folders of its own: XDG_CACHE_HOME (bertgpu's tuning
// choices, and Mesa's default shader cache) and MESA_SHADER_CACHE_DIR (the Vulkan driver's compiled pipelines, which
// both libraries' Dawn fill). Both sides get the same Vulkan driver (VK_DRIVER_FILES). One untimed run per side first
// brings the weight files into the OS page cache, so the timed runs compare compiling and loading, not the disk.
// Runs alternate (bertgpu, tjs, bertgpu, …); medians.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from './bench-texts.ts';

export interface ColdRun {
  side: 'bertgpu' | 'tjs';
  importMs: number;
  loadMs: number;
  firstMs: number;
  /** pipeline() → first result (loadMs + firstMs). */
  totalMs: number;
  tokens: number;
  /** Files the run left in its shader cache folder (0: the driver caches nothing there). */
  shaderCacheFiles: number;
}

export interface ColdResult {
  runs: ColdRun[];
  bertgpuMs: number;
  tjsMs: number;
  /** bertgpu median / tjs median (the target: ≤ 0.5). */
  ratio: number;
}

const root = resolve(import.meta.dirname, '..');
const child = join(root, 'scripts/bench-cold-child.ts');

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n++;
  return n;
}

function runChild(side: 'bertgpu' | 'tjs', dir: string, task: string, T: number, dtype: string): Promise<ColdRun> {
  const tmp = mkdtempSync(join(tmpdir(), 'bertgpu-cold-'));
  const env = { ...process.env, XDG_CACHE_HOME: join(tmp, 'xdg'), MESA_SHADER_CACHE_DIR: join(tmp, 'mesa'), XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
  return new Promise<ColdRun>((done, fail) => {
    const p = spawn(process.execPath, [...process.execArgv, child, side, dir, task, String(T), dtype], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', fail);
    p.on('close', (code) => {
      try {
        const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
        if (code !== 0 || !line) throw new Error(`cold start (${side}) exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
        done({ ...(JSON.parse(line) as Omit<ColdRun, 'shaderCacheFiles'>), shaderCacheFiles: countFiles(tmp) });
      } catch (e) {
        fail(e);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}

/** `runs` timed runs per side after one untimed run each; progress lines through `log`. */
export async function benchCold(dir: string, task: string, T: number, dtype: string, runs: number, log: (s: string) => void): Promise<ColdResult> {
  const sides = ['bertgpu', 'tjs'] as const;
  for (const s of sides) await runChild(s, dir, task, T, dtype); // page cache warm-up, untimed
  const all: ColdRun[] = [];
  for (let r = 0; r < runs; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const run = await runChild(s, dir, task, T, dtype);
      log(`  cold ${s} #${r + 1}: load ${run.loadMs.toFixed(0)} ms + first result ${run.firstMs.toFixed(0)} ms (shader cache files: ${run.shaderCacheFiles})`);
      all.push(run);
    }
  }
  const med = (s: string) => median(all.filter((r) => r.side === s).map((r) => r.totalMs));
  return { runs: all, bertgpuMs: med('bertgpu'), tjsMs: med('tjs'), ratio: med('bertgpu') / med('tjs') };
}
