// Argument checks shared by the public API: each error names the function and the argument, so a caller (or a
// message crossing a Worker boundary) says exactly what was wrong.

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

export function requireString(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${fn}: ${name} must be a string, got ${describe(value)}`);
  return value;
}

export function requireObject(fn: string, name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${fn}: ${name} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function optionalObject(fn: string, name: string, value: unknown): Record<string, unknown> {
  return value === undefined ? {} : requireObject(fn, name, value);
}

export function optionalBoolean(fn: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${fn}: ${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** An integer ≥ min (a TypeError for a non-number, a RangeError for a bad number). */
export function requireInt(fn: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${fn}: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

export function optionalInt(fn: string, name: string, value: unknown, min: number, fallback: number): number {
  return value === undefined ? fallback : requireInt(fn, name, value, min);
}

export function requireOneOf<T extends string>(fn: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const got = typeof value === 'string' ? JSON.stringify(value) : describe(value);
    throw new TypeError(`${fn}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${got}`);
  }
  return value as T;
}
