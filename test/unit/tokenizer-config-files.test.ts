// What the tokenizer takes from the files beside tokenizer.json: tokenizer_config.json's clean_up_tokenization_spaces
// (transformers' Python-side cleanup in decode, for the ByteLevel/Metaspace decoders; WordPiece keeps its own), the
// public subword markers token-classification reads, and special_tokens_map.json errors naming that file.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { dirProvider } from '../../src/hub/node-files.ts';
import { openModel } from '../../src/hub/model.ts';
import { loadTokenizerFromFiles } from '../../src/model/load.ts';
import { prepareTokenizerJson } from '../../src/tokenizer/pipeline-models.ts';
import { BertTokenizer } from '../../src/tokenizer/tokenizer.ts';
import { fixturesDir } from '../model/fixture.ts';

const readJson = (folder: string, file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(fixturesDir, folder, file), 'utf8')) as Record<string, unknown>;

/** transformers' PreTrainedTokenizerBase.clean_up_tokenization, transcribed. */
const hfCleanUp = (s: string): string => s.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!')
  .replaceAll(' ,', ',').replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m")
  .replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");

async function load(folder: string, withConfig = true): Promise<BertTokenizer> {
  const json = readJson(folder, 'tokenizer.json');
  await prepareTokenizerJson(json);
  return BertTokenizer.fromTokenizerJson(json, withConfig ? readJson(folder, 'tokenizer_config.json') : {});
}

const TEXTS = ["The answer is per . Isn't it ? Yes , it 's fine !", "we 're here , they 've gone and i 'm ' ok '"];

describe('decode and clean_up_tokenization_spaces', () => {
  for (const folder of ['tiny-xlm-roberta', 'tiny-albert', 'tiny-roberta']) {
    it(`${folder}: decode = HF Rust decode, then transformers' cleanup when tokenizer_config.json asks`, async () => {
      const clean = readJson(folder, 'tokenizer_config.json').clean_up_tokenization_spaces === true;
      const tok = await load(folder);
      const rust = Tokenizer.fromFile(join(fixturesDir, folder, 'tokenizer.json'));
      for (const text of TEXTS) {
        const ids = Array.from(tok.encode(text).ids);
        for (const skip of [true, false]) {
          const raw = await rust.decode(ids, skip);
          const want = clean ? hfCleanUp(raw) : raw;
          expect(tok.decode(ids, { skipSpecialTokens: skip }), `${folder} ${text}`).toBe(want);
          // Without tokenizer_config.json: no Python cleanup, the Rust decode as is.
          expect((await load(folder, false)).decode(ids, { skipSpecialTokens: skip })).toBe(raw);
        }
      }
    });
  }

  it('XLM-R and ALBERT: "is per ." reads "is per." (their configs set clean_up_tokenization_spaces)', async () => {
    for (const folder of ['tiny-xlm-roberta', 'tiny-albert']) {
      const tok = await load(folder);
      const got = tok.decode(tok.encode('the answer is per .').ids, { skipSpecialTokens: true });
      expect(got, folder).toBe('the answer is per.');
    }
  });

  it('WordPiece: decode unchanged (the decoder cleanup alone, HF Rust parity)', async () => {
    for (const folder of ['tiny-distilbert', 'tiny-electra']) {
      const tok = BertTokenizer.fromTokenizerJson(readJson(folder, 'tokenizer.json'), readJson(folder, 'tokenizer_config.json'));
      const rust = Tokenizer.fromFile(join(fixturesDir, folder, 'tokenizer.json'));
      for (const text of TEXTS) {
        const ids = Array.from(tok.encode(text).ids);
        expect(tok.decode(ids, { skipSpecialTokens: true }), `${folder} ${text}`).toBe(await rust.decode(ids, true));
      }
    }
  });
});

describe('public subword markers', () => {
  it("WordPiece '##'; RoBERTa's BPE '' and Unigram none; Metaspace's ▁ word-start marker", async () => {
    const wp = BertTokenizer.fromTokenizerJson(readJson('tiny-distilbert', 'tokenizer.json'));
    expect([wp.continuingSubwordPrefix, wp.wordStartMarker, wp.unkToken]).toEqual(['##', null, '[UNK]']);
    const bpe = await load('tiny-roberta');
    // RoBERTa's tokenizer.json writes continuing_subword_prefix "": falsy, as HF's pipeline reads it.
    expect([bpe.continuingSubwordPrefix, bpe.wordStartMarker, bpe.unkToken]).toEqual(['', null, '<unk>']);
    for (const folder of ['tiny-xlm-roberta', 'tiny-albert']) {
      const uni = await load(folder);
      expect([uni.continuingSubwordPrefix, uni.wordStartMarker, uni.unkToken], folder).toEqual([null, '\u2581', '<unk>']);
    }
  });

  it('a BPE with a continuing_subword_prefix reports it', async () => {
    const json = readJson('tiny-roberta', 'tokenizer.json') as { model: Record<string, unknown> };
    // No merges: with a prefix, RoBERTa's merges would name tokens its vocabulary lacks.
    json.model.continuing_subword_prefix = '##';
    json.model.merges = [];
    expect((await load('tiny-roberta')).continuingSubwordPrefix).toBe('');
    await prepareTokenizerJson(json);
    expect(BertTokenizer.fromTokenizerJson(json).continuingSubwordPrefix).toBe('##');
  });
});

describe('special_tokens_map.json', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a bad special token there is reported against special_tokens_map.json, not tokenizer_config.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertgpu-stmap-'));
    dirs.push(dir);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(fixturesDir, 'tiny-albert', f), join(dir, f));
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ ...readJson('tiny-albert', 'special_tokens_map.json'), mask_token: 5 }));
    const files = await openModel(dirProvider(dir));
    const err = await loadTokenizerFromFiles(files).then(() => null, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/special_tokens_map\.json mask_token: must be a token .*got 5/);
    expect(err?.message).not.toMatch(/tokenizer_config\.json/);
  });
});
