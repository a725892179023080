// The browser download cache on the real Cache API in Chromium: entries appear only when complete and verified
// (size and a sha256 computed here with WebCrypto, not with our hasher), read back byte for byte, list and clear.
import { describe, expect, it } from 'vitest';
import { browserCache } from '../../src/hub/browser-cache.ts';
import { readFully } from '../../src/weights/source.ts';

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

const payload = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) & 255);

async function store(cache: ReturnType<typeof browserCache>, url: string, expected: { size?: number; sha256?: string }) {
  const w = await cache.open({ url, model: 'org/model', file: 'model.safetensors', etag: 'e1' }, expected);
  for (let i = 0; i < payload.length; i += 65_536) await w.write(payload.subarray(i, i + 65_536));
  await w.commit();
}

describe('browserCache (Cache API)', () => {
  it('stores a verified file, serves it back exactly, lists and clears it', async () => {
    const cache = browserCache(caches, `bertgpu-test-${Date.now()}`);
    const url = 'https://example.invalid/org/model/resolve/main/model.safetensors';
    await store(cache, url, { size: payload.length, sha256: await sha256Hex(payload) });
    const hit = await cache.get({ url, model: 'org/model', file: 'model.safetensors', etag: 'e1' });
    expect(hit).not.toBeNull();
    expect(await hit!.size()).toBe(payload.length);
    expect(await readFully(hit!, 0, payload.length)).toEqual(payload);
    expect(await readFully(hit!, 1000, 1010)).toEqual(payload.subarray(1000, 1010));
    // Another ETag means another version of the file: not this entry.
    expect(await cache.get({ url, model: 'org/model', file: 'model.safetensors', etag: 'e2' })).toBeNull();
    const listed = await cache.list();
    expect(listed).toEqual([expect.objectContaining({ model: 'org/model', bytes: payload.length })]);
    expect(await cache.clear('org/model')).toBe(1);
    expect(await cache.get({ url, model: 'org/model', file: 'model.safetensors' })).toBeNull();
  });

  it('refuses and leaves nothing when the sha256 or the size does not match', async () => {
    const cache = browserCache(caches, `bertgpu-test-bad-${Date.now()}`);
    const url = 'https://example.invalid/bad/model.safetensors';
    await expect(store(cache, url, { size: payload.length, sha256: '0'.repeat(64) })).rejects.toThrow(/sha256 .* does not match/);
    expect(await cache.get({ url, model: 'org/model', file: 'model.safetensors' })).toBeNull();
    await expect(store(cache, url, { size: payload.length + 1 })).rejects.toThrow(/got 300000 bytes, the server announced 300001/);
    expect(await cache.get({ url, model: 'org/model', file: 'model.safetensors' })).toBeNull();
    expect(await cache.list()).toEqual([]);
  });

  it('keeps a file whose size the server did not state (a gzipped answer): its size is the stored body\'s', async () => {
    const cache = browserCache(caches, `bertgpu-test-nosize-${Date.now()}`);
    const url = 'https://example.invalid/gz/config.json';
    await store(cache, url, {});
    const hit = await cache.get({ url, model: 'org/model', file: 'model.safetensors', etag: 'e1' });
    expect(hit).not.toBeNull();
    expect(await hit!.size()).toBe(payload.length);
    expect(await readFully(hit!, 0, payload.length)).toEqual(payload);
    expect(await cache.list()).toEqual([expect.objectContaining({ model: 'org/model', bytes: payload.length })]);
  });
});
