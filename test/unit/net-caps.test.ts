// Files read whole as text have caps (TEXT_FILE_CAPS) in every provider: a local folder (Node), dropped File objects
// (the browser API; File exists in Node too) and a server. An oversized file is refused by its size before it is
// read — a 300 MiB sparse tokenizer.json fails at once — with an error naming the file and the cap.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesProvider, httpProvider } from '../../src/hub/files.ts';
import { openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { WeightsError } from '../../src/weights/errors.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';
import { fixturesDir } from '../model/fixture.ts';

const fixture = join(fixturesDir, 'tiny-bert');
const names = ['config.json', 'vocab.txt', 'model.safetensors'];
// Valid JSON, just long: a parser would accept it, only the cap stops it.
const bloatedConfig = () => {
  const json = readFileSync(join(fixture, 'config.json'), 'utf8');
  return `${json.trimEnd().slice(0, -1)},"padding":"${'x'.repeat(5 << 20)}"}`;
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bertgpu-caps-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the fixture's files in a new folder. */
function folder(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const f of names) copyFileSync(join(fixture, f), join(d, f));
  return d;
}

async function refusal(p: Promise<unknown>): Promise<WeightsError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(WeightsError);
  return e as WeightsError;
}

describe('text file caps', () => {
  it('a local folder: config.json over 4 MiB is refused, naming the file and the cap', async () => {
    const d = folder('big-config');
    writeFileSync(join(d, 'config.json'), bloatedConfig());
    const e = await refusal(openModel(dirProvider(d)));
    expect(e.message).toMatch(/config\.json: \d+ bytes, over the 4 MiB \(4194304-byte\) cap for config\.json/);
  });

  it('a local folder: a 300 MiB tokenizer.json is refused by its size, before any byte is read', async () => {
    const d = folder('big-tokenizer');
    writeFileSync(join(d, 'tokenizer.json'), '');
    truncateSync(join(d, 'tokenizer.json'), 300 << 20); // sparse: no disk, and reading it would take 300 MiB
    const started = Date.now();
    const e = await refusal(openModel(dirProvider(d)));
    expect(e.message).toMatch(/tokenizer\.json: 314572800 bytes, over the 64 MiB \(67108864-byte\) cap for tokenizer\.json/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('dropped files: the same caps', async () => {
    const files = names.filter((f) => f !== 'config.json').map((f) => new File([readFileSync(join(fixture, f))], f));
    files.push(new File([bloatedConfig()], 'config.json'));
    const e = await refusal(openModel(filesProvider(files)));
    expect(e.message).toMatch(/dropped files\/config\.json: \d+ bytes, over the 4 MiB .* cap for config\.json/);
  });

  it('a server that states no size (chunked): refused once the bytes pass the cap', async () => {
    const server: TestServer = await startServer({}, { contentLength: false });
    try {
      for (const f of names) setFile(server, `/m/${f}`, new Uint8Array(readFileSync(join(fixture, f))));
      setFile(server, '/m/config.json', bloatedConfig());
      const e = await refusal(openModel(httpProvider(`${server.url}/m/`)));
      expect(e.message).toMatch(/config\.json: more than 4194304 bytes, over the 4 MiB .* cap for config\.json/);
    } finally {
      await server.close();
    }
  });
});
