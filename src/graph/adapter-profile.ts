// What kernel choice is keyed by: the adapter profile (software or gpu, with its features and tuned choices), an op's
// shape key, and a choice (kernel and tile). Shared by the variant table, the tuner and the runtime's reports.
import type { AdapterFacts } from '../gpu/device.ts';
import type { KernelName } from '../gpu/kernels.ts';
import { assertNever, type Op } from './ops.ts';

export type OpKind = Op['kind'];
export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;
export type AdapterFeature = 'shader-f16' | 'subgroups';

/**
 * What kind of adapter the kernels are chosen for. 'software': a CPU implementation (lavapipe, SwiftShader), where
 * workgroups run as CPU threads, so few large register-blocked workgroups win. 'gpu': a hardware adapter, which
 * needs many workgroups and workgroup-memory tiling.
 */
export interface AdapterProfile {
  kind: 'software' | 'gpu';
  features: readonly AdapterFeature[];
  /**
   * Choices measured on this device (src/gpu/tuner.ts), by opKey: consulted before the table's priority order. A
   * choice that does not apply to the op (a stale cache, another dtype) is ignored.
   */
  choices?: ChoiceMap;
}

/** Pipeline overrides that pick one of a candidate's tile shapes (the tuner tries each; the first is the default). */
export type Tile = Readonly<Record<string, number>>;

/** A tuned choice for one op: the candidate (by its kernel) and, where the candidate has tile shapes, which one. */
export interface VariantChoice {
  kernel: KernelName;
  tile?: Tile;
}

/** Tuned choices by opKey(op). */
export type ChoiceMap = ReadonlyMap<string, VariantChoice>;

/** A choice as text: `gemmTiled` or `gemmTiled[TM=8,TN=16,BK4=4]` (info.kernels, reports). */
export function choiceLabel(choice: VariantChoice): string {
  if (!choice.tile) return choice.kernel;
  return `${choice.kernel}[${Object.entries(choice.tile).map(([k, v]) => `${k}=${v}`).join(',')}]`;
}

/**
 * The shape of an op as a key: its kind and the sizes that decide kernels and their speed (never tensor ids), so
 * every layer's op of one shape shares a key, and a key means the same work on any model of that shape.
 */
export function opKey(op: Op): string {
  const dims = ((): Array<number | string> => {
    switch (op.kind) {
      case 'embedding': return [op.B, op.T, op.C];
      case 'matmul': return [op.M, op.N, op.K, op.xRowStep, op.epilogue, op.residual === null ? 'nores' : 'res'];
      case 'matmulLayernorm': return [op.M, op.N, op.K];
      case 'layernorm': return [op.rows, op.C];
      case 'gatherRows': return op.rowStart === undefined ? [op.R, op.W, op.rowsIn] : [op.R, op.W, op.rowsIn, 'block'];
      case 'attention':
      case 'attentionProbs':
      case 'attentionOutput': return [op.B, op.T, op.NH, op.HS];
      default: return assertNever(op);
    }
  })();
  return `${op.kind}:${dims.join('x')}`;
}

/** The adapter every choice was tuned on so far (lavapipe: software, with shader-f16 and subgroups): lowerOp's default. */
export const softwareProfile: AdapterProfile = { kind: 'software', features: ['shader-f16', 'subgroups'] };

/** The profile of an adapter from its facts (src/gpu/device.ts): software when it says so or is a known CPU driver. */
export function adapterProfile(facts: Pick<AdapterFacts, 'isFallbackAdapter' | 'description' | 'vendor' | 'architecture' | 'hasF16' | 'hasSubgroups'>): AdapterProfile {
  const cpuDriver = /swiftshader|lavapipe|llvmpipe|software|warp/i.test(`${facts.description} ${facts.vendor} ${facts.architecture}`);
  const features: AdapterFeature[] = [];
  if (facts.hasF16) features.push('shader-f16');
  if (facts.hasSubgroups) features.push('subgroups');
  return { kind: facts.isFallbackAdapter || cpuDriver ? 'software' : 'gpu', features };
}
