// WGSL lint over shaders/: no kernel may index a private array (a function-scope `var` array, a `var<private>` one,
// or one reached through a ptr<function|private, array> parameter) with a non-constant index inside a loop whose
// bound is not a compile-time constant. Real GPU compilers keep such arrays in scratch (off-chip) memory instead of
// registers; with a constant trip count the loop unrolls and every index becomes a constant. Constant here: literals,
// module-scope `const` and `override` names (fixed when the pipeline is created), and the variables of loops whose
// start and bound are themselves constant. No WGSL parser: comments are stripped, loops and indexing are matched
// with brackets balanced, which is all the kernels here need (the self-checks below pin what it catches).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const shadersDir = join(root, 'shaders');

export interface Violation {
  file: string;
  array: string;
  index: string;
  loop: string;
}

/** Index of the bracket closing the one at `open` (same kind), or -1. */
function closing(src: string, open: number): number {
  const pair: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
  const o = src[open];
  const c = pair[o];
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === o) depth++;
    else if (src[i] === c && --depth === 0) return i;
  }
  return -1;
}

const identifiers = (expr: string) => [...expr.matchAll(/\b([A-Za-z_]\w*)\b/g)].map((m) => m[1]);
// Type names and builtins that may appear in a constant expression.
const constantWords = new Set(['u32', 'i32', 'f32', 'f16', 'min', 'max', 'select', 'true', 'false']);

interface Loop {
  bodyStart: number;
  bodyEnd: number;
  header: string;
  variable: string | null;
  constant: boolean;
}

export function lintWgsl(file: string, source: string, extraConstants: Iterable<string> = []): Violation[] {
  const src = source.replace(/\/\/[^\n]*/g, (m) => ' '.repeat(m.length));
  const constants = new Set<string>(extraConstants);
  for (const m of src.matchAll(/^\s*(?:const|override)\s+(\w+)/gm)) constants.add(m[1]);
  const isConstant = (expr: string, loopVars: Set<string>) =>
    identifiers(expr.replace(/\b\d[\w.]*/g, '')).every((id) => constants.has(id) || constantWords.has(id) || loopVars.has(id));

  // Private arrays: module-scope var<private>, function-scope var, and pointer parameters to either.
  const arrays = new Set<string>();
  for (const m of src.matchAll(/\bvar<private>\s+(\w+)\s*:\s*array</g)) arrays.add(m[1]);
  for (const m of src.matchAll(/\bvar\s+(\w+)\s*(?::\s*array<|=\s*array<)/g)) arrays.add(m[1]);
  for (const m of src.matchAll(/\b(\w+)\s*:\s*ptr<(?:function|private)\s*,\s*array</g)) arrays.add(m[1]);

  // Loops: for (init; cond; step) { … }, while cond { … }, loop { … }.
  const loops: Loop[] = [];
  for (const m of src.matchAll(/\b(for|while|loop)\b/g)) {
    const at = m.index!;
    const open = src.indexOf('{', at);
    if (open < 0) continue;
    const bodyEnd = closing(src, open);
    const header = src.slice(at, open).trim();
    let variable: string | null = null;
    let constant = false;
    if (m[1] === 'for') {
      const inner = src.slice(src.indexOf('(', at) + 1, closing(src, src.indexOf('(', at)));
      const [init = '', cond = ''] = inner.split(';');
      const decl = /var\s+(\w+)(?:\s*:\s*\w+)?\s*=\s*(.+)/.exec(init);
      variable = decl?.[1] ?? null;
      const bound = variable ? new RegExp(`^\\s*${variable}\\s*(?:<|<=|>|>=|!=)\\s*(.+)$`).exec(cond) : null;
      constant = Boolean(decl && bound && isConstant(decl[2], new Set()) && isConstant(bound[1], new Set()));
    }
    loops.push({ bodyStart: open, bodyEnd, header, variable, constant });
  }

  const violations: Violation[] = [];
  for (const m of src.matchAll(/(?:\(\s*\*\s*(\w+)\s*\)|\b(\w+))\s*\[/g)) {
    const name = m[1] ?? m[2];
    if (!arrays.has(name)) continue;
    const open = m.index! + m[0].length - 1;
    const index = src.slice(open + 1, closing(src, open)).trim();
    const enclosing = loops.filter((l) => l.bodyStart < open && open < l.bodyEnd);
    const staticVars = new Set(enclosing.filter((l) => l.constant && l.variable).map((l) => l.variable!));
    const runtimeLoop = enclosing.find((l) => !l.constant);
    if (runtimeLoop && !isConstant(index, staticVars)) {
      violations.push({ file, array: name, index, loop: runtimeLoop.header.replace(/\s+/g, ' ') });
    }
  }
  return violations;
}

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
  });

  it('accepts constant indices and constant-bounded loops, also inside runtime loops', () => {
    expect(lint('for (var i = 0u; i < 8u; i++) { a[i] = 1.0; }')).toEqual([]);
    expect(lint('for (var i = 0u; i < M; i++) { a[i] = 1.0; }', 'const M: u32 = 8u;')).toEqual([]);
    expect(lint('for (var k = 0u; k < n; k++) { a[0] += 1.0; for (var i = 0u; i < W; i++) { a[i * 2u] += 1.0; } }', 'override W: u32 = 4u;')).toEqual([]);
    expect(lint('a[n] = 1.0;')).toEqual([]); // not in a loop: outside this rule
  });
});
