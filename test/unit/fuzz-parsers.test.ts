// Property-based tests of the file parsers (fast-check): random mutations of valid files — safetensors bytes and
// header JSON, config.json, tokenizer.json, tokenizer_config.json and vocab.txt — either parse or fail with one of our
// clear errors (WeightsError for weights and config, the tokenizer's TypeError/RangeError naming its function), never
// an internal error, and every run finishes quickly (no hang, no allocation by a hostile number).
// Fixed seed, printed; FUZZ_SEED=<n> replays another.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../../src/model/config.ts';
import { BertTokenizer } from '../../src/tokenizer/index.ts';
import { WeightsError } from '../../src/weights/errors.ts';
import { parseHeader, readHeaderLength } from '../../src/weights/safetensors.ts';
import { bytesSource } from '../../src/weights/source.ts';
import { streamSafetensors } from '../../src/weights/stream.ts';
import { TINY_TOKENS, tinyTokenizerJson } from '../fixtures/hostile/tokenizer-corpus.ts';
import { tinyConfig, tinyTensors } from '../fixtures/weights/hostile-corpus.ts';
import { rawSafetensors, writeSafetensors } from '../helpers/safetensors-writer.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20_251_111);
console.log(`fuzz-parsers: seed ${seed} (FUZZ_SEED=<n> to replay another)`);
const budget = (ms: number) => ({ seed, numRuns: 100_000, plugins: [fc.interruptAfterTimeLimit(ms)] });
/** Slower than this for one input counts as a hang. */
const PER_RUN_MS = 250;
const INTERNAL = /Cannot (read|set) propert|is not a function|is not iterable|is not defined|Cannot convert|Invalid array length|Maximum call stack|out of memory/i;

function clearError(e: unknown, ok: (e: Error) => boolean): void {
  if (!(e instanceof Error) || !ok(e) || INTERNAL.test(e.message)) throw e;
}

function timed(fn: () => void): void {
  const started = performance.now();
  fn();
  expect(performance.now() - started).toBeLessThan(PER_RUN_MS);
}

/** Edits of a JSON object tree: set a (possibly new) key at a random path to a random value, or delete one. */
function mutateJson(root: unknown, path: number[], value: unknown, remove: boolean, key: string): unknown {
  const copy = structuredClone(root);
  let node = copy as Record<string, unknown>;
  for (const step of path) {
    if (typeof node !== 'object' || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const next = node[keys[step % keys.length]];
    if (typeof next !== 'object' || next === null) {
      if (remove) delete node[keys[step % keys.length]];
      else node[keys[step % keys.length]] = value;
      return copy;
    }
    node = next as Record<string, unknown>;
  }
  if (typeof node === 'object' && node !== null) {
    if (remove) delete node[key];
    else node[key] = value;
  }
  return copy;
}

const jsonEdit = fc.record({
  path: fc.array(fc.nat(), { maxLength: 5 }),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(4e9, 1e8, -1, 1.5, 1e300, '', '01', null, [], {}, 2 ** 53)),
  remove: fc.boolean(),
  key: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'shape', 'dtype', 'data_offsets', '__metadata__', 'id2label', 'num_labels', 'vocab')),
});

describe('fuzzing the safetensors parser', () => {
  const valid = writeSafetensors(tinyTensors());
  const n = Number(new DataView(valid.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(valid.subarray(8, 8 + n))) as Record<string, unknown>;
  const data = valid.subarray(8 + n);
  const isOurs = (e: Error) => e instanceof WeightsError && e.message.startsWith('m.safetensors');

  const parse = (bytes: Uint8Array) => {
    const length = readHeaderLength('m.safetensors', bytes.subarray(0, 8), bytes.byteLength);
    parseHeader('m.safetensors', bytes.subarray(8, 8 + length), bytes.byteLength);
  };

  it('random byte edits, cuts and length fields: parse or a WeightsError naming the file', () => {
    const edit = fc.record({
      flips: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 8 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      length: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }),
    });
    fc.assert(fc.property(edit, ({ flips, cut, length }) => {
      let bytes = valid.slice();
      for (const [at, b] of flips) bytes[at % bytes.length] = b;
      if (length !== undefined) new DataView(bytes.buffer).setBigUint64(0, length, true);
      if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1));
      timed(() => {
        try {
          parse(bytes);
        } catch (e) {
          clearError(e, isOurs);
        }
      });
    }), budget(1500));
  });

  it('random header JSON edits: parse or a WeightsError naming the file', () => {
    fc.assert(fc.property(jsonEdit, ({ path, value, remove, key }) => {
      const text = JSON.stringify(mutateJson(header, path, value, remove, key));
      timed(() => {
        try {
          parse(rawSafetensors(text, data));
        } catch (e) {
          clearError(e, isOurs);
        }
      });
    }), budget(1500));
  });

  it('streaming a mutated file: the header checks, then the data, end in success or a WeightsError', async () => {
    await fc.assert(fc.asyncProperty(jsonEdit, fc.nat(), async ({ path, value, remove, key }, chunk) => {
      const bytes = rawSafetensors(JSON.stringify(mutateJson(header, path, value, remove, key)), data);
      const started = performance.now();
      try {
        await streamSafetensors(bytesSource('m.safetensors', bytes, 1 + (chunk % 97)), () => ({ write: () => undefined, end: () => undefined }), { storage: 'f32' });
      } catch (e) {
        clearError(e, isOurs);
      }
      expect(performance.now() - started).toBeLessThan(PER_RUN_MS * 4);
    }), budget(1500));
  });
});

describe('fuzzing the config.json parser', () => {
  it('random field edits: a config or a WeightsError (code config) naming the file', () => {
    fc.assert(fc.property(jsonEdit, ({ path, value, remove, key }) => {
      const config = mutateJson(tinyConfig, path, value, remove, key);
      timed(() => {
        try {
          parseBertConfig(JSON.stringify(config), 'm/config.json');
        } catch (e) {
          clearError(e, (err) => err instanceof WeightsError && err.code === 'config' && err.message.startsWith('m/config.json: '));
        }
      });
    }), budget(1500));
  });
});

describe('fuzzing the tokenizer file parsers', () => {
  const tokenizerError = (e: Error) => (e instanceof TypeError || e instanceof RangeError) && /^BertTokenizer\.from(TokenizerJson|Vocab): /.test(e.message);

  it('tokenizer.json and tokenizer_config.json edits: a tokenizer that encodes, or a clear TypeError', () => {
    const config = { do_lower_case: true, model_max_length: 8, mask_token: '[MASK]' };
    fc.assert(fc.property(jsonEdit, jsonEdit, fc.boolean(), (tj, tc, editConfig) => {
      const json = mutateJson(tinyTokenizerJson(), tj.path, tj.value, tj.remove, tj.key);
      const cfg = editConfig ? mutateJson(config, tc.path, tc.value, tc.remove, tc.key) as Record<string, unknown> : config;
      timed(() => {
        let tok: BertTokenizer;
        try {
          tok = BertTokenizer.fromTokenizerJson(JSON.stringify(json), cfg);
        } catch (e) {
          clearError(e, tokenizerError);
          return;
        }
        const e = tok.encode('a b [MASK] abc', 'k j');
        for (const id of e.ids) expect(tok.idToToken(id), `id ${id} decodes`).toBeDefined();
      });
    }), budget(1500));
  });

  it('vocab.txt: random lines, duplicates and line ends: a tokenizer or a clear TypeError', () => {
    const line = fc.oneof(fc.constantFrom(...TINY_TOKENS, '', ' ', '##a', '[UNK]'), fc.string({ unit: 'binary', maxLength: 5 }));
    const ending = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(fc.property(fc.array(fc.tuple(line, ending), { maxLength: 30 }), (lines) => {
      const text = lines.map(([l, end]) => l + end).join('');
      timed(() => {
        let tok: BertTokenizer;
        try {
          tok = BertTokenizer.fromVocab(text);
        } catch (e) {
          clearError(e, tokenizerError);
          return;
        }
        for (const id of tok.encode('a b c d', 'e').ids) expect(tok.idToToken(id)).toBeDefined();
      });
    }), budget(1000));
  });
});
