#!/usr/bin/env node
// bertgpu CLI launcher. In a checkout it runs the TypeScript sources (tsx, plus a hook that makes `*.wgsl?raw`
// imports return the shader text, as Vite does in the build); an installed package runs the bundled dist/cli.js.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  register('../scripts/wgsl-hooks.mjs', import.meta.url);
  await import(source.href);
} else {
  await import(new URL('../dist/node/cli.js', import.meta.url).href);
}
