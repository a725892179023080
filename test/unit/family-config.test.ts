// Family configs through the public paths: an unsupported position_embedding_type is refused from config.json alone,
// over a real HTTP server, before any weight byte is asked for (every family); BERT-large and bert-base-chinese shaped
// configs validate and `bertgpu plan` (a real child process, no weights, no GPU) lays out their forwards; each family
// plans from its config alone.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProvider } from '../../src/hub/files.ts';
import { loadBert } from '../../src/model/load.ts';
import { headOf, parseBertConfig } from '../../src/model/config.ts';
import { fillMaskTask } from '../../src/tasks/fill-mask.ts';
import { questionAnsweringTask } from '../../src/tasks/question-answering.ts';
import { tokenClassificationTask } from '../../src/tasks/token-classification.ts';
import { planDump } from '../../src/model/plan-dump.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { setFile, startServer, type TestServer } from '../helpers/http-server.ts';
import { fixturesDir } from '../model/fixture.ts';

const FAMILIES = ['distilbert', 'roberta', 'electra', 'albert'];
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
  for (const family of FAMILIES) {
    const dir = join(fixturesDir, `tiny-${family}`);
    const config = { ...JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), position_embedding_type: 'relative_key' };
    // The BPE/Unigram fixtures (roberta, albert) have no vocab.txt, as their real checkpoints.
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'model.safetensors'].filter((n) => existsSync(join(dir, n)))) {
      setFile(server, `/org/${family}-relative/resolve/main/${f}`, new Uint8Array(readFileSync(join(dir, f))));
    }
    setFile(server, `/org/${family}-relative/resolve/main/config.json`, JSON.stringify(config));
  }
});
afterAll(() => server.close());

describe('position_embedding_type other than absolute', () => {
  for (const family of FAMILIES) {
    it(`${family}: a clear error naming the key, before any weight is requested`, async () => {
      server.log.length = 0;
      const gpu = await getTestGpu();
      await expect(loadBert(gpu, httpProvider(`org/${family}-relative`, { endpoint: server.url })))
        .rejects.toThrow(new RegExp(`config\\.json: position_embedding_type "relative_key" is not supported \\(only "absolute"; ${family} `));
      expect(server.log.some((r) => r.path.endsWith('/config.json'))).toBe(true);
      expect(server.log.filter((r) => r.path.includes('safetensors'))).toEqual([]);
    });
  }
});

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');

function plan(config: object, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bertgpu-family-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'plan', '--model', dir, '--json', ...args],
      { env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'bertgpu-cli-')), VK_DRIVER_FILES: '/nonexistent/icd.json' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('bertgpu plan hung')); }, 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

// bert-large-uncased's and bert-base-chinese's config.json as published (sizes, vocabularies, heads).
const bertLarge = { architectures: ['BertForMaskedLM'], model_type: 'bert', hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16,
  intermediate_size: 4096, max_position_embeddings: 512, vocab_size: 30522, type_vocab_size: 2, hidden_act: 'gelu', layer_norm_eps: 1e-12, pad_token_id: 0 };
const bertChinese = { architectures: ['BertForMaskedLM'], model_type: 'bert', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
  intermediate_size: 3072, max_position_embeddings: 512, vocab_size: 21128, type_vocab_size: 2, hidden_act: 'gelu', layer_norm_eps: 1e-12,
  pad_token_id: 0, directionality: 'bidi', pooler_fc_size: 768, pooler_num_attention_heads: 12, pooler_num_fc_layers: 3,
  pooler_size_per_head: 128, pooler_type: 'first_token_transform' };

describe('real shapes validate and plan without weights', () => {
  for (const [name, config, layers] of [['BERT-large', bertLarge, 24], ['bert-base-chinese', bertChinese, 12]] as const) {
    it(`${name}: config and bertgpu plan`, async () => {
      const c = parseBertConfig(config);
      expect(c).toMatchObject({ numHiddenLayers: layers, headSize: 64, vocabSize: config.vocab_size });
      const r = await plan(config, ['--batch', '2', '--tokens', '128']);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('bertgpu:'))).toEqual([]);
      expect(r.code).toBe(0);
      const got = JSON.parse(r.stdout);
      expect(got.dispatches).toEqual(planDump(c, { B: 2, T: 128 }).dispatches);
      expect(got.totals.dispatchesPerLayer).toBe(7);  // software profile, f32
    });
  }

  it('every family plans from config.json alone (RoBERTa refuses more tokens than its positions serve)', async () => {
    for (const family of FAMILIES) {
      const config = JSON.parse(readFileSync(join(fixturesDir, `tiny-${family}`, 'config.json'), 'utf8'));
      const r = await plan(config, ['--batch', '1', '--tokens', '16']);
      expect(r.code, `${family}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).dispatches).toEqual(planDump(parseBertConfig(config), { B: 1, T: 16 }).dispatches);
    }
    const roberta = JSON.parse(readFileSync(join(fixturesDir, 'tiny-roberta', 'config.json'), 'utf8'));
    const long = await plan(roberta, ['--batch', '1', '--tokens', '39']);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/^bertgpu: .*39 .*max_position_embeddings \(38\)/m);
  });
});

describe('tasks name the family\'s head class when a model lacks it', () => {
  it('fill-mask, token-classification and question-answering', () => {
    const config = parseBertConfig(readFileSync(join(fixturesDir, 'tiny-roberta', 'config.json'), 'utf8'));
    const m = { label: 'tiny-roberta', config, head: headOf(config) };
    expect(() => fillMaskTask.checkModel!(m)).toThrow(/fill-mask needs RobertaForMaskedLM\)$/);
    expect(() => tokenClassificationTask.checkModel!(m)).toThrow(/token-classification needs RobertaForTokenClassification$/);
    expect(() => questionAnsweringTask.checkModel!(m)).toThrow(/question-answering needs RobertaForQuestionAnswering$/);
    const albert = parseBertConfig(readFileSync(join(fixturesDir, 'tiny-albert', 'config.json'), 'utf8'));
    expect(() => fillMaskTask.checkModel!({ label: 'a', config: albert, head: 'base' })).toThrow(/needs AlbertForMaskedLM or AlbertForPreTraining\)$/);
  });
});

describe('checkpoint names per family', () => {
  it("a base model's own file (no family prefix) and a file keeping only the tied decoder copy both load", async () => {
    const { expectedWeights } = await import('../../src/model/config.ts');
    const { planWeightNames } = await import('../../src/weights/names.ts');
    for (const [family, decoder] of [['roberta', 'lm_head.decoder.weight'], ['distilbert', 'vocab_projector.weight'],
      ['electra', 'generator_lm_head.weight'], ['albert', 'predictions.decoder.weight']] as const) {
      const config = parseBertConfig(readFileSync(join(fixturesDir, `tiny-${family}`, 'config.json'), 'utf8'));
      const base = expectedWeights(config, 'base').filter((w) => !w.optional);
      const stripped = new Map(base.map((w) => [w.name.replace(`${family}.`, ''), { shape: w.shape, file: 'm.safetensors' }]));
      expect(planWeightNames(stripped, base).map.size, family).toBe(base.length);
      const mlm = expectedWeights(config, 'masked-lm').filter((w) => !w.optional);
      const word = `${family}.embeddings.word_embeddings.weight`;
      const available = new Map(mlm.map((w) => [w.name === word ? decoder : w.name, { shape: w.shape, file: 'm.safetensors' }]));
      expect(planWeightNames(available, mlm).map.get(word), family).toBe(decoder);
    }
  });
});
