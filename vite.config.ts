// The demo site (demo/). `vite` serves it for development (`npm start` uses the same config through
// scripts/serve.mjs); `vite build` writes a static site to dist-demo/ with relative paths (base './'), so the folder
// can be copied to any static host or sub-path. The demo imports the library from ../src, so the runtime Worker
// (`new Worker(new URL('./runtime/worker.ts', import.meta.url), { type: 'module' })` in src/pipeline.ts) and the
// WGSL files (`?raw`) are bundled from source: the Worker as an ES module, because the runtime uses imports and
// top-level module syntax that a classic Worker cannot load. Two pages: the demo (index.html) and the benchmark
// (bench.html, which also ships ONNX Runtime Web's wasm for its transformers.js side, fetched only when that runs).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { cpuWasmEmbed } from './scripts/build-cpu-wasm.ts';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./demo', import.meta.url)),
  publicDir: fileURLToPath(new URL('./public', import.meta.url)),
  base: './',
  // Keep Vite's dependency cache out of demo/ (its default is <root>/node_modules/.vite).
  cacheDir: fileURLToPath(new URL('./node_modules/.vite/demo', import.meta.url)),
  // The CPU backend's kernels as assembled WebAssembly bytes (as the library build ships them), not wabt in the page.
  plugins: [cpuWasmEmbed()],
  worker: { format: 'es', plugins: () => [cpuWasmEmbed()] },
  build: {
    outDir: fileURLToPath(new URL('./dist-demo', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The bundled model lives in public/ and is copied as is; nothing else needs a size warning.
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./demo/index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./demo/bench.html', import.meta.url)),
      },
    },
  },
  // 127.0.0.1, not localhost: Chromium treats it as a secure context (WebGPU needs one) and it never resolves to ::1.
  server: { host: '127.0.0.1', port: 5173, strictPort: false, fs: { allow: [repoRoot] } },
  preview: { host: '127.0.0.1', port: 5173, strictPort: false },
});
