// The WGSL lint of issue 12 (test/unit/wgsl-lint.test.ts runs it): no kernel may index a private array (a
// function-scope `var` array, a `var<private>` one, or one reached through a ptr<function|private, array> parameter)
// with a non-constant index inside a loop whose bound is not a compile-time constant. Real GPU compilers keep such
// arrays in scratch (off-chip) memory instead of registers; with a constant trip count the loop unrolls and every
// index becomes a constant. Constant here: literals, module-scope `const` and `override` names (fixed when the
// pipeline is created), and the variables of loops whose start and bound are themselves constant. No WGSL parser:
// comments are stripped, loops and indexing are matched with brackets balanced, which is all the kernels here need.

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
    const first = m.index! + m[0].length - 1;
    const enclosing = loops.filter((l) => l.bodyStart < first && first < l.bodyEnd);
    const staticVars = new Set(enclosing.filter((l) => l.constant && l.variable).map((l) => l.variable!));
    const runtimeLoop = enclosing.find((l) => !l.constant);
    if (!runtimeLoop) continue;
    // Every index of a chain (a[i][j]…): an array of arrays is one private array, whichever dimension varies.
    for (let open = first; src[open] === '['; ) {
      const close = closing(src, open);
      const index = src.slice(open + 1, close).trim();
      if (!isConstant(index, staticVars)) {
        violations.push({ file, array: name, index, loop: runtimeLoop.header.replace(/\s+/g, ' ') });
        break;
      }
      open = close + 1;
      while (src[open] === ' ') open++;
    }
  }
  return violations;
}
