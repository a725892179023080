// `npm start`: serves the demo (demo/, with the bundled model from public/) with Vite's dev server on 127.0.0.1 and
// prints the URL. 127.0.0.1 rather than localhost: it is a secure context (WebGPU needs one) and never ::1.
// Port 5173, or the next free one if it is taken (the printed URL is the real one). Everything is local: works
// offline. Options: --port N, --build (serve a fresh `vite build` of the static site instead of the dev server).
import { fileURLToPath } from 'node:url';
import { build, createServer, preview } from 'vite';

const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 5173;
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`serve: --port needs a port number, got ${args[portArg + 1]}`);
  process.exit(2);
}

let server;
if (args.includes('--build')) {
  await build({ configFile, logLevel: 'warn' });
  server = await preview({ configFile, preview: { host: '127.0.0.1', port } });
} else {
  server = await createServer({ configFile, server: { host: '127.0.0.1', port } });
  await server.listen();
}
const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
console.log(`\n  bertgpu demo: ${url}\n  (open it in a browser with WebGPU; Ctrl+C stops it)\n`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}
