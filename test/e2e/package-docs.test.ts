// The API reference in docs/api/ is generated (npm run docs:api: TypeDoc + typedoc-plugin-markdown, typedoc.json)
// from the TSDoc of the public entries. It must regenerate without errors and equal what is committed, so a changed
// signature or comment without a regenerated reference fails here.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './harness.ts';

const committed = join(repoRoot, 'docs/api');
const scratch = mkdtempSync(join(tmpdir(), 'bertgpu-api-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('docs/api (the generated API reference)', () => {
  it('regenerates without errors and matches the committed files (else: npm run docs:api)', async () => {
    const out = join(scratch, 'api');
    // typedoc exits non-zero on errors (a broken entry point, a type error in the sources).
    await promisify(execFile)(join(repoRoot, 'node_modules/.bin/typedoc'), ['--out', out, '--logLevel', 'Error'], { cwd: repoRoot, timeout: 120_000 });
    const fresh = filesUnder(out).map((f) => relative(out, f)).sort();
    expect(fresh).toContain('README.md');
    expect(fresh).toContain('bertgpu/functions/pipeline.md');
    const have = filesUnder(committed).map((f) => relative(committed, f)).sort();
    expect(have, 'docs/api files (run npm run docs:api)').toEqual(fresh);
    const stale = fresh.filter((f) => readFileSync(join(out, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'));
    expect(stale, 'docs/api files whose content changed (run npm run docs:api)').toEqual([]);
  });
});
