// Decides, before anything else runs, whether this browser can run bertgpu at all, and if not explains why on the
// page (instead of a blank screen or a console error). Only checks what can be known synchronously: whether
// `navigator.gpu` exists. A browser that has it but finds no adapter is reported later, when loading fails.
import { byId } from './dom.ts';

export function hasWebGpu(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && !!(navigator as Navigator & { gpu?: unknown }).gpu;
}

/** Replaces the app with an explanation of what is missing and what to try. */
export function explainMissingWebGpu(): void {
  const body = byId('no-webgpu-body');
  const reasons: string[] = [];
  if (!window.isSecureContext) {
    reasons.push(
      `This page was opened from an insecure origin (${location.origin}). Browsers only offer WebGPU on https:// ` +
        'pages and on http://localhost / http://127.0.0.1.',
    );
  }
  reasons.push(
    'bertgpu runs the model on WebGPU compute shaders, and this browser does not offer WebGPU (navigator.gpu is ' +
      'missing), so nothing can run here. Nothing was downloaded.',
  );
  body.replaceChildren(
    ...reasons.map((r) => Object.assign(document.createElement('p'), { textContent: r })),
    Object.assign(document.createElement('p'), { textContent: 'What to try:' }),
    list([
      'Chrome or Edge 113 or newer on Windows, macOS or ChromeOS (WebGPU is on by default).',
      'Chrome on Linux or Android: recent versions; on Linux you may need chrome://flags/#enable-unsafe-webgpu ' +
        'and chrome://flags/#enable-vulkan.',
      'Safari 26 or newer (macOS, iOS, iPadOS); Firefox 141 or newer on Windows.',
      'If WebGPU is disabled by policy or a blocklisted GPU driver, chrome://gpu tells you why.',
    ]),
  );
  byId('no-webgpu').hidden = false;
  byId('app').hidden = true;
}

function list(items: string[]): HTMLUListElement {
  const ul = document.createElement('ul');
  for (const text of items) ul.append(Object.assign(document.createElement('li'), { textContent: text }));
  return ul;
}
