// Every GPU buffer the runtime creates goes through a BufferRegistry, so that dispose() frees exactly what a model
// owns and tests can count live buffers (leaks after errors, growth over many calls).

export class BufferRegistry {
  private readonly live = new Set<GPUBuffer>();
  private bytes = 0;
  private peak = 0;

  constructor(readonly device: GPUDevice) {}

  create(descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = this.device.createBuffer(descriptor);
    this.live.add(buffer);
    this.bytes += buffer.size;
    this.peak = Math.max(this.peak, this.bytes);
    return buffer;
  }

  /** Storage buffer filled from `data` (padded to 4 bytes, as writeBuffer requires). */
  createWith(label: string, data: ArrayBufferView, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST): GPUBuffer {
    const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
    const buffer = this.create({ label, size, usage: usage | GPUBufferUsage.COPY_DST });
    if (data.byteLength % 4 === 0) {
      this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    } else {
      const padded = new Uint8Array(size);
      padded.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.device.queue.writeBuffer(buffer, 0, padded);
    }
    return buffer;
  }

  destroy(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    this.bytes -= buffer.size;
    buffer.destroy();
  }

  destroyAll(): void {
    for (const b of this.live) b.destroy();
    this.live.clear();
    this.bytes = 0;
  }

  get liveCount(): number {
    return this.live.size;
  }

  get liveBytes(): number {
    return this.bytes;
  }

  get peakBytes(): number {
    return this.peak;
  }
}

/** Copies a storage buffer back to the CPU (tests, logits). The buffer needs COPY_SRC usage. */
export async function readBuffer(device: GPUDevice, source: GPUBuffer, byteLength = source.size, offset = 0): Promise<ArrayBuffer> {
  const size = Math.ceil(byteLength / 4) * 4;
  const staging = device.createBuffer({ label: 'readback', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(source, offset, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0, byteLength);
  } finally {
    staging.destroy();
  }
}
