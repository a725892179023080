import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -4)), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  // Vite's `./x.ts?worker&url` (the browser entry's Worker URL): in Node the module is only reached through the shared
  // exports of src/index.ts, never started as a Worker; the file's URL is what Vite would give.
  if (url.startsWith('file:') && url.endsWith('?worker&url')) {
    return { format: 'module', source: `export default ${JSON.stringify(url.slice(0, -'?worker&url'.length))};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
