// Reads a kernel's interface from its WGSL source: the bindings of group 0 and the fields of `struct Params`.
// The shader is the single source of truth; TypeScript never restates a binding index or a uniform offset.

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

export interface BindingInfo {
  binding: number;
  name: string;
  kind: BindingKind;
}

export interface ParamField {
  name: string;
  type: 'u32' | 'f32' | 'i32';
  offset: number;
}

export interface KernelInterface {
  bindings: BindingInfo[];
  params: ParamField[];
  /** Byte size of Params rounded up to 16, as uniform buffers require. */
  paramsSize: number;
}

const bindingRe = /@group\(0\)\s*@binding\((\d+)\)\s*var(?:<([a-z_]+)(?:,\s*([a-z_]+))?>)?\s+(\w+)\s*:/g;
const paramsRe = /struct\s+Params\s*\{([^}]*)\}/;
const fieldRe = /(\w+)\s*:\s*(u32|f32|i32)\s*,?/g;

export function reflectKernel(name: string, source: string): KernelInterface {
  const bindings: BindingInfo[] = [];
  for (const m of source.matchAll(bindingRe)) {
    const [, index, space, access, varName] = m;
    let kind: BindingKind;
    if (space === 'uniform') kind = 'uniform';
    else if (space === 'storage') kind = access === 'read_write' ? 'storage' : 'read-only-storage';
    else throw new Error(`kernel ${name}: binding ${varName} has unsupported address space '${space ?? 'none'}'`);
    bindings.push({ binding: Number(index), name: varName, kind });
  }
  bindings.sort((a, b) => a.binding - b.binding);
  bindings.forEach((b, i) => {
    if (b.binding !== i) throw new Error(`kernel ${name}: bindings must be numbered 0..n-1 without gaps (found ${b.binding})`);
  });

  const params: ParamField[] = [];
  const body = paramsRe.exec(source)?.[1];
  if (body !== undefined) {
    const cleaned = body.replace(/\/\/[^\n]*/g, '');
    for (const f of cleaned.matchAll(fieldRe)) {
      params.push({ name: f[1], type: f[2] as ParamField['type'], offset: params.length * 4 });
    }
  }
  const paramsSize = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
  return { bindings, params, paramsSize };
}

/** Packs uniform values by field name; every field must be given, with the right kind of number. */
export function packParams(kernel: string, iface: KernelInterface, values: Readonly<Record<string, number>>): ArrayBuffer {
  const buf = new ArrayBuffer(iface.paramsSize);
  const view = new DataView(buf);
  for (const field of iface.params) {
    const v = values[field.name];
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`kernel ${kernel}: uniform '${field.name}' is missing or not a number`);
    if (field.type === 'f32') view.setFloat32(field.offset, v, true);
    else {
      if (!Number.isInteger(v)) throw new Error(`kernel ${kernel}: uniform '${field.name}' must be an integer, got ${v}`);
      if (field.type === 'u32') {
        if (v < 0 || v > 0xffffffff) throw new Error(`kernel ${kernel}: uniform '${field.name}' = ${v} is out of u32 range`);
        view.setUint32(field.offset, v, true);
      } else view.setInt32(field.offset, v, true);
    }
  }
  for (const key of Object.keys(values)) {
    if (!iface.params.some((f) => f.name === key)) throw new Error(`kernel ${kernel}: unknown uniform '${key}'`);
  }
  return buf;
}

/** The value of a module-scope `const NAME: u32 = 128u;` (limits the TS side checks without restating them). */
export function readConstU32(kernel: string, source: string, name: string): number {
  const m = new RegExp(`const\\s+${name}\\s*:\\s*u32\\s*=\\s*(\\d+)u?\\s*;`).exec(source);
  if (!m) throw new Error(`kernel ${kernel}: no 'const ${name}: u32' found`);
  return Number(m[1]);
}
