// WAT → WebAssembly bytes with wabt (a devDependency): used by tests and source checkouts, and by the build
// (scripts/build-cpu-wasm.ts), which embeds the bytes so an installed package never loads wabt.
import { kernelModuleWat, type KernelBuild } from './module.ts';

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
let wabt: Promise<Wabt> | undefined;

export async function assembleKernels(build: KernelBuild): Promise<Uint8Array<ArrayBuffer>> {
  wabt ??= import('wabt').then((m) => m.default());
  const w = await wabt;
  const features = { simd: true, relaxed_simd: true, threads: true };
  const module = w.parseWat(`bertgpu-cpu-${build.relaxed ? 'relaxed' : 'simd'}.wat`, kernelModuleWat(build), features);
  try {
    // wabt's validator refuses shared memories whatever the features say; the engine validates those at compile.
    if (!build.shared) module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
