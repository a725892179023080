// gatherBlockRows (shaders/gather_block_rows.wgsl): a table split into row blocks, gathered by a chain of one dispatch
// per block, each passing on the rows earlier blocks wrote. Shared by the Node/Dawn and Chromium/SwiftShader tests.
import { runKernel } from '../../src/gpu/dispatch.ts';
import { rowGrid } from '../../src/gpu/kernels.ts';
import { expectClose, randomArray, seededRandom } from '../helpers/validate.ts';
import { download, output, upload, type KernelEnv } from './env.ts';
import type { KernelCase } from './f32-cases.ts';

type BlockShape = [blocks: number[], W: number, R: number];
// Ragged last blocks, a one-row block, W of one word, and R > 65535 rows (the 2-D grid).
export const blockShapes: BlockShape[] = [[[4, 4, 3], 1, 16], [[8, 1, 8], 7, 40], [[64, 64, 37], 96, 300], [[3, 5], 2, 70000]];

function gatherBlockRowsCase([blocks, W, R]: BlockShape): KernelCase {
  return {
    name: `gatherBlockRows blocks=${blocks.join('+')} W=${W} R=${R}`,
    async run(env) {
      const V = blocks.reduce((a, b) => a + b, 0);
      const rand = seededRandom(V + W + R);
      // Every block's first and last row first (the edges), then random ids over the whole table.
      const edges: number[] = [];
      let start = 0;
      for (const rows of blocks) {
        edges.push(start, start + rows - 1);
        start += rows;
      }
      const ids = Uint32Array.from({ length: R }, (_, r) => (r < edges.length ? edges[r] : Math.floor(rand() * V)));
      const table = randomArray(V * W, W + 1, 3);
      const idBuffer = upload(env, 'ids', ids);
      let previous: GPUBuffer | null = null;
      let rowStart = 0;
      for (const rows of blocks) {
        const x = upload(env, `block@${rowStart}`, table.slice(rowStart * W, (rowStart + rows) * W));
        const y = output(env, `y@${rowStart}`, R * W);
        await runKernel(env.device, env.pipelines, 'gatherBlockRows', {
          params: { R, W, rowsIn: rows, rowStart },
          buffers: { ids: idBuffer, x, prev: previous ?? x, y },
          overrides: { HAS_PREV: previous !== null },
          grid: rowGrid(R),
        });
        previous = y;
        rowStart += rows;
      }
      const want = new Float32Array(R * W);
      ids.forEach((i, r) => want.set(table.subarray(i * W, (i + 1) * W), r * W));
      expectClose(this.name, await download(env, previous!, R * W), want, { atol: 0, rtol: 0 });
    },
  };
}

/** The first block alone writes zeros where an id falls outside it (HAS_PREV false: nothing earlier to pass on). */
const firstBlockZeros: KernelCase = {
  name: 'gatherBlockRows first block: ids outside it give zero rows',
  async run(env) {
    const W = 5;
    const ids = Uint32Array.from([0, 9, 3, 4, 2]);
    const x = randomArray(4 * W, 11, 1);
    const y = output(env, 'y', ids.length * W);
    const xb = upload(env, 'x', x);
    await runKernel(env.device, env.pipelines, 'gatherBlockRows', {
      params: { R: ids.length, W, rowsIn: 4, rowStart: 0 }, buffers: { ids: upload(env, 'ids', ids), x: xb, prev: xb, y },
      overrides: { HAS_PREV: false }, grid: rowGrid(ids.length),
    });
    const want = new Float32Array(ids.length * W);
    ids.forEach((i, r) => { if (i < 4) want.set(x.subarray(i * W, (i + 1) * W), r * W); });
    expectClose(this.name, await download(env, y, ids.length * W), want, { atol: 0, rtol: 0 });
  },
};

export const blockCases: KernelCase[] = [...blockShapes.map(gatherBlockRowsCase), firstBlockZeros];
