// WGSL lint (test/kernels/wgsl-lint.ts) over every source under shaders/ and over the assembled modules of the GPU
// profile: no kernel may index a private array with a non-constant index inside a loop whose bound is not a
// compile-time constant (real GPU compilers put such arrays in scratch memory). The one lint of this rule (it
// replaced test/kernels/gpu-lint.ts); the self-checks below pin what it catches.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getKernel, isGpuKernel, kernelNames } from '../../src/gpu/kernels.ts';
import { lintWgsl } from '../kernels/wgsl-lint.ts';

const root = resolve(import.meta.dirname, '../..');
const shadersDir = join(root, 'shaders');

function wgslFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? wgslFiles(join(dir, e.name)) : e.name.endsWith('.wgsl') ? [join(dir, e.name)] : []);
}

// Known violators, per file and array. Each entry must still be a violation (the test fails when one is fixed, so
// the list only shrinks); any violation not listed here fails the test.
const knownViolators: Record<string, string[]> = {
  // to be replaced by the GPU attention kernel (shaders/gpu/): one thread per query, q/acc indexed in loops bounded
  // by the runtime head size, the chunk's scores by the runtime chunk length.
  'attention.wgsl': ['acc', 'q', 'scores'],
  'attention_vec4.wgsl': ['acc', 'q', 'scores'],
  // to be replaced by the GPU attention kernel (shaders/gpu/): the debug probabilities kernel (one layer, inspect())
  // shares attention's one-thread-per-query shape.
  'attention_probs.wgsl': ['q'],
};

describe('WGSL lint: no private array indexed in a runtime-bounded loop', () => {
  const files = wgslFiles(shadersDir);
  // Library files are appended to kernels: their constants count as constants everywhere.
  const libConstants = files.filter((f) => f.includes(`${join('lib', '')}`))
    .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s*(?:const|override)\s+(\w+)/gm)].map((m) => m[1]));
  const found = files.flatMap((f) => lintWgsl(relative(shadersDir, f), readFileSync(f, 'utf8'), libConstants));

  it('scans every shader under shaders/', () => {
    expect(files.map((f) => relative(shadersDir, f))).toEqual(expect.arrayContaining(['matmul.wgsl', 'attention.wgsl', 'matmul_layernorm.wgsl']));
  });

  it('finds no violation outside the known list', () => {
    const unexpected = found.filter((v) => !knownViolators[v.file]?.includes(v.array));
    expect(unexpected.map((v) => `${v.file}: ${v.array}[${v.index}] in \`${v.loop}\``)).toEqual([]);
  });

  it('every known violator still violates (remove an entry once its kernel is fixed)', () => {
    const actual = [...new Set(found.map((v) => `${v.file}:${v.array}`))].sort();
    const listed = Object.entries(knownViolators).flatMap(([file, arrays]) => arrays.map((a) => `${file}:${a}`)).sort();
    expect(actual.filter((v) => listed.includes(v))).toEqual(listed);
  });
});

describe('WGSL lint over the assembled GPU-profile modules (kernel + libraries + prelude, as compiled)', () => {
  for (const name of kernelNames.filter(isGpuKernel)) {
    it(name, () => expect(lintWgsl(name, getKernel(name).code).map((v) => `${v.array}[${v.index}] in \`${v.loop}\``)).toEqual([]));
  }
});

describe('WGSL lint: what it catches', () => {
  const kernel = (body: string, decls = '') => `${decls}\nfn main() {\n  var a = array<f32, 8>();\n  var n = 3u;\n${body}\n}`;
  const lint = (body: string, decls = '') => lintWgsl('t.wgsl', kernel(body, decls)).map((v) => `${v.array}[${v.index}]`);

  it('flags an index driven by a runtime-bounded loop', () => {
    expect(lint('for (var i = 0u; i < n; i++) { a[i] = 1.0; }')).toEqual(['a[i]']);
    expect(lint('for (var i = n; i < 8u; i++) { a[i] = 1.0; }')).toEqual(['a[i]']);
    expect(lint('var c = 0u; loop { if (c > n) { break; } a[c] = 1.0; c++; }')).toEqual(['a[c]']);
    expect(lint('for (var k = 0u; k < n; k++) { for (var j = 0u; j < n; j++) { a[j + 1u] += 1.0; } }')).toEqual(['a[j + 1u]']);
    // a pointer parameter to a function-scope array, as attention_probs's score() takes
    expect(lintWgsl('t.wgsl', 'fn f(q: ptr<function, array<f32, 4>>, n: u32) -> f32 { var s = 0.0; for (var d = 0u; d < n; d++) { s += (*q)[d]; } return s; }')
      .map((v) => v.array)).toEqual(['q']);
    // an array of arrays: a constant first index does not hide a runtime second one (attention_vec4's q[p][d])
    expect(lintWgsl('t.wgsl', 'override P: u32 = 2u;\nfn f(n: u32) { var q = array<array<f32, 8>, 4>(); for (var d = 0u; d < n; d++) { for (var p = 0u; p < P; p++) { q[p][d] = 1.0; } } }')
      .map((v) => `${v.array}[${v.index}]`)).toEqual(['q[d]']);
    expect(lintWgsl('t.wgsl', 'fn f(n: u32) { var q = array<array<f32, 8>, 4>(); for (var d = 0u; d < n; d++) { q[1][2] = 1.0; } }')).toEqual([]);
  });

  it('accepts constant indices and constant-bounded loops, also inside runtime loops', () => {
    expect(lint('for (var i = 0u; i < 8u; i++) { a[i] = 1.0; }')).toEqual([]);
    expect(lint('for (var i = 0u; i < M; i++) { a[i] = 1.0; }', 'const M: u32 = 8u;')).toEqual([]);
    expect(lint('for (var k = 0u; k < n; k++) { a[0] += 1.0; for (var i = 0u; i < W; i++) { a[i * 2u] += 1.0; } }', 'override W: u32 = 4u;')).toEqual([]);
    expect(lint('a[n] = 1.0;')).toEqual([]); // not in a loop: outside this rule
  });
});
