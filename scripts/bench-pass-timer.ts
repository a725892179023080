// One compute pass timed for the kernel benches: GPU timestamps (pass begin → end) where the device has
// timestamp-query, else the wall clock from submit to onSubmittedWorkDone. BENCH_WALL=1 forces the wall clock (to
// cross-check the timestamps).
export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: readonly [number, number, number];
}

/** A timer for one device: `time(dispatches)` runs them in one pass and returns its milliseconds. */
export function passTimer(device: GPUDevice): { time(ds: readonly Dispatch[]): Promise<number>; method: 'timestamps' | 'wall' } {
  const timestamps = device.features.has('timestamp-query') && !process.env.BENCH_WALL
    ? {
        set: device.createQuerySet({ type: 'timestamp', count: 2 }),
        resolve: device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        read: device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      }
    : null;
  async function time(ds: readonly Dispatch[]): Promise<number> {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass(timestamps ? { timestampWrites: { querySet: timestamps.set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    for (const d of ds) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(...d.grid);
    }
    pass.end();
    if (timestamps) {
      encoder.resolveQuerySet(timestamps.set, 0, 2, timestamps.resolve, 0);
      encoder.copyBufferToBuffer(timestamps.resolve, 0, timestamps.read, 0, 16);
    }
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    let ms = performance.now() - t0;
    if (timestamps) {
      await timestamps.read.mapAsync(GPUMapMode.READ);
      const [begin, end] = new BigInt64Array(timestamps.read.getMappedRange());
      timestamps.read.unmap();
      if (end > begin) ms = Number(end - begin) / 1e6;
    }
    return ms;
  }
  return { time, method: timestamps ? 'timestamps' : 'wall' };
}
