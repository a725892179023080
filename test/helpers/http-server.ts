// A real HTTP server on 127.0.0.1 for loader tests (no fetch mocks). Switches, changeable between requests:
// Range support, slow chunked bodies without Content-Length, cutting the connection after N body bytes, ETag and
// If-Range, Hub-style X-Linked-Etag/X-Linked-Size headers (optionally behind a 302 like the Hub's LFS redirect), 404s.
// Every request is logged so tests can assert what was asked (e.g. that a resume used Range). Also, for the network
// hardening tests: gzip bodies (as nginx gzip or a CDN sends them: Content-Length = the compressed size, Range
// ignored, a weak ETag), CORS headers with a chosen Access-Control-Expose-Headers list, Last-Modified and If-Range by
// date, and the Hub's revision API (`/api/models/{repo}/revision/{rev}` with each file's size and LFS sha256).
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface ServedFile {
  /** In-memory bytes, or a file on disk (for big checkpoints). */
  body: Uint8Array | { path: string };
  /** Value for X-Linked-Etag (default: the real sha256 when `linkedEtag` is on). */
  linkedEtag?: string;
  /** ETag to send instead of the one derived from the content (quoted, e.g. '"v1"'). */
  etag?: string;
  /** Last-Modified (an HTTP date); setFile gives every new version a later one. */
  lastModified?: string;
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
  /** 'negotiate': gzip when the request accepts it (nginx); 'always': whatever it accepts (pre-compressed files). */
  gzip: 'off' | 'negotiate' | 'always';
  /** Send Last-Modified and honour If-Range with a date. */
  lastModified: boolean;
  /** CORS: Access-Control-Allow-Origin * on every answer, preflights answered, these headers exposed (null: no CORS). */
  corsExpose: string[] | null;
  /** Serve the Hub's revision API for repos laid out as /{repo}/resolve/{rev}/{file}. */
  hubApi: boolean;
}

/** The headers the Hub exposes to cross-origin scripts. */
export const HUB_EXPOSED_HEADERS = ['X-Repo-Commit', 'X-Request-Id', 'X-Error-Code', 'X-Error-Message', 'X-Total-Count', 'ETag', 'Link',
  'Accept-Ranges', 'Content-Range', 'X-Linked-Size', 'X-Linked-ETag', 'X-Xet-Hash'];

export interface RequestLog {
  method: string;
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  acceptEncoding: string | undefined;
  /** The query string as received ('' when none). */
  query: string;
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
  contentLength: true, cutAfterBytes: -1, cutTimes: 0, gzip: 'off', lastModified: true, corsExpose: null, hubApi: false,
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
  if (f.etag) return f.etag;
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
  const parsed = new URL(req.url ?? '/', 'http://x');
  const path = decodeURIComponent(parsed.pathname);
  const range = req.headers.range;
  const ifRange = req.headers['if-range'] as string | undefined;
  const acceptEncoding = req.headers['accept-encoding'];
  s.log.push({ method: req.method ?? 'GET', path, range, ifRange, acceptEncoding, query: parsed.search });
  const cors: Record<string, string> = sw.corsExpose ? { 'Access-Control-Allow-Origin': '*' } : {};
  if (sw.corsExpose && sw.corsExpose.length > 0) cors['Access-Control-Expose-Headers'] = sw.corsExpose.join(', ');
  if (sw.corsExpose && req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...cors, 'Access-Control-Allow-Methods': 'GET, HEAD',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '', 'Access-Control-Max-Age': '600',
    }).end();
    return;
  }
  if (sw.hubApi && path.startsWith('/api/models/')) {
    serveRevisionApi(s, path, res, cors);
    return;
  }
  const lfs = path.startsWith('/lfs/');
  const file = s.files.get(lfs ? path.slice(4) : path);
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain', ...cors }).end('Entry not found');
    return;
  }
  const gzip = sw.gzip === 'always' || (sw.gzip === 'negotiate' && /\bgzip\b/.test(acceptEncoding ?? ''));
  const raw = gzip ? gzipSync(file.body instanceof Uint8Array ? file.body : new Uint8Array(0)) : null;
  const served: ServedFile = raw ? { ...file, body: raw } : file;
  const size = fileSize(served);
  const linked: Record<string, string> = sw.linkedEtag ? { 'X-Linked-Etag': `"${file.linkedEtag ?? sha256Of(file)}"`, 'X-Linked-Size': String(fileSize(file)) } : {};
  if (sw.lfsRedirect && !lfs) {
    res.writeHead(302, { Location: `/lfs${path}${parsed.search}`, ...linked, ...cors }).end();
    return;
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', ...linked, ...cors };
  // A gzipped answer is another representation: a weak ETag (as nginx makes it), and no byte ranges.
  const etag = raw ? `W/${etagOf(file)}` : etagOf(file);
  if (sw.etag) headers.ETag = etag;
  if (sw.lastModified && file.lastModified) headers['Last-Modified'] = file.lastModified;
  if (raw) headers['Content-Encoding'] = 'gzip';
  if (sw.range && !raw) headers['Accept-Ranges'] = 'bytes';
  let start = 0;
  let end = size;
  let status = 200;
  // If-Range: the range only when the validator still matches (a strong ETag, or the exact Last-Modified date).
  const validatorOk = !ifRange || (ifRange.startsWith('"') ? sw.etag && ifRange === etag : sw.lastModified && ifRange === file.lastModified);
  const rangeOk = sw.range && !raw && range && validatorOk;
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
  for await (const c of bodyChunks(served, start, end, sw.chunkBytes)) {
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

let versions = 0;

export function setFile(s: TestServer, path: string, v: ServedFile | Uint8Array | string): void {
  const file: ServedFile = typeof v === 'string' ? { body: new TextEncoder().encode(v) } : v instanceof Uint8Array ? { body: v } : { ...v };
  // Each version a second later than the last (HTTP dates have whole seconds).
  file.lastModified ??= new Date(Date.UTC(2024, 0, 1) + ++versions * 1000).toUTCString();
  s.files.set(path.startsWith('/') ? path : `/${path}`, file);
}

/** The Hub's `GET /api/models/{repo}/revision/{rev}`: siblings with size, and lfs.sha256 for .safetensors files. */
function serveRevisionApi(s: TestServer, path: string, res: ServerResponse, cors: Record<string, string>): void {
  const m = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(path);
  const prefix = m ? `/${m[1]}/resolve/${m[2]}/` : null;
  const siblings = [...s.files].filter(([p]) => prefix && p.startsWith(prefix)).map(([p, f]) => {
    const size = fileSize(f);
    const lfs = p.endsWith('.safetensors') ? { sha256: f.linkedEtag ?? sha256Of(f), size, pointerSize: 134 } : undefined;
    return { rfilename: p.slice(prefix!.length), size, ...(lfs ? { lfs } : {}) };
  });
  if (!m || siblings.length === 0) {
    res.writeHead(404, { 'Content-Type': 'application/json', ...cors }).end('{"error":"Repository not found"}');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', ...cors }).end(JSON.stringify({ id: m[1], sha: 'f'.repeat(40), siblings }));
}
