// The browser cache's streaming SHA-256 against node:crypto, fed in awkward chunk sizes (block boundaries, padding
// edge lengths 55/56/64).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256 } from '../../src/hub/sha256.ts';
import { seededRandom } from '../helpers/validate.ts';

describe('Sha256', () => {
  it('matches node:crypto for many lengths and chunkings', () => {
    const rand = seededRandom(3);
    for (const len of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65537]) {
      const data = new Uint8Array(len).map(() => Math.floor(rand() * 256));
      const want = createHash('sha256').update(data).digest('hex');
      for (const chunk of [1, 7, 64, 100, 1 << 20]) {
        const h = new Sha256();
        for (let p = 0; p < len; p += chunk) h.update(data.subarray(p, p + chunk));
        expect(h.digestHex(), `len ${len} chunk ${chunk}`).toBe(want);
      }
    }
    expect(new Sha256().update(new TextEncoder().encode('abc')).digestHex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
