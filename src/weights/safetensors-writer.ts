// Writes F32 safetensors files (what `clf.save()` and `bertgpu train` produce). The format, as the reference Rust
// implementation writes it: 8-byte little-endian header length N, N bytes of UTF-8 JSON padded with spaces to a
// multiple of 8 (so the data section, and every F32 tensor in it, starts 8-byte aligned), then the raw little-endian
// tensor bytes, contiguous, no gaps. Tensors are laid out in the reference's order — dtype alignment descending, then
// name — which for one dtype is sorted by name, so data_offsets ascend with the names. `__metadata__` carries
// `{ format: 'pt' }` by default: transformers' `from_pretrained` refuses a safetensors file whose metadata is missing
// or names another framework. Pure and synchronous: the browser (a Blob to download) and Node (a file) share it.
import { WeightsError } from './errors.ts';

export interface F32Tensor {
  shape: readonly number[];
  data: Float32Array;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype', '__metadata__']);

function fail(message: string, tensor?: string): never {
  throw new WeightsError('bad-argument', tensor === undefined ? `writeSafetensorsF32: ${message}` : `writeSafetensorsF32: tensor "${tensor}": ${message}`, undefined, tensor);
}

/**
 * Serialises `tensors` (name → shape and data) into one safetensors file. Every tensor is F32; a shape whose element
 * count differs from the data's length, a non-string or empty name, or a reserved name is refused with an error naming
 * the tensor. `metadata` must map strings to strings (default `{ format: 'pt' }`).
 */
export function writeSafetensorsF32(
  tensors: ReadonlyMap<string, F32Tensor>,
  metadata: Readonly<Record<string, string>> = { format: 'pt' },
): Uint8Array {
  if (!LITTLE_ENDIAN_HOST) fail('big-endian hosts are not supported (safetensors data is little-endian)');
  if (!(tensors instanceof Map)) fail('tensors must be a Map of name → { shape, data }');
  if (tensors.size === 0) fail('no tensors to write');
  if (typeof metadata !== 'object' || metadata === null) fail('metadata must be an object of strings');
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') fail(`metadata["${k}"] must be a string, got ${JSON.stringify(v)}`);
    meta[k] = v;
  }
  // Sorted by UTF-16 code units, as Rust's String ordering is by bytes: equal for the ASCII names BERT uses, and
  // either way the offsets only need to ascend in the order written.
  const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: meta };
  let offset = 0;
  for (const name of names) {
    if (typeof name !== 'string' || name.length === 0) fail(`tensor names must be non-empty strings, got ${JSON.stringify(name)}`);
    if (FORBIDDEN_KEYS.has(name)) fail('reserved name', name);
    const t = tensors.get(name)!;
    if (!t || !(t.data instanceof Float32Array)) fail('data must be a Float32Array', name);
    if (!Array.isArray(t.shape) || !t.shape.every((d: number) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`, name);
    }
    const numel = t.shape.reduce((a: number, d: number) => a * d, 1);
    if (numel !== t.data.length) fail(`shape [${t.shape.join(', ')}] has ${numel} elements but data has ${t.data.length}`, name);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + numel * 4] };
    offset += numel * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = json.byteLength + ((8 - (json.byteLength % 8)) % 8);
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength); // spaces: still valid JSON
  let at = 8 + headerLength;
  for (const name of names) {
    const { data } = tensors.get(name)!;
    // The typed array's bytes are little-endian already (LITTLE_ENDIAN_HOST, checked above).
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}
