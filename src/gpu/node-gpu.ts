// Node only: finds a WebGPU adapter through Dawn (npm `webgpu`, an optional peer dependency: imported on first use, so
// importing bertgpu never needs it, and a missing install gets an error that says what to run). A real GPU driver
// wins; on a machine without one we point the Vulkan loader at the software driver that scripts/setup.sh installed
// (Mesa 25 lavapipe in .cache/mesa), else at Chromium's SwiftShader. The Vulkan loader reads VK_DRIVER_FILES at each
// instance creation, so switching in-process works and no wrapper script or environment variable is needed.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calmDawnPolling } from './dawn-polling.ts';

export type NodeDriver = 'system' | 'lavapipe' | 'swiftshader' | 'env';

export interface NodeGpu {
  gpu: GPU;
  adapter: GPUAdapter;
  driver: NodeDriver;
}

const swiftshaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The lavapipe ICD unpacked by set-up: $BERTGPU_MESA_DIR, else .cache/mesa in the checkout above this file. */
export function findLavapipeIcd(): string | null {
  const fromEnv = process.env.BERTGPU_MESA_DIR;
  if (fromEnv) return existsSync(join(fromEnv, 'lvp_icd.json')) ? join(fromEnv, 'lvp_icd.json') : null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const icd = join(dir, '.cache', 'mesa', 'lvp_icd.json');
    if (existsSync(icd)) return icd;
    const up = resolve(dir, '..');
    if (up === dir) break;
    dir = up;
  }
  return null;
}

type Dawn = typeof import('webgpu');
let dawn: Promise<Dawn> | undefined;

/** Dawn, imported once. Its enums and classes (GPUBufferUsage, GPUMapMode, …) become globals, as in browsers. */
export function loadDawn(): Promise<Dawn> {
  dawn ??= import('webgpu').then(
    (m) => {
      Object.assign(globalThis, m.globals);
      calmDawnPolling();
      return m;
    },
    (e: unknown) => {
      dawn = undefined;
      // Only the package itself missing; a broken install (say, no binary for this platform) keeps Dawn's own error.
      const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
      if (code === 'ERR_MODULE_NOT_FOUND' && String(message).includes("'webgpu'")) {
        throw new Error('Dawn, the optional peer dependency "webgpu" that bertgpu needs in Node, is not installed: run `npm install webgpu`', { cause: e });
      }
      throw e;
    },
  );
  return dawn;
}

async function tryAdapter(powerPreference: GPUPowerPreference): Promise<{ gpu: GPU; adapter: GPUAdapter } | null> {
  const { create } = await loadDawn();
  const gpu = create([]) as GPU;
  const adapter = await gpu.requestAdapter({ powerPreference });
  return adapter ? { gpu, adapter } : null;
}

/** Returns the best adapter this machine has, or throws an error that says what was tried and how to fix it. */
export async function requestNodeGpu(powerPreference: GPUPowerPreference = 'high-performance'): Promise<NodeGpu> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  if (process.env.VK_DRIVER_FILES) {
    const found = await tryAdapter(powerPreference);
    if (found) return { ...found, driver: 'env' };
    throw new Error(`no WebGPU adapter with VK_DRIVER_FILES=${process.env.VK_DRIVER_FILES}`);
  }
  const tried: string[] = [];
  const system = await tryAdapter(powerPreference);
  if (system && !system.adapter.info.isFallbackAdapter) return { ...system, driver: 'system' };
  tried.push('system Vulkan drivers');
  const candidates: Array<[NodeDriver, string | null]> = [
    ['lavapipe', findLavapipeIcd()],
    ['swiftshader', existsSync(swiftshaderIcd) ? swiftshaderIcd : null],
  ];
  for (const [driver, icd] of candidates) {
    if (!icd) {
      tried.push(`${driver} (not installed)`);
      continue;
    }
    process.env.VK_DRIVER_FILES = icd;
    const found = await tryAdapter(powerPreference);
    if (found) return { ...found, driver };
    delete process.env.VK_DRIVER_FILES;
    tried.push(`${driver} (${icd}: no adapter)`);
  }
  if (system) return { ...system, driver: 'system' };
  throw new Error(`no WebGPU adapter found; tried ${tried.join(', ')}. Run \`npm run setup\` to install a software driver.`);
}
