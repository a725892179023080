// Safetensors header parsing and validation. The format: 8-byte little-endian header length N, N bytes of UTF-8 JSON
// `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } }`, then the data section, which
// the tensors must tile exactly (no gaps, no overlap, nothing after). Everything here is pure and synchronous so the
// streaming loader, the CPU reader and tools share one set of checks. Keys land in Maps, never in plain objects,
// and prototype-related names are rejected outright, so a hostile header cannot reach Object.prototype.
import { DTYPE_BYTES, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.ts';
import { WeightsError } from './errors.ts';

/** Headers larger than this are refused before reading them (real BERT headers are ~20 KB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const ENTRY_KEYS = new Set(['dtype', 'shape', 'data_offsets']);

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  numel: number;
  /** Byte range within the data section (add `dataStart` for a file offset). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  headerLength: number;
  /** File offset of the data section: 8 + headerLength. */
  dataStart: number;
  /** Bytes of tensor data the header describes (the end of the last tensor). */
  dataLength: number;
  /** Sorted by data offset, which is the order their bytes arrive in a stream. */
  tensors: TensorInfo[];
  byName: Map<string, TensorInfo>;
  metadata: Map<string, string>;
}

/** Reads the header length from the first 8 bytes and checks it against the cap and the file size (when known). */
export function readHeaderLength(file: string, first8: Uint8Array, fileSize?: number): number {
  if (first8.byteLength < 8) {
    throw new WeightsError('truncated', `${file}: file is ${first8.byteLength} bytes, too short for a safetensors header (needs 8)`, file);
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const n = high * 2 ** 32 + low;
  if (n === 0) throw new WeightsError('header-length', `${file}: header length is 0 (not a safetensors file?)`, file);
  if (high !== 0 || n > MAX_HEADER_BYTES) {
    throw new WeightsError('header-length', `${file}: header length ${n} bytes exceeds the ${MAX_HEADER_BYTES}-byte cap (not a safetensors file?)`, file);
  }
  if (fileSize !== undefined && 8 + n > fileSize) {
    throw new WeightsError('header-length', `${file}: header length ${n} runs past the end of the ${fileSize}-byte file`, file);
  }
  return n;
}

function fail(file: string, message: string, tensor?: string, code: 'header-entry' | 'dtype' | 'offsets' = 'header-entry'): never {
  throw new WeightsError(code, tensor === undefined ? `${file}: ${message}` : `${file}: tensor "${tensor}": ${message}`, file, tensor);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function nonNegativeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function parseEntry(file: string, name: string, raw: unknown): TensorInfo {
  if (!isPlainObject(raw)) fail(file, 'entry must be an object with dtype, shape and data_offsets', name);
  for (const key of Object.keys(raw)) {
    if (!ENTRY_KEYS.has(key)) fail(file, `unexpected key "${key}" in entry (allowed: dtype, shape, data_offsets)`, name);
  }
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isSafetensorsDtype(dtype)) {
    fail(file, `unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`, name, 'dtype');
  }
  if (!Array.isArray(shape) || !shape.every(nonNegativeInt)) {
    fail(file, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, name);
  }
  let numel = 1;
  for (const d of shape as number[]) numel *= d;
  if (!Number.isSafeInteger(numel * DTYPE_BYTES[dtype])) fail(file, `shape ${JSON.stringify(shape)} is too large`, name);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(nonNegativeInt) || offsets[0] > offsets[1]) {
    fail(file, `data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`, name, 'offsets');
  }
  const [begin, end] = offsets as [number, number];
  const expected = numel * DTYPE_BYTES[dtype];
  if (end - begin !== expected) {
    fail(file, `data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${(shape as number[]).join(', ')}] × ${dtype} ` +
      `needs ${expected}`, name, 'offsets');
  }
  return { name, dtype, shape: [...(shape as number[])], numel, begin, end };
}

/**
 * The first key that appears twice in one object of `text` (already known to be valid JSON), with the key path of that
 * object, or null. JSON.parse keeps the last of duplicate keys silently; a safetensors header with a tensor listed twice
 * is ambiguous (which entry describes the bytes?), so we refuse it instead of guessing. One pass, no recursion.
 */
export function findDuplicateKey(text: string): { key: string; path: string[] } | null {
  const stack: Array<{ keys: Set<string> | null; expectKey: boolean; name: string }> = [];
  let lastKey = '';
  const structural = /["{}[\],]/g;
  for (let m = structural.exec(text); m !== null; m = structural.exec(text)) {
    const c = m[0];
    const top = stack[stack.length - 1];
    if (c === '"') {
      let end = m.index + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      structural.lastIndex = end + 1;
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(m.index, end + 1)) as string;
        if (top.keys.has(key)) return { key, path: stack.slice(1).map((f) => f.name) };
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
    } else if (c === '{' || c === '[') {
      stack.push({ keys: c === '{' ? new Set() : null, expectKey: c === '{', name: top?.keys ? lastKey : '[]' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (top?.keys) {
      top.expectKey = true; // a comma inside an object: a key comes next
    }
  }
  return null;
}

/**
 * Parses and validates the JSON header. `fileSize`, when known, lets us check that the tensors exactly fill the file;
 * without it (a stream of unknown length) the loader checks the end of the data when it arrives.
 */
export function parseHeader(file: string, headerBytes: Uint8Array, fileSize?: number): SafetensorsHeader {
  if (typeof file !== 'string' || file.length === 0) throw new WeightsError('bad-argument', 'parseHeader: file name must be a non-empty string');
  const headerLength = headerBytes.byteLength;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new WeightsError('header-json', `${file}: header is not valid UTF-8`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new WeightsError('header-json', `${file}: header is not valid JSON (${(e as Error).message})`, file);
  }
  if (!isPlainObject(json)) {
    throw new WeightsError('header-json', `${file}: header must be a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`, file);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    const [outer] = duplicate.path;
    if (outer === undefined) fail(file, 'listed twice in the header', duplicate.key);
    if (outer === '__metadata__') fail(file, `key "${duplicate.key}" appears twice in __metadata__`);
    fail(file, `key "${duplicate.key}" appears twice in the entry`, outer);
  }
  const metadata = new Map<string, string>();
  const tensors: TensorInfo[] = [];
  const byName = new Map<string, TensorInfo>();
  for (const key of Object.keys(json)) {
    if (FORBIDDEN_KEYS.has(key)) fail(file, `forbidden key "${key}" in header (prototype pollution attempt?)`, undefined);
    const value = json[key];
    if (key === '__metadata__') {
      if (!isPlainObject(value)) fail(file, '__metadata__ must be an object of strings');
      for (const mk of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(mk)) fail(file, `forbidden key "${mk}" in __metadata__`);
        const mv = value[mk];
        if (typeof mv !== 'string') fail(file, `__metadata__["${mk}"] must be a string, got ${JSON.stringify(mv)}`);
        metadata.set(mk, mv);
      }
      continue;
    }
    if (key.length === 0) fail(file, 'empty tensor name in header');
    const info = parseEntry(file, key, value);
    tensors.push(info);
    byName.set(key, info);
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  // The data section must be tiled exactly: each tensor starts where the previous one ended.
  let cursor = 0;
  let previous: TensorInfo | undefined;
  for (const t of tensors) {
    if (t.begin < cursor) {
      fail(file, `data_offsets [${t.begin}, ${t.end}] overlap tensor "${previous?.name}" [${previous?.begin}, ${previous?.end}]`, t.name, 'offsets');
    }
    if (t.begin > cursor) {
      fail(file, `data starts at ${t.begin} but the previous tensor ends at ${cursor}: ${t.begin - cursor} unreferenced bytes`, t.name, 'offsets');
    }
    cursor = t.end;
    previous = t;
  }
  const dataStart = 8 + headerLength;
  if (fileSize !== undefined) {
    const available = fileSize - dataStart;
    if (cursor > available) {
      const last = tensors[tensors.length - 1];
      throw new WeightsError('offsets', `${file}: tensor "${last.name}": data_offsets [${last.begin}, ${last.end}] are out of bounds: ` +
        `the data section has ${available} bytes`, file, last.name);
    }
    if (cursor < available) {
      throw new WeightsError('trailing-bytes', `${file}: ${available - cursor} bytes after the last tensor are not referenced by the header`, file);
    }
  }
  return { file, headerLength, dataStart, dataLength: cursor, tensors, byName, metadata };
}
