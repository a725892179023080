// Folder URLs with a query string (signed URLs, cache busters) or a fragment: every file is fetched from inside the
// folder with the query carried over and the fragment dropped, against a real server's request log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProvider } from '../../src/hub/files.ts';
import { openModel } from '../../src/hub/model.ts';
import { fileUrl, parseModelRef } from '../../src/hub/resolve.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';
import { fixturesDir } from '../model/fixture.ts';

const fixture = join(fixturesDir, 'tiny-bert');
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
  for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors']) {
    setFile(server, `/q/tiny/${f}`, new Uint8Array(readFileSync(join(fixture, f))));
  }
});
afterAll(() => server.close());

describe('folder URLs with ?query and #fragment', () => {
  it('resolves files inside the folder, keeps the query, drops the fragment', () => {
    const ref = parseModelRef('https://cdn.example.com/models/tiny?sig=a%2Fb&exp=9#section');
    expect(fileUrl(ref, 'config.json')).toBe('https://cdn.example.com/models/tiny/config.json?sig=a%2Fb&exp=9');
    expect(fileUrl(ref, 'sub/model.safetensors')).toBe('https://cdn.example.com/models/tiny/sub/model.safetensors?sig=a%2Fb&exp=9');
    expect(fileUrl(parseModelRef('https://cdn.example.com/models/tiny/#x'), 'vocab.txt')).toBe('https://cdn.example.com/models/tiny/vocab.txt');
    expect(fileUrl(parseModelRef('https://cdn.example.com/models/tiny/?v=2'), 'vocab.txt')).toBe('https://cdn.example.com/models/tiny/vocab.txt?v=2');
  });

  it('opens a model folder given as a signed URL: every request is inside it and carries the query', async () => {
    server.log.length = 0;
    const files = await openModel(httpProvider(`${server.url}/q/tiny?token=s3cr3t&v=1#weights`));
    expect(files.config.hiddenSize).toBe(64);
    expect(files.tokenizer.vocabTxt).toContain('[CLS]');
    expect(server.log.length).toBeGreaterThan(3);
    for (const r of server.log) {
      expect(r.path.startsWith('/q/tiny/')).toBe(true);
      expect(r.query).toBe('?token=s3cr3t&v=1');
    }
  });
});
