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
  // Every message posted to a kernel thread gets exactly one reply (threads.ts). The thread holds the event loop only
  // while a reply is outstanding: idle, a process that forgot to dispose its pipeline still exits; busy, an awaited
  // forward keeps the process alive. Node refs the worker again whenever a 'message' listener is added, so the state
  // is set again after each listener too.
  let outstanding = 0;
  const settle = () => (outstanding > 0 ? worker.ref() : worker.unref());
  worker.on('message', () => {
    outstanding = Math.max(0, outstanding - 1);
    settle();
  });
  settle();
  const listen = <T>(event: 'message' | 'error', f: (v: T) => void) => {
    worker.on(event, f);
    settle();
  };
  return {
    post: (m) => {
      outstanding++;
      settle();
      worker.postMessage(m);
    },
    onMessage: (f) => listen('message', f),
    onError: (f) => listen('error', f),
    terminate: () => void worker.terminate(),
  };
}
