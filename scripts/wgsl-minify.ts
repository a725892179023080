// Vite plugin for builds: `*.wgsl?raw` imports get the shader text without comments and indentation. The headers
// that document each kernel are for readers of shaders/, not for every page that downloads the library (they are
// about half the WGSL bytes). Nothing else changes: same declarations, same order, one statement per line.
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'vite';

export function minifyWgsl(source: string): string {
  return source
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, '').trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

export function wgslMinify(): Plugin {
  return {
    name: 'bertgpu-wgsl-minify',
    enforce: 'pre',
    async load(id) {
      if (!id.endsWith('.wgsl?raw')) return null;
      const text = await readFile(id.slice(0, -'?raw'.length), 'utf8');
      return `export default ${JSON.stringify(minifyWgsl(text))};`;
    },
  };
}
