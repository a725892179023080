// The download cache against a real server whose files change: a resume from the cache's partial file carries
// If-Range, and a whole-file answer to it restarts the download instead of stitching two versions; an entry whose size
// differs from the server's is a miss; an entry without an ETag is revalidated by Last-Modified, and a server with no
// validator at all gets a fresh download every time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpProvider } from '../../src/hub/files.ts';
import { nodeCache } from '../../src/hub/node-cache.ts';
import type { FileCache } from '../../src/hub/cache.ts';
import { WeightsError } from '../../src/weights/errors.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';

const version = (seed: number, length = 300_000) => Uint8Array.from({ length }, (_, i) => (i * 7 + seed * 13 + (i >> 9)) & 255);

let server: TestServer;
let dir: string;
let cache: FileCache;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bertgpu-netcache-'));
  cache = nodeCache(dir);
  Object.assign(server.switches, { range: true, etag: true, lastModified: true, linkedEtag: false, lfsRedirect: false, cutTimes: 0, chunkBytes: 16_384 });
  server.log.length = 0;
  return () => rmSync(dir, { recursive: true, force: true });
});

async function readAll(model: string, file: string): Promise<Uint8Array> {
  const source = await httpProvider(model, { cache, retries: 0, retryDelayMs: 1 }).source(file);
  const parts: Uint8Array[] = [];
  for await (const c of source!.read(0)) parts.push(c.slice());
  return new Uint8Array(Buffer.concat(parts));
}

const gets = (file: string) => server.log.filter((r) => r.method === 'GET' && r.path.endsWith(file));

describe('resuming from the cache', () => {
  it('sends If-Range with the validator of the response the kept bytes came from', async () => {
    const v1 = version(1);
    setFile(server, '/a/w.bin', v1);
    Object.assign(server.switches, { cutAfterBytes: 100_000, cutTimes: 1 });
    await expect(readAll(`${server.url}/a/`, 'w.bin')).rejects.toBeInstanceOf(WeightsError);
    server.log.length = 0;
    expect(await readAll(`${server.url}/a/`, 'w.bin')).toEqual(v1);
    const resumed = gets('w.bin');
    expect(resumed).toHaveLength(1);
    expect(resumed[0].range).toBe('bytes=100000-');
    expect(resumed[0].ifRange).toMatch(/^"[0-9a-f]+"$/);
  });

  it('resumes by Last-Modified when the server sends no ETag', async () => {
    const v1 = version(2);
    setFile(server, '/b/w.bin', v1);
    Object.assign(server.switches, { etag: false, cutAfterBytes: 100_000, cutTimes: 1 });
    await expect(readAll(`${server.url}/b/`, 'w.bin')).rejects.toBeInstanceOf(WeightsError);
    server.log.length = 0;
    expect(await readAll(`${server.url}/b/`, 'w.bin')).toEqual(v1);
    expect(gets('w.bin').map((r) => [r.range, r.ifRange])).toEqual([['bytes=100000-', server.files.get('/b/w.bin')!.lastModified]]);
  });

  it('a whole-file answer to the resume (the bytes behind the redirect changed) restarts cleanly, never stitches', async () => {
    // Hub-like: the file's identity (X-Linked-Etag) stays while the CDN object behind the redirect is replaced.
    Object.assign(server.switches, { linkedEtag: true, lfsRedirect: true, cutAfterBytes: 100_000, cutTimes: 1 });
    setFile(server, '/org/m/resolve/main/w.bin', { body: version(3), linkedEtag: 'pointer-v1' });
    await expect(readAll(`${server.url}/org/m/resolve/main/`, 'w.bin')).rejects.toBeInstanceOf(WeightsError);
    const v2 = version(4);
    setFile(server, '/org/m/resolve/main/w.bin', { body: v2, linkedEtag: 'pointer-v1' });
    server.log.length = 0;
    expect(await readAll(`${server.url}/org/m/resolve/main/`, 'w.bin')).toEqual(v2);
    const lfsGets = gets('w.bin').filter((r) => r.path.startsWith('/lfs/'));
    expect(lfsGets).toHaveLength(1);
    expect(lfsGets[0].range).toBe('bytes=100000-');
    expect(lfsGets[0].ifRange).toBeDefined();
    // The published entry is the new file, whole.
    server.log.length = 0;
    expect(await readAll(`${server.url}/org/m/resolve/main/`, 'w.bin')).toEqual(v2);
    expect(gets('w.bin')).toEqual([]);
  });
});

describe('revalidating cache entries', () => {
  it('an entry whose size differs from the server\'s is a miss: downloaded again, never the old bytes', async () => {
    setFile(server, '/c/w.bin', { body: version(5, 50_000), etag: '"reused"' });
    expect(await readAll(`${server.url}/c/`, 'w.bin')).toEqual(version(5, 50_000));
    // A server that keeps the ETag across versions (hand-set, or one derived from the name).
    setFile(server, '/c/w.bin', { body: version(6, 60_000), etag: '"reused"' });
    server.log.length = 0;
    expect(await readAll(`${server.url}/c/`, 'w.bin')).toEqual(version(6, 60_000));
    expect(gets('w.bin')).toHaveLength(1);
  });

  it('without an ETag, Last-Modified decides: same date → cached, new date → downloaded', async () => {
    server.switches.etag = false;
    setFile(server, '/d/w.bin', version(7, 40_000));
    expect(await readAll(`${server.url}/d/`, 'w.bin')).toEqual(version(7, 40_000));
    server.log.length = 0;
    expect(await readAll(`${server.url}/d/`, 'w.bin')).toEqual(version(7, 40_000));
    expect(gets('w.bin')).toEqual([]);
    setFile(server, '/d/w.bin', version(8, 40_000)); // same size, later date
    expect(await readAll(`${server.url}/d/`, 'w.bin')).toEqual(version(8, 40_000));
    expect(gets('w.bin')).toHaveLength(1);
  });

  it('with no validator at all, every load downloads (a kept copy is only an offline fallback)', async () => {
    Object.assign(server.switches, { etag: false, lastModified: false });
    setFile(server, '/e/w.bin', version(9, 40_000));
    expect(await readAll(`${server.url}/e/`, 'w.bin')).toEqual(version(9, 40_000));
    setFile(server, '/e/w.bin', version(10, 40_000));
    server.log.length = 0;
    expect(await readAll(`${server.url}/e/`, 'w.bin')).toEqual(version(10, 40_000));
    expect(gets('w.bin')).toHaveLength(1);
  });
});
