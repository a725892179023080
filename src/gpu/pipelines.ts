// Compiled pipelines, cached by kernel name + override values (the cache builds the key; callers never do).
// Bind group layouts are explicit (from the reflected bindings), so one bind group works with every override variant.
import { getKernel, type Kernel, type KernelName } from './kernels.ts';

export type Overrides = Readonly<Record<string, number | boolean>>;

export interface PipelineStats {
  pipelinesCreated: number;
  modulesCreated: number;
}

export class PipelineCache {
  private readonly modules = new Map<KernelName, GPUShaderModule>();
  private readonly layouts = new Map<KernelName, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  readonly stats: PipelineStats = { pipelinesCreated: 0, modulesCreated: 0 };

  constructor(readonly device: GPUDevice) {}

  bindGroupLayout(name: KernelName): GPUBindGroupLayout {
    let layout = this.layouts.get(name);
    if (!layout) {
      const kernel = getKernel(name);
      layout = this.device.createBindGroupLayout({
        label: name,
        entries: kernel.iface.bindings.map((b) => ({
          binding: b.binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: b.kind },
        })),
      });
      this.layouts.set(name, layout);
    }
    return layout;
  }

  private async module(kernel: Kernel): Promise<GPUShaderModule> {
    let mod = this.modules.get(kernel.name);
    if (!mod) {
      mod = this.device.createShaderModule({ label: kernel.name, code: kernel.code });
      this.modules.set(kernel.name, mod);
      this.stats.modulesCreated++;
      const info = await mod.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) {
        this.modules.delete(kernel.name);
        const text = errors.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`).join('\n');
        throw new Error(`WGSL compilation failed for kernel '${kernel.name}':\n${text}`);
      }
    }
    return mod;
  }

  /** The pipeline for a kernel with these override constants (compiled once, asynchronously). */
  get(name: KernelName, overrides: Overrides = {}): Promise<GPUComputePipeline> {
    const key = `${name}|${Object.keys(overrides).sort().map((k) => `${k}=${Number(overrides[k])}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.create(name, overrides);
      this.pipelines.set(key, p);
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  private async create(name: KernelName, overrides: Overrides): Promise<GPUComputePipeline> {
    const kernel = getKernel(name);
    const module = await this.module(kernel);
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(overrides)) constants[k] = Number(v);
    this.device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      const descriptor: GPUComputePipelineDescriptor = {
        label: `${name}${JSON.stringify(overrides)}`,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.bindGroupLayout(name)] }),
        compute: { module, entryPoint: 'main', constants },
      };
      pipeline = await this.device.createComputePipelineAsync(descriptor);
    } catch (e) {
      await this.device.popErrorScope();
      throw new Error(`pipeline creation failed for kernel '${name}' ${JSON.stringify(overrides)}: ${(e as Error).message}`);
    }
    const err = await this.device.popErrorScope();
    if (err) throw new Error(`pipeline creation failed for kernel '${name}' ${JSON.stringify(overrides)}: ${err.message}`);
    this.stats.pipelinesCreated++;
    return pipeline;
  }
}
