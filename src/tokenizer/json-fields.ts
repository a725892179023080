// Typed readers for tokenizer.json fields: each names the field it rejects, as HF's Rust deserializer would refuse it.

export const FN = 'BertTokenizer.fromTokenizerJson';
/** Ids live in Int32Arrays. */
export const MAX_ID = 2 ** 31 - 1;

export type Obj = Record<string, unknown>;

export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function fail(path: string, message: string): never {
  throw new TypeError(`${FN}: tokenizer.json ${path}: ${message}`);
}

export function object(path: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `must be an object, got ${Array.isArray(v) ? 'an array' : show(v)}`);
  return v as Obj;
}

/** An own property (a "__proto__" key or an inherited name is never read as a field). */
export function field(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

export function string(path: string, v: unknown, fallback?: string): string {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') fail(path, `must be a string, got ${show(v)}`);
  return v;
}

export function boolean(path: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(path, `must be true or false, got ${show(v)}`);
  return v;
}

export function int(path: string, v: unknown, min: number, max: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `must be an integer in [${min}, ${max}], got ${show(v)}`);
  return v;
}

export function oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[], fallback?: T): T {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(path, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(v)}`);
  return v as T;
}

