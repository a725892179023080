// Measures, inside a dedicated Worker, the same paths bench-load.ts measures in Node: a plain fetch that discards
// the body, a plain fetch that keeps it (arrayBuffer), and the loader streaming the checkpoint onto the GPU
// (WebGPU on Chromium's adapter). Runs are alternated; the driver takes medians.
import { BufferRegistry } from '../../src/gpu/buffers.ts';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { loadSafetensorsToGpu } from '../../src/weights/gpu-weights.ts';
import { urlSource } from '../../src/weights/url-source.ts';
import { fetchDiscard, fetchIntoOneBuffer } from './plain-fetch.ts';

// Every request no-store, so no run is served from Chromium's HTTP cache.
const noStore: RequestInit = { cache: 'no-store' };

async function measure(url: string, rounds: number) {
  const gpu = await requestBrowserGpu();
  const registry = new BufferRegistry(gpu.device);
  const load = async (upload: 'write' | 'mapped') => {
    const source = urlSource(url, { fetch: (input, init) => fetch(input, { ...init, ...noStore }) });
    const { weights } = await loadSafetensorsToGpu(source, registry, { storage: 'f32', upload });
    weights.dispose();
  };
  const runs: Record<string, () => Promise<void>> = {
    'plain fetch (discard)': () => fetchDiscard(url, noStore),
    'plain fetch → arrayBuffer (bytes kept)': async () => {
      await (await fetch(url, noStore)).arrayBuffer();
    },
    'plain fetch → one preallocated buffer (bytes kept)': async () => {
      await fetchIntoOneBuffer(url, noStore);
    },
    'load → GPU f32': () => load('write'),
    'load → GPU f32, mapped at creation': () => load('mapped'),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (const run of Object.values(runs)) await run(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(runs)) {
      const t0 = performance.now();
      await run();
      times[name].push((performance.now() - t0) / 1000);
    }
  }
  const leaked = registry.liveCount;
  const adapter = [gpu.facts.vendor, gpu.facts.architecture, gpu.facts.description].filter(Boolean).join(' ');
  gpu.device.destroy();
  return { times, leaked, adapter };
}

self.onmessage = (e: MessageEvent<{ url: string; rounds: number }>) => {
  measure(e.data.url, e.data.rounds).then(
    (result) => self.postMessage(result),
    (err: unknown) => self.postMessage({ error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) }),
  );
};
