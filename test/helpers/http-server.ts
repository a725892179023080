// A real HTTP server on 127.0.0.1 for loader tests (no fetch mocks). Switches, changeable between requests:
// Range support, slow chunked bodies without Content-Length, cutting the connection after N body bytes, ETag and
// If-Range, Hub-style X-Linked-Etag/X-Linked-Size headers (optionally behind a 302 like the Hub's LFS redirect), 404s.
// Every request is logged so tests can assert what was asked (e.g. that a resume used Range).
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  /** In-memory bytes, or a file on disk (for big checkpoints). */
  body: Uint8Array | { path: string };
  /** Value for X-Linked-Etag (default: the real sha256 when `linkedEtag` is on). */
  linkedEtag?: string;
}

export interface ServerSwitches {
  range: boolean;
  etag: boolean;
  /** Send X-Linked-Etag (sha256) and X-Linked-Size, like the Hub does for LFS files. */
  linkedEtag: boolean;
  /** Answer with a 302 to /lfs/<path> carrying the linked headers, like the Hub. */
  lfsRedirect: boolean;
  /** Body written in pieces of this size with `delayMs` between them (0: as fast as possible). */
  chunkBytes: number;
  delayMs: number;
  /** Omit Content-Length (the body is sent chunked). */
  contentLength: boolean;
  /** Destroy the socket after this many body bytes, for the next `cutTimes` GET responses longer than that. */
  cutAfterBytes: number;
  cutTimes: number;
}

export interface RequestLog {
  method: string;
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
}

export interface TestServer {
  url: string;
  files: Map<string, ServedFile>;
  switches: ServerSwitches;
  log: RequestLog[];
  close(): Promise<void>;
}

const defaults: ServerSwitches = {
  range: true, etag: true, linkedEtag: false, lfsRedirect: false, chunkBytes: 64 * 1024, delayMs: 0,
  contentLength: true, cutAfterBytes: -1, cutTimes: 0,
};

function fileSize(f: ServedFile): number {
  return f.body instanceof Uint8Array ? f.body.byteLength : statSync(f.body.path).size;
}

const shaCache = new WeakMap<object, string>();
function sha256Of(f: ServedFile): string {
  const key = f.body;
  let h = shaCache.get(key);
  if (!h) {
    if (!(f.body instanceof Uint8Array)) throw new Error('http-server: linkedEtag for files on disk must be given explicitly');
    h = createHash('sha256').update(f.body).digest('hex');
    shaCache.set(key, h);
  }
  return h;
}

function etagOf(f: ServedFile): string {
  if (f.body instanceof Uint8Array) return `"${sha256Of(f).slice(0, 20)}"`;
  const st = statSync(f.body.path);
  return `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

async function* bodyChunks(f: ServedFile, start: number, end: number, chunk: number): AsyncGenerator<Uint8Array> {
  if (f.body instanceof Uint8Array) {
    for (let p = start; p < end; p += chunk) yield f.body.subarray(p, Math.min(p + chunk, end));
    return;
  }
  if (end <= start) return;
  for await (const c of createReadStream(f.body.path, { start, end: end - 1, highWaterMark: chunk })) yield c as Buffer;
}

async function handle(req: IncomingMessage, res: ServerResponse, s: TestServer): Promise<void> {
  const sw = s.switches;
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const range = req.headers.range;
  const ifRange = req.headers['if-range'] as string | undefined;
  s.log.push({ method: req.method ?? 'GET', path, range, ifRange });
  const lfs = path.startsWith('/lfs/');
  const file = s.files.get(lfs ? path.slice(4) : path);
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Entry not found');
    return;
  }
  const size = fileSize(file);
  const linked: Record<string, string> = sw.linkedEtag ? { 'X-Linked-Etag': `"${file.linkedEtag ?? sha256Of(file)}"`, 'X-Linked-Size': String(size) } : {};
  if (sw.lfsRedirect && !lfs) {
    res.writeHead(302, { Location: `/lfs${path}`, ...linked }).end();
    return;
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', ...linked };
  const etag = etagOf(file);
  if (sw.etag) headers.ETag = etag;
  if (sw.range) headers['Accept-Ranges'] = 'bytes';
  let start = 0;
  let end = size;
  let status = 200;
  const rangeOk = sw.range && range && (!ifRange || !sw.etag || ifRange === etag);
  if (rangeOk) {
    const m = /^bytes=(\d+)-(\d*)$/.exec(range!);
    if (!m || Number(m[1]) >= size) {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]) + 1, size) : size;
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end - 1}/${size}`;
  }
  if (sw.contentLength) headers['Content-Length'] = String(end - start);
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // Only bodies longer than the cut point count, so small files fetched alongside do not use up the cuts.
  const cut = sw.cutTimes > 0 && sw.cutAfterBytes >= 0 && end - start > sw.cutAfterBytes ? sw.cutAfterBytes : -1;
  if (cut >= 0) sw.cutTimes--;
  let sent = 0;
  for await (const c of bodyChunks(file, start, end, sw.chunkBytes)) {
    let piece = c;
    if (cut >= 0 && sent + piece.byteLength > cut) piece = piece.subarray(0, cut - sent);
    if (piece.byteLength > 0 && !res.write(piece)) await new Promise((r) => res.once('drain', r));
    sent += piece.byteLength;
    if (cut >= 0 && sent >= cut) {
      // Give the bytes a moment to leave, then drop the connection mid-body.
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    if (res.destroyed) return;
    if (sw.delayMs > 0) await new Promise((r) => setTimeout(r, sw.delayMs));
  }
  res.end();
}

export async function startServer(files: Record<string, ServedFile | Uint8Array | string> = {}, switches: Partial<ServerSwitches> = {}): Promise<TestServer> {
  const map = new Map<string, ServedFile>();
  const s: TestServer = { url: '', files: map, switches: { ...defaults, ...switches }, log: [], close: async () => undefined };
  for (const [k, v] of Object.entries(files)) setFile(s, k, v);
  const server = createServer((req, res) => {
    handle(req, res, s).catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return s;
}

export function setFile(s: TestServer, path: string, v: ServedFile | Uint8Array | string): void {
  const file: ServedFile = typeof v === 'string' ? { body: new TextEncoder().encode(v) } : v instanceof Uint8Array ? { body: v } : v;
  s.files.set(path.startsWith('/') ? path : `/${path}`, file);
}
