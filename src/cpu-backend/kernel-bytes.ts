// The kernel module's bytes. In a checkout (tests, the CLI under tsx) they are assembled from the WAT sources with
// wabt on first use; the library build replaces this file with one that embeds the assembled bytes
// (scripts/build-cpu-wasm.ts), so an installed package neither ships the WAT nor needs wabt.
import type { KernelBuild } from './wat/module.ts';

export async function kernelBytes(build: KernelBuild): Promise<Uint8Array<ArrayBuffer>> {
  const { assembleKernels } = await import('./wat/assemble.ts');
  return assembleKernels(build);
}
