// The tensors a family's graph reads that no checkpoint holds, as plain numbers, for a backend whose weights live in
// host memory (the GPU model makes the same tensors on the device: src/model/relayout.ts makeLoadTimeTensors).
import { typeRowByPositionName } from '../bert.ts';
import type { BertConfig } from '../config.ts';
import { sinusoidalPositionTable } from '../relayout.ts';
import { layoutOf } from './layouts.ts';

export interface MadeTensor { shape: number[]; data: Float32Array }

/**
 * DistilBERT: the one-row zero token-type table, and (sinusoidal_pos_embds, when `has` says the file lacks it) HF's
 * sinusoidal position table. RoBERTa family: the one token-type row repeated for every usable position (bert.ts
 * typeRowByPositionName). `read` returns a loaded weight's values by canonical name.
 */
export function madeAtLoadTensors(config: BertConfig, has: (name: string) => boolean, read: (name: string) => Float32Array): Map<string, MadeTensor> {
  const layout = layoutOf(config);
  const E = config.embeddingSize;
  const out = new Map<string, MadeTensor>();
  if (layout.madeAtLoad.includes(layout.tokenTypeEmbeddings)) out.set(layout.tokenTypeEmbeddings, { shape: [1, E], data: new Float32Array(E) });
  if (layout.madeAtLoad.includes(layout.positionEmbeddings) && !has(layout.positionEmbeddings)) {
    out.set(layout.positionEmbeddings, { shape: [config.positionTableSize, E], data: sinusoidalPositionTable(config.positionTableSize, E) });
  }
  if (config.positionIds === 'padding') {
    const row = read(layout.tokenTypeEmbeddings).subarray(0, E);
    const data = new Float32Array(config.maxPositionEmbeddings * E);
    for (let p = 0; p < config.maxPositionEmbeddings; p++) data.set(row, p * E);
    out.set(typeRowByPositionName(config), { shape: [config.maxPositionEmbeddings, E], data });
  }
  return out;
}
