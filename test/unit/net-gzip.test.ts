// A model folder behind a server that gzips (Content-Encoding: gzip, Content-Length = the compressed size, Range
// ignored, a weak ETag — as nginx gzip and CDNs answer): pipeline() from 'bertgpu/node' loads it and classifies like
// PyTorch, then loads it again from the cache without downloading. Node asks for identity encoding, which a
// negotiating server honours; one that gzips regardless must work too.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { softmax } from '../../src/model/heads.ts';
import { urlSource } from '../../src/weights/url-source.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

const fixture = join(fixturesDir, 'tiny-bert');
const ref = readReference('tiny-bert');
const c = ref.cases.find((x) => x.text.length === 1 && !x.textPair)!;
const labels = ['negative', 'neutral', 'positive'];

let server: TestServer;
let cacheHome: string;
const oldXdg = process.env.XDG_CACHE_HOME;

beforeAll(async () => {
  cacheHome = mkdtempSync(join(tmpdir(), 'bertgpu-gzip-'));
  process.env.XDG_CACHE_HOME = cacheHome;
  server = await startServer({}, { gzip: 'always' });
  for (const f of readdirSync(fixture)) {
    if (statSync(join(fixture, f)).isFile()) setFile(server, `/models/tiny/${f}`, new Uint8Array(readFileSync(join(fixture, f))));
  }
});
afterAll(async () => {
  await server.close();
  if (oldXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = oldXdg;
  rmSync(cacheHome, { recursive: true, force: true });
});

async function classifyOnce(): Promise<void> {
  const classify = await pipeline('text-classification', `${server.url}/models/tiny/`, { dtype: 'f32' });
  try {
    const r = await classify(c.text[0], { topK: null });
    expectClose(c.name, labels.map((l) => r.find((x) => x.label === l)!.score), softmax(c.logits.data), { atol: 1e-4, rtol: 0 });
  } finally {
    await classify.dispose();
  }
}

describe('a gzip-serving model folder', () => {
  it('loads and classifies from the network, then from the cache without a download', async () => {
    server.log.length = 0;
    await classifyOnce();
    const weightsGets = server.log.filter((r) => r.method === 'GET' && r.path.endsWith('/model.safetensors'));
    expect(weightsGets.length).toBeGreaterThan(0);
    // Node asks for the bytes as they are (this server gzips anyway).
    expect(weightsGets.every((r) => r.acceptEncoding === 'identity')).toBe(true);

    server.log.length = 0;
    await classifyOnce();
    expect(server.log.filter((r) => r.method === 'GET')).toEqual([]);
  });

  it('a server that negotiates answers Node with identity: sizes, ranges and resume as usual', async () => {
    server.switches.gzip = 'negotiate';
    try {
      const src = urlSource(`${server.url}/models/tiny/model.safetensors`);
      expect((await src.meta()).size).toBe(statSync(join(fixture, 'model.safetensors')).size);
      expect((await src.meta()).acceptRanges).toBe(true);
    } finally {
      server.switches.gzip = 'always';
    }
  });

  it('a gzipped answer never reports the compressed length as the file size', async () => {
    const src = urlSource(`${server.url}/models/tiny/config.json`);
    const meta = await src.meta();
    expect(meta.size).toBeUndefined();
    const chunks: Uint8Array[] = [];
    for await (const ch of src.read(0)) chunks.push(ch.slice());
    expect(Buffer.concat(chunks)).toEqual(readFileSync(join(fixture, 'config.json')));
  });
});
