// Kernel threads in a browser: module-less Workers started from a blob: URL of threads.ts's script, only where the
// context is crossOriginIsolated (SharedArrayBuffer, so a shared WebAssembly memory, exists only there).
import type { ThreadOptions, ThreadPort } from './threads.ts';

/** Up to 8 threads where memory can be shared and the machine has more than one core; else null (one thread). */
export function browserKernelThreads(max = 8): ThreadOptions | null {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (!g.crossOriginIsolated || typeof Worker !== 'function' || typeof SharedArrayBuffer !== 'function') return null;
  const count = Math.min(g.navigator?.hardwareConcurrency ?? 1, max);
  return count > 1 ? { count, spawn: spawnBrowserThread } : null;
}

function spawnBrowserThread(source: string): ThreadPort {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url, { name: 'bertgpu-cpu-kernels' });
  URL.revokeObjectURL(url);
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (f) => worker.addEventListener('message', (e) => f(e.data)),
    onError: (f) => worker.addEventListener('error', (e) => f(new Error(e.message || 'the Worker failed to start'))),
    terminate: () => worker.terminate(),
  };
}
