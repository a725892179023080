// A static file server on 127.0.0.1 for the e2e tests: serves folders under URL prefixes (the built demo under a
// sub-path, to prove its relative URLs; fixture folders next to it), with real content types (module scripts need
// a JS type), single byte ranges (the weights loader reads headers with Range), and a switchable throttle that drips
// one file slowly so a test can press Cancel mid-download. With `cors`, any origin may read the files, as from a CDN
// (a page on another origin imports modules from it).
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
};

export interface Throttle {
  /** Which request paths drip slowly. */
  match(path: string): boolean;
  chunkBytes: number;
  delayMs: number;
}

export interface StaticServer {
  url: string;
  /** Set to slow a file down, null for full speed; read at each request. */
  throttle: Throttle | null;
  /** Paths requested, in order. */
  log: string[];
  close(): Promise<void>;
}

/** `mounts`: URL prefix (like '/site/demo/') → folder on disk. */
export async function startStaticServer(mounts: Record<string, string>, options: { cors?: boolean } = {}): Promise<StaticServer> {
  const s: StaticServer = { url: '', throttle: null, log: [], close: async () => undefined };
  const server = createServer((req, res) => {
    if (options.cors) res.setHeader('Access-Control-Allow-Origin', '*');
    serve(req, res, mounts, s).catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return s;
}

function resolvePath(path: string, mounts: Record<string, string>): string | null {
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!path.startsWith(prefix)) continue;
    const rel = normalize(path.slice(prefix.length) || 'index.html');
    if (rel.startsWith('..') || rel.includes(`${sep}..`)) return null;
    const file = join(dir, rel.endsWith(sep) ? `${rel}index.html` : rel);
    try {
      return statSync(file).isFile() ? file : null;
    } catch {
      return null;
    }
  }
  return null;
}

async function serve(req: IncomingMessage, res: ServerResponse, mounts: Record<string, string>, s: StaticServer): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  s.log.push(path);
  const file = resolvePath(path, mounts);
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  const size = statSync(file).size;
  const headers: Record<string, string> = {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store',
  };
  let start = 0;
  let end = size;
  let status = 200;
  const m = req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
  if (req.headers.range && (!m || Number(m[1]) >= size)) {
    res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
    return;
  }
  if (m) {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]) + 1, size) : size;
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end - 1}/${size}`;
  }
  headers['Content-Length'] = String(end - start);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || end === start) {
    res.end();
    return;
  }
  const t = s.throttle?.match(path) ? s.throttle : null;
  for await (const chunk of createReadStream(file, { start, end: end - 1, highWaterMark: t?.chunkBytes ?? 256 * 1024 })) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    if (t) await new Promise((r) => setTimeout(r, t.delayMs));
  }
  res.end();
}
