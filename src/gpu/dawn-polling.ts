// Node only: keeps Dawn from spinning a CPU core while the GPU works.
//
// Dawn's Node binding (npm `webgpu`) resolves its promises (mapAsync, onSubmittedWorkDone,
// createComputePipelineAsync, …) by polling: while any is pending it re-queues wgpuInstanceProcessEvents through the
// global `setImmediate`, back to back (dawn/node/binding/AsyncRunner.cpp), so one core runs at 100 % for as long as the
// GPU works. On a software adapter that core is one the "GPU" needs — lavapipe runs workgroups on CPU threads, so a
// 2-core machine lost half its throughput (MiniLM 1 × 128 through pipeline(): 514 ms spinning, 272 ms with this
// back-off, same process and adapter) — and on a real GPU it is a core burnt for nothing.
//
// Dawn's ticks are native functions passed with no arguments; those alone go through a back-off: immediate for the
// first SPIN_MS of a wait (a short wait resolves as fast as before), then one tick per timer turn (~1 ms). Every other
// setImmediate call goes straight to Node's. BERTGPU_DAWN_POLL=spin leaves Dawn's polling as it is.

/** How long a wait polls back to back before it falls back to one poll per timer turn. */
const SPIN_MS = 2;
const installed = Symbol.for('bertgpu.dawnPollingBackoff');

export type Immediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

function isNativeTick(callback: unknown, args: readonly unknown[]): callback is () => void {
  return typeof callback === 'function' && args.length === 0 && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(callback));
}

/**
 * `original` (Node's setImmediate) with Dawn's ticks backed off: a tick queued from inside a tick continues the same
 * wait and, SPIN_MS after the wait began, goes through setTimeout(…, 0) instead.
 */
export function calmImmediate(original: Immediate, spinMs = SPIN_MS): Immediate {
  let inTick = false;
  let waitStart = 0;
  const calm: Immediate = function setImmediate(callback, ...args) {
    if (!isNativeTick(callback, args)) return original(callback, ...args);
    const now = performance.now();
    const continues = inTick;
    if (!continues) waitStart = now;
    const run = () => {
      inTick = true;
      try {
        callback();
      } finally {
        inTick = false;
      }
    };
    return !continues || now - waitStart < spinMs ? original(run) : setTimeout(run, 0);
  };
  // Keeps setImmediate[util.promisify.custom] (timers/promises) and any other property Node hangs on it.
  for (const key of Reflect.ownKeys(original)) {
    if (key !== 'name' && key !== 'length' && key !== 'prototype') Object.defineProperty(calm, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  return calm;
}

/** Installs the back-off on globalThis.setImmediate once per realm (idempotent; BERTGPU_DAWN_POLL=spin: never). */
export function calmDawnPolling(env: Record<string, string | undefined> = process.env): boolean {
  const g = globalThis as typeof globalThis & { [installed]?: true };
  if (g[installed]) return true;
  if (typeof g.setImmediate !== 'function' || env.BERTGPU_DAWN_POLL === 'spin') return false;
  g.setImmediate = calmImmediate(g.setImmediate as unknown as Immediate) as unknown as typeof setImmediate;
  g[installed] = true;
  return true;
}
