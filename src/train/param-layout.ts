// Where every parameter of BertForSequenceClassification lives in the trainer's flat f32 buffers (weights, grads,
// AdamW's m and v share one layout). A "unit" is what one kernel binding reads: a tensor, or Q|K|V stacked (the fused
// projection's (3C, C) weight and (3C) bias, HF's three Linear layers row after row). Units start at 256-byte
// offsets (WebGPU's minStorageBufferOffsetAlignment) and the padding between them stays 0 in every buffer, so an
// AdamW or norm range may run across it: units are ordered frozen, then decayed, then not decayed, so the optimizer
// needs one dispatch per decay group.
import type { BertConfig } from '../model/config.ts';
import { decaysWeight, type FlatTensor } from './optimizer.ts';

/** Floats per 256 bytes: the storage binding offset alignment every adapter guarantees. */
const ALIGN = 64;

export interface ParamTensor {
  /** HF name, as BertForSequenceClassification's named_parameters() gives it ('bert.' prefix). */
  name: string;
  shape: number[];
  /** Element offset in the flat buffers. */
  offset: number;
  size: number;
}

export interface ParamUnit {
  name: string;
  members: ParamTensor[];
  offset: number;
  size: number;
  /** Freezing level: 0 embeddings, 1 + l encoder layer l, layers + 1 pooler, layers + 2 classifier. */
  level: number;
  frozen: boolean;
}

export interface LayoutOptions {
  /** Levels (see ParamUnit.level) whose parameters get no gradient and no update. */
  frozenLevels: ReadonlySet<number>;
}

function unitsOf(config: BertConfig): Array<{ name: string; level: number; members: Array<{ name: string; shape: number[] }> }> {
  const C = config.hiddenSize;
  const I = config.intermediateSize;
  const L = config.numHiddenLayers;
  const one = (name: string, shape: number[], level: number) => ({ name, level, members: [{ name, shape }] });
  const units = [
    one('bert.embeddings.word_embeddings.weight', [config.vocabSize, C], 0),
    one('bert.embeddings.position_embeddings.weight', [config.maxPositionEmbeddings, C], 0),
    one('bert.embeddings.token_type_embeddings.weight', [config.typeVocabSize, C], 0),
    one('bert.embeddings.LayerNorm.weight', [C], 0),
    one('bert.embeddings.LayerNorm.bias', [C], 0),
  ];
  for (let l = 0; l < L; l++) {
    const p = `bert.encoder.layer.${l}.`;
    const qkv = (kind: 'weight' | 'bias') => ({
      name: `${p}attention.self.query.${kind}`, level: 1 + l,
      members: ['query', 'key', 'value'].map((n) => ({ name: `${p}attention.self.${n}.${kind}`, shape: kind === 'weight' ? [C, C] : [C] })),
    });
    units.push(qkv('weight'), qkv('bias'));
    units.push(one(`${p}attention.output.dense.weight`, [C, C], 1 + l), one(`${p}attention.output.dense.bias`, [C], 1 + l));
    units.push(one(`${p}attention.output.LayerNorm.weight`, [C], 1 + l), one(`${p}attention.output.LayerNorm.bias`, [C], 1 + l));
    units.push(one(`${p}intermediate.dense.weight`, [I, C], 1 + l), one(`${p}intermediate.dense.bias`, [I], 1 + l));
    units.push(one(`${p}output.dense.weight`, [C, I], 1 + l), one(`${p}output.dense.bias`, [C], 1 + l));
    units.push(one(`${p}output.LayerNorm.weight`, [C], 1 + l), one(`${p}output.LayerNorm.bias`, [C], 1 + l));
  }
  units.push(one('bert.pooler.dense.weight', [C, C], L + 1), one('bert.pooler.dense.bias', [C], L + 1));
  units.push(one('classifier.weight', [config.numLabels, C], L + 2), one('classifier.bias', [config.numLabels], L + 2));
  return units;
}

export class ParamLayout {
  readonly units: ParamUnit[] = [];
  /** Every HF tensor by name; `names` keeps named_parameters() order. */
  readonly tensors = new Map<string, ParamTensor>();
  readonly names: string[] = [];
  private readonly unitByName = new Map<string, ParamUnit>();
  /** Elements of each flat buffer (padding included). */
  readonly total: number;

  constructor(config: BertConfig, options: LayoutOptions) {
    const specs = unitsOf(config);
    for (const s of specs) for (const m of s.members) this.names.push(m.name);
    const rank = (s: (typeof specs)[number]) => (options.frozenLevels.has(s.level) ? 0 : decaysWeight(s.name) ? 1 : 2);
    const ordered = [...specs].sort((a, b) => rank(a) - rank(b));  // stable: model order within a group
    let offset = 0;
    for (const s of ordered) {
      const members: ParamTensor[] = [];
      let size = 0;
      for (const m of s.members) {
        const n = m.shape.reduce((a, b) => a * b, 1);
        const t = { name: m.name, shape: m.shape, offset: offset + size, size: n };
        members.push(t);
        this.tensors.set(m.name, t);
        size += n;
      }
      const unit: ParamUnit = { name: s.name, members, offset, size, level: s.level, frozen: options.frozenLevels.has(s.level) };
      this.units.push(unit);
      this.unitByName.set(s.name, unit);
      offset += Math.ceil(size / ALIGN) * ALIGN;
    }
    this.total = offset;
  }

  unit(name: string): ParamUnit {
    const u = this.unitByName.get(name);
    if (!u) throw new Error(`param layout: no unit '${name}'`);
    return u;
  }

  /** Byte range of a unit in a flat buffer, for a binding. */
  slice(buffer: GPUBuffer, name: string): { buffer: GPUBuffer; offset: number; size: number } {
    const u = this.unit(name);
    return { buffer, offset: u.offset * 4, size: u.size * 4 };
  }

  /**
   * The trainable units as decayRanges input: each unit's size runs to the next unit's start (its zero padding
   * included, which never moves), so consecutive units of one decay group merge into one range.
   */
  flatTensors(): FlatTensor[] {
    return this.units.map((u, i) => ({ name: u.name, offset: u.offset, size: (this.units[i + 1]?.offset ?? this.total) - u.offset }));
  }

  frozenNames(): Set<string> {
    return new Set(this.units.filter((u) => u.frozen).map((u) => u.name));
  }
}
