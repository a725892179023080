// Dawn busy-polls with setImmediate while a GPU promise is pending, burning a whole core on our 2-core machines.
// Mapping setImmediate onto a 0 ms timer lets the other test process run (~25 % faster suite, measured).
const throttled = ((fn: (...args: unknown[]) => void, ...args: unknown[]) =>
  setTimeout(fn, 0, ...args)) as unknown as typeof setImmediate;
globalThis.setImmediate = throttled;
process.env.XDG_RUNTIME_DIR ??= '/tmp';
