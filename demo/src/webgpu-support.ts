// Decides, before anything else runs, whether this browser offers WebGPU, and if not says on the page that the model
// runs on bertgpu's WebAssembly CPU backend instead, why, and how to get the GPU path. Only checks what can be known
// synchronously: whether `navigator.gpu` exists (a browser with it but no adapter falls back at load time, and the
// insight panel's Backend row says why).
import { byId } from './dom.ts';

export function hasWebGpu(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && !!(navigator as Navigator & { gpu?: unknown }).gpu;
}

/**
 * Explains what is missing and what to try for the GPU. The demo (`cpuFallback`) keeps its app and says the CPU
 * backend runs instead; the benchmark page, which measures WebGPU, hides its app and points to its CPU mode.
 */
export function explainMissingWebGpu(cpuFallback = true): void {
  const body = byId('no-webgpu-body');
  const reasons: string[] = [];
  if (!window.isSecureContext) {
    reasons.push(
      `This page was opened from an insecure origin (${location.origin}). Browsers only offer WebGPU on https:// ` +
        'pages and on http://localhost / http://127.0.0.1.',
    );
  }
  reasons.push(cpuFallback
    ? 'bertgpu runs the model on WebGPU compute shaders where the browser offers them; this one does not ' +
      '(navigator.gpu is missing), so the model runs on its WebAssembly CPU backend instead: the same results, ' +
      'more slowly on large models. Fine-tuning (Teach it) needs WebGPU.'
    : 'This page benchmarks WebGPU, which this browser does not offer (navigator.gpu is missing). Open it with ' +
      '?device=cpu to benchmark the WebAssembly CPU backends instead.');
  body.replaceChildren(
    ...reasons.map((r) => Object.assign(document.createElement('p'), { textContent: r })),
    Object.assign(document.createElement('p'), { textContent: 'For the GPU path, try:' }),
    list([
      'Chrome or Edge 113 or newer on Windows, macOS or ChromeOS (WebGPU is on by default).',
      'Chrome on Linux or Android: recent versions; on Linux you may need chrome://flags/#enable-unsafe-webgpu ' +
        'and chrome://flags/#enable-vulkan.',
      'Safari 26 or newer (macOS, iOS, iPadOS); Firefox 141 or newer on Windows.',
      'If WebGPU is disabled by policy or a blocklisted GPU driver, chrome://gpu tells you why.',
    ]),
  );
  byId('no-webgpu').hidden = false;
  if (!cpuFallback) byId('app').hidden = true;
}

function list(items: string[]): HTMLUListElement {
  const ul = document.createElement('ul');
  for (const text of items) ul.append(Object.assign(document.createElement('li'), { textContent: text }));
  return ul;
}
