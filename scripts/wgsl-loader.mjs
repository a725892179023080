// Node module hook: `import src from './x.wgsl?raw'` yields the file's text, as Vite's ?raw does in the browser
// build. Registered with `node --import ./scripts/wgsl-loader.mjs` (tsx passes the flag through).
import { register } from 'node:module';

register('./wgsl-hooks.mjs', import.meta.url);
