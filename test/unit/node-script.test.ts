// A plain Node script (no test runner keeping the event loop alive) that awaits a classification must get its result:
// the micro-batcher's MessageChannel once let Node exit with status 13 while a batch was queued.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('bertgpu/node in a plain script', () => {
  it('prints the result of an awaited call and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertgpu-script-'));
    const script = join(dir, 'classify.mjs');
    writeFileSync(script, `
import { pipeline } from ${JSON.stringify(join(root, 'src/node.ts'))};
const classify = await pipeline('text-classification', ${JSON.stringify(join(root, 'test/fixtures/tiny-bert'))}, { dtype: 'f32' });
const first = await classify('the music was great');
const [a, b] = await Promise.all([classify('good'), classify('bad')]);
console.log(JSON.stringify({ first, a, b }));
await classify.dispose();
`);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', script], {
      cwd: root, env: { ...process.env, XDG_CACHE_HOME: dir }, timeout: 60_000,
    });
    const out = JSON.parse(stdout) as Record<string, Array<{ label: string; score: number }>>;
    for (const k of ['first', 'a', 'b']) expect(out[k][0].score).toBeGreaterThan(0);
  });
});
