// What BertModel does for weights held in row blocks (src/weights/row-blocks.ts): each block becomes a graph weight
// of its own, the decoder bias is sliced to match the decoder's blocks, and the per-block masked-LM scores the graph
// outputs (src/model/head-graph.ts) are joined into one (R, V) array at readback.
import type { BufferRegistry } from '../gpu/buffers.ts';
import type { GpuTensor, GpuWeights } from '../weights/gpu-weights.ts';
import { blockName } from './blocked-weights.ts';
import { hasMaskedLmHead, type BertConfig, type BertHead } from './config.ts';
import { layoutOf } from './families/layouts.ts';

/**
 * Registers, for every tensor of `tensors` held in row blocks, a view per block under blockName(name, k) (the
 * buffers stay the weights'); returns canonical name → rows per block (BertGraphOptions.weightBlocks).
 */
export function addBlockViews(tensors: Map<string, GpuTensor>): Map<string, number[]> {
  const blocks = new Map<string, number[]>();
  for (const [name, t] of [...tensors]) {
    if (!t.blocks) continue;
    const cols = t.shape.slice(1);
    blocks.set(name, t.blocks.map((b) => b.rows));
    t.blocks.forEach((b, k) => {
      tensors.set(blockName(name, k), { name: blockName(name, k), shape: [b.rows, ...cols], dtype: t.dtype, sourceDtype: t.sourceDtype,
        byteLength: b.rows * (t.byteLength / t.shape[0]), buffer: b.buffer });
    });
  }
  return blocks;
}

/** The masked-LM decoder's row blocks (tied: the word embeddings'); null when it is whole or the head has none. */
export function decoderBlocksOf(config: BertConfig, head: BertHead, weightBlocks: ReadonlyMap<string, number[]>): number[] | null {
  if (!hasMaskedLmHead(head)) return null;
  const layout = layoutOf(config);
  return weightBlocks.get(config.tieWordEmbeddings ? layout.wordEmbeddings : `${layout.maskedLm.decoder}.weight`) ?? null;
}

/**
 * A decoder in row blocks runs one matmul per block, each with its slice of the output bias: copied here once, under
 * blockName(bias, k), owned by `weights` (block starts are a multiple of 4 rows, so every slice starts on a word,
 * f16 too).
 */
export function sliceDecoderBias(device: GPUDevice, registry: BufferRegistry, weights: GpuWeights, tensors: Map<string, GpuTensor>,
  bias: GpuTensor, blocks: readonly number[]): void {
  const bytes = bias.byteLength / bias.shape[0];
  const encoder = device.createCommandEncoder({ label: 'decoder bias blocks' });
  let rowStart = 0;
  blocks.forEach((rows, k) => {
    const name = blockName(bias.name, k);
    const size = Math.ceil((rows * bytes) / 4) * 4;
    const buffer = registry.create({ label: name, size, usage: bias.buffer.usage });
    const t: GpuTensor = { name, shape: [rows], dtype: bias.dtype, sourceDtype: bias.sourceDtype, byteLength: rows * bytes, buffer };
    weights.add(t, 'made-at-load');
    tensors.set(name, t);
    encoder.copyBufferToBuffer(bias.buffer, rowStart * bytes, buffer, 0, Math.min(size, bias.buffer.size - rowStart * bytes));
    rowStart += rows;
  });
  device.queue.submit([encoder.finish()]);
}

/** The plan outputs that serve `outputs`: with the decoder in blocks, the masked-LM scores block by block. */
export function scoreOutputs(outputs: readonly string[], blocks: readonly number[] | null): string[] {
  if (!blocks || !outputs.includes('mlmLogits')) return [...outputs];
  return [...outputs.filter((o) => o !== 'mlmLogits'), ...blocks.map((_, k) => blockName('mlmLogits', k))];
}

/** Joins per-block masked-LM scores, (R, rows_k) each, into `mlmLogits` (R, V), in place of the parts. */
export function joinScoreBlocks(result: Record<string, Float32Array>, blocks: readonly number[] | null): Record<string, Float32Array> {
  if (!blocks || result[blockName('mlmLogits', 0)] === undefined) return result;
  const V = blocks.reduce((a, b) => a + b, 0);
  const R = result[blockName('mlmLogits', 0)].length / blocks[0];
  const joined = new Float32Array(R * V);
  let col = 0;
  blocks.forEach((rows, k) => {
    const part = result[blockName('mlmLogits', k)];
    for (let r = 0; r < R; r++) joined.set(part.subarray(r * rows, (r + 1) * rows), r * V + col);
    delete result[blockName('mlmLogits', k)];
    col += rows;
  });
  result.mlmLogits = joined;
  return result;
}
