// GPU time per step of a profiling run: a timestamp query set with a begin and an end slot per step (each step is its
// own compute pass, written through timestampWrites), resolved and read back after the run.

export interface StepTimer {
  /** The timestampWrites of step i's compute pass. */
  writes(i: number): GPUComputePassTimestampWrites;
  /** Records the resolve and the copy to the readback buffer (after the last pass, in the same encoder). */
  resolve(encoder: GPUCommandEncoder): void;
  /** Milliseconds per step, once the submit that resolved them has run. */
  read(): Promise<number[]>;
  destroy(): void;
}

/** The message where a device cannot time dispatches. */
export const NO_TIMESTAMPS = 'this adapter has no timestamp-query; per-dispatch GPU times need it (its dispatches, ' +
  'workgroups and FLOPs are still listed by `bertgpu plan`)';

/** WebGPU's cap on the slots of one query set. */
const MAX_QUERIES = 4096;

export function createStepTimer(device: GPUDevice, steps: number): StepTimer {
  if (!device.features.has('timestamp-query')) throw new Error(NO_TIMESTAMPS);
  const count = 2 * steps;
  if (count === 0) throw new Error('profile: the plan has no steps to time');
  if (count > MAX_QUERIES) throw new Error(`profile: ${steps} dispatches need ${count} timestamps, over WebGPU's ${MAX_QUERIES} per query set`);
  const querySet = device.createQuerySet({ label: 'profile', type: 'timestamp', count });
  const resolved = device.createBuffer({ label: 'profile.resolve', size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ label: 'profile.readback', size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  return {
    writes: (i) => ({ querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 }),
    resolve(encoder) {
      encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, readback, 0, count * 8);
    },
    async read() {
      await readback.mapAsync(GPUMapMode.READ);
      try {
        const ns = new BigInt64Array(readback.getMappedRange());
        // An implementation may give an end before its begin (timestamps are not guaranteed monotonic across passes
        // on every driver): such a step reads 0 rather than a negative time.
        return Array.from({ length: steps }, (_, i) => Math.max(0, Number(ns[2 * i + 1] - ns[2 * i])) / 1e6);
      } finally {
        readback.unmap();
      }
    },
    destroy() {
      querySet.destroy();
      resolved.destroy();
      readback.destroy();
    },
  };
}
