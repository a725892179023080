// Starts the measuring Worker (the runtime loads weights in a Worker in browsers, so the bench does too) and hands
// its result to the Playwright driver in scripts/bench-load-chromium.ts through window.benchResult.
const params = new URLSearchParams(location.search);
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const w = window as unknown as { benchResult?: unknown; benchError?: string };
worker.onmessage = (e: MessageEvent) => {
  if (e.data.error) w.benchError = e.data.error;
  else w.benchResult = e.data;
};
worker.onerror = (e) => {
  w.benchError = e.message || 'worker failed to start';
};
worker.postMessage({ url: new URL(params.get('model')!, location.href).href, rounds: Number(params.get('rounds') ?? 5) });
