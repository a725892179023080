// Compiled pipelines, cached by kernel name + override values (the cache builds the key; callers never do).
// Bind group layouts are explicit (from the reflected bindings), so one bind group works with every override variant.
import { getKernel, type Kernel, type KernelName } from './kernels.ts';

export type Overrides = Readonly<Record<string, number | boolean>>;

export interface PipelineStats {
  pipelinesCreated: number;
  modulesCreated: number;
}

export class PipelineCache {
  private readonly modules = new Map<KernelName, Promise<GPUShaderModule>>();
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

  /** The compiled module, checked once; concurrent callers share the check (a WGSL error reaches each of them). */
  private module(kernel: Kernel): Promise<GPUShaderModule> {
    let mod = this.modules.get(kernel.name);
    if (!mod) {
      mod = (async () => {
        const m = this.device.createShaderModule({ label: kernel.name, code: kernel.code });
        this.stats.modulesCreated++;
        const info = await m.getCompilationInfo();
        const errors = info.messages.filter((x) => x.type === 'error');
        if (errors.length > 0) {
          const text = errors.map((x) => `  line ${x.lineNum}:${x.linePos} ${x.message}`).join('\n');
          throw new Error(`WGSL compilation failed for kernel '${kernel.name}':\n${text}`);
        }
        return m;
      })();
      this.modules.set(kernel.name, mod);
      mod.catch(() => this.modules.delete(kernel.name));
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
    const what = `kernel '${name}' ${JSON.stringify(overrides)}`;
    // The layout is validated synchronously: push and pop around it with no await between, so concurrent work on the
    // device cannot interleave with this scope. The async creation reports its own errors by rejecting.
    this.device.pushErrorScope('validation');
    const layout = this.device.createPipelineLayout({ bindGroupLayouts: [this.bindGroupLayout(name)] });
    const layoutError = this.device.popErrorScope();
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await this.device.createComputePipelineAsync({ label: `${name}${JSON.stringify(overrides)}`, layout, compute: { module, entryPoint: 'main', constants } });
    } catch (e) {
      throw new Error(`pipeline creation failed for ${what}: ${(e as Error).message}`);
    }
    const err = await layoutError;
    if (err) throw new Error(`pipeline layout invalid for ${what}: ${err.message}`);
    this.stats.pipelinesCreated++;
    return pipeline;
  }

}
