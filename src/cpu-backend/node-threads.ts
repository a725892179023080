// Kernel threads in Node: worker_threads running threads.ts's script (eval), unref'd so a process that forgets to
// dispose its pipeline still exits. Node-only: imported by the Node environment, never by the browser bundles.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ThreadOptions, ThreadPort } from './threads.ts';

/** Up to 8 threads (the heaviest ops split about that well at these sizes); none on a one-core machine. */
export function nodeKernelThreads(max = 8): ThreadOptions | null {
  const count = Math.min(availableParallelism(), max);
  return count > 1 ? { count, spawn: spawnNodeThread } : null;
}

export function spawnNodeThread(source: string): ThreadPort {
  const worker = new Worker(source, { eval: true });
  worker.unref();
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (f) => void worker.on('message', f),
    onError: (f) => void worker.on('error', f),
    terminate: () => void worker.terminate(),
  };
}
