// Option objects as transformers.js (and HF Python) spell them: snake_case names (`top_k`, `text_pair`), with the
// camelCase spellings bertgpu had as aliases. An unknown key is a TypeError that names it and, when it is a known
// option misspelt (`topk`, `topK` on a task without it), the right spelling.

/** Lower case, no `_` or `-`: `top_k`, `topK` and `topk` all read `topk`. */
const fold = (s: string) => s.toLowerCase().replace(/[_-]/g, '');

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = d[j];
      d[j] = next;
    }
  }
  return d[b.length];
}

/** The accepted name closest to `key` (same letters ignoring case and `_`, or at most two edits away), if any. */
export function suggestion(key: string, accepted: readonly string[]): string | undefined {
  const same = accepted.find((n) => fold(n) === fold(key));
  if (same) return same;
  let best: string | undefined;
  let bestD = 3;
  for (const n of accepted) {
    const dist = editDistance(fold(key), fold(n));
    if (dist < bestD) [best, bestD] = [n, dist];
  }
  return best;
}

/** A TypeError for an unknown key, with the right spelling when there is a close one. */
export function unknownOption(where: string, key: string, accepted: readonly string[]): TypeError {
  const hint = suggestion(key, accepted);
  return new TypeError(`unknown option '${key}' for ${where}${hint ? `; did you mean '${hint}'?` : ''} (options: ${accepted.join(', ')})`);
}

/** For each options object readOptions returned: the spelling the caller used for each key (for error messages). */
const spellings = new WeakMap<object, Record<string, string>>();

/** The name the caller gave `key` under (`top_k` or `topK`), so that a message about its value names it as written. */
export function spelling(options: object, key: string): string {
  return spellings.get(options)?.[key] ?? key;
}

/**
 * Reads an options object: `names` maps every accepted spelling to the key it fills (`{ top_k: 'topK', topK: 'topK' }`);
 * `signal` is always accepted. Returns the values under their keys. Two spellings of one key given at once, a value
 * that is not an object, or an unknown key: TypeError. Symbol keys (internal flags) are left alone.
 */
export function readOptions(where: string, options: unknown, names: Readonly<Record<string, string>>): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options of ${where} must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const accepted = Object.keys(names);
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    if (k === 'signal') {
      out.signal = v;
      continue;
    }
    if (!Object.hasOwn(names, k)) throw unknownOption(where, k, accepted);
    if (v === undefined) continue;
    const key = names[k];
    if (from[key] !== undefined) throw new TypeError(`options '${from[key]}' and '${k}' of ${where} are the same option; give one`);
    from[key] = k;
    out[key] = v;
  }
  spellings.set(out, from);
  return out;
}
