// A lint for the rule of issue 12: no private (function or private address space) array is indexed in a loop
// bounded by a runtime value — real GPU compilers put such arrays in scratch memory. An access name[i] is accepted
// when i is an integer literal or the variable of a `for` loop whose bound uses only literals and module-scope
// `const` / `override` names (fixed when the pipeline is created); every other index is reported.
const constBound = (bound: string, constants: Set<string>) =>
  bound.split(/[\s*/+\-()]+/).filter(Boolean).every((t) => /^\d+u?$/.test(t) || constants.has(t));

/** One line per offending access: `name[index]` and why. Empty when the source follows the rule. */
export function privateArrayLint(source: string): string[] {
  const code = source.replace(/\/\/[^\n]*/g, '');
  const constants = new Set([...code.matchAll(/^\s*(?:override|const)\s+(\w+)/gm)].map((m) => m[1]));
  const arrays = new Set([
    ...[...code.matchAll(/\bvar(?:<private>)?\s+(\w+)\s*(?::\s*array<|=\s*array<)/g)].map((m) => m[1]),
    ...[...code.matchAll(/[(,]\s*(\w+)\s*:\s*array</g)].map((m) => m[1]), // array-typed function parameters
  ]);
  // Loop variable → every bound it is given (a name reused by several loops must be constant-bounded in all).
  const bounds = new Map<string, string[]>();
  for (const m of code.matchAll(/for\s*\(\s*var\s+(\w+)\s*=[^;]*;\s*\1\s*<\s*([^;]+);/g)) {
    bounds.set(m[1], [...(bounds.get(m[1]) ?? []), m[2].trim()]);
  }
  const problems: string[] = [];
  for (const name of arrays) {
    for (const m of code.matchAll(new RegExp(`\\b${name}\\[([^\\]]+)\\]`, 'g'))) {
      const index = m[1].trim();
      if (/^\d+u?$/.test(index)) continue;
      const loopBounds = bounds.get(index);
      if (!loopBounds) problems.push(`${name}[${index}]: index is not a literal or a loop variable`);
      else for (const b of loopBounds) if (!constBound(b, constants)) problems.push(`${name}[${index}]: loop bound '${b}' is a runtime value`);
    }
  }
  return [...new Set(problems)];
}
