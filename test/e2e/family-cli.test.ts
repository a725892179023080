// `bertgpu classify | tokenize | embed | fill-mask --json` (and ner, qa, zero-shot) on every family fixture as a
// user runs them (a child process, node bin/bertgpu.js), with the same JSON contracts as for BERT: tokenize's ids,
// type ids, mask and offsets equal HF Rust's; classify's logits, embed's mean-pooled vector and fill-mask's top 5
// equal the float64 PyTorch reference (text-reference.json) within 1e-4; ner and qa equal HF's pipeline outputs (BPE
// and Unigram); zero-shot reads the sequence head as NLI; Chinese text on tiny-bert-chinese; --device cpu.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';
import { familyAs, removeFamilyVariants } from '../model/family-variants.ts';
import { FAMILIES, MASK_TOKEN, readTextReference, type TextCase } from '../model/family-text.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');
const mesaShaderCache = process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
const TOL = { atol: 1e-4, rtol: 0 };
const LABELS = ['negative', 'neutral', 'positive'];

interface Run { code: number; stdout: string; stderr: string }

function cli(args: string[]): Promise<Run> {
  const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'bertgpu-family-cli-')), MESA_SHADER_CACHE_DIR: mesaShaderCache };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const inputFile = (lines: string[]): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'bertgpu-in-')), 'inputs.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
};
/** One line per row of these cases (a TAB before the pair), and each row's case and index. */
const rowsOf = (cases: TextCase[]) => cases.flatMap((c) => c.text.map((t, r) => ({ c, r, line: c.textPair ? `${t}\t${c.textPair[r]}` : t })));
const rowOf = (data: number[], rows: number, r: number) => data.slice((r * data.length) / rows, ((r + 1) * data.length) / rows);

async function ok(args: string[]): Promise<Array<Record<string, unknown>>> {
  const run = await cli(args);
  // Dawn prints adapter warnings on stderr; no line of bertgpu's own may appear.
  expect(run.stderr.split('\n').filter((l) => l.startsWith('bertgpu')), args.join(' ')).toEqual([]);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return jsonLines(run.stdout);
}

/** Structure exactly; non-integer numbers (scores) within 1e-4. */
function expectSame(got: unknown, want: unknown, path: string): void {
  if (typeof want === 'number' && (!Number.isInteger(want) || (typeof got === 'number' && !Number.isInteger(got)))) {
    expect(Math.abs((got as number) - want), `${path}: ${String(got)} vs ${want}`).toBeLessThanOrEqual(1e-4);
  } else if (Array.isArray(want)) {
    expect((got as unknown[]).length, `${path}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`).toBe(want.length);
    want.forEach((w, i) => expectSame((got as unknown[])[i], w, `${path}[${i}]`));
  } else if (want && typeof want === 'object') {
    expect(Object.keys(got as object).sort(), `${path} keys`).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectSame((got as Record<string, unknown>)[k], w, `${path}.${k}`);
  } else {
    expect(got, path).toEqual(want);
  }
}

afterAll(removeFamilyVariants);

describe.each(FAMILIES)('bertgpu CLI on %s', (folder) => {
  const ref = readTextReference(folder);
  const model = join(fixturesDir, folder);
  const named = (n: string) => ref.cases.find((c) => c.name === n)!;

  it('tokenize --json: ids, type ids, mask and offsets as HF Rust; classify --json: logits and scores vs PyTorch', async () => {
    const rows = rowsOf([named('text-single'), named('text-batch'), named('text-pair')]);
    const file = inputFile(rows.map((x) => x.line));
    const [tokens, classes] = await Promise.all([ok(['tokenize', '--model', model, '--json', '--file', file]), ok(['classify', '--model', model, '--json', '--file', file])]);
    expect(tokens).toHaveLength(rows.length);
    expect(classes).toHaveLength(rows.length);
    rows.forEach(({ c, r }, i) => {
      const n = c.tokens[r].length;
      const where = `${folder} ${c.name}[${r}]`;
      expect(tokens[i].ids, where).toEqual(c.inputIds[r].slice(0, n));
      expect(tokens[i].attentionMask, where).toEqual(c.attentionMask[r].slice(0, n));
      expect(tokens[i].tokenTypeIds, where).toEqual(c.tokenTypeIds[r].slice(0, n));
      expect(tokens[i].offsets, where).toEqual(c.offsets[r]);
      const logits = rowOf(c.logits!.data, c.text.length, r);
      expectClose(`${where} logits`, classes[i].logits as number[], logits, TOL);
      const scores = softmax(logits);
      expectClose(`${where} scores`, LABELS.map((l) => (classes[i].scores as Record<string, number>)[l]), scores, TOL);
      expect(classes[i].label).toBe(LABELS[scores.indexOf(Math.max(...scores))]);
    });
  });

  it('embed --json: the mean over real tokens of the last hidden state', async () => {
    const c = named('text-batch');
    const got = await ok(['embed', '--model', model, '--json', ...c.text]);
    const [B, T, C] = c.lastHiddenState.dims;
    expect(got).toHaveLength(B);
    got.forEach((row, r) => {
      const n = c.tokens[r].length;
      const h = c.lastHiddenState.data.slice(r * T * C, (r * T + n) * C);
      const mean = Array.from({ length: C }, (_, j) => h.filter((_v, i) => i % C === j).reduce((a, b) => a + b, 0) / n);
      expectClose(`${folder} embed[${r}]`, row.embedding as number[], mean, TOL);
    });
  });

  it(`fill-mask --json with ${MASK_TOKEN[folder]}: the top 5 tokens and scores vs PyTorch`, async () => {
    const c = named('text-fill-mask');
    const got = await ok(['fill-mask', '--model', familyAs(folder, 'ForMaskedLM'), '--json', ...c.text]);
    const [, T, V] = c.mlmLogits!.dims;
    expect(got).toHaveLength(c.text.length);
    got.forEach((line, r) => {
      const at = c.tokens[r].findIndex((t) => t.trim() === MASK_TOKEN[folder]);
      const probs = softmax(c.mlmLogits!.data.slice((r * T + at) * V, (r * T + at + 1) * V));
      const top = probs.map((p, id) => [p, id]).sort((a, b) => b[0] - a[0]).slice(0, 5);
      const preds = (Array.isArray(line) ? line : (line as { predictions?: unknown }).predictions ?? line) as Array<{ token: number; score: number }>;
      expect(preds.map((p) => p.token), `${folder} ${c.text[r]}`).toEqual(top.map((t) => t[1]));
      expectClose(`${folder} ${c.text[r]} scores`, preds.map((p) => p.score), top.map((t) => t[0]), TOL);
    });
  });

  it("ner --json (aggregation simple) and qa --json equal HF's pipelines", async () => {
    const ner = ref.pipelines.tokenClassification.filter((e) => e.aggregation_strategy === 'simple');
    const qa = ref.pipelines.questionAnswering.filter((e) => e.top_k === 1);
    const [gotNer, gotQa] = await Promise.all([
      ok(['ner', '--model', familyAs(folder, 'ForTokenClassification'), '--json', '--file', inputFile(ner.map((e) => e.text))]),
      ok(['qa', '--model', familyAs(folder, 'ForQuestionAnswering'), '--json', '--file', inputFile(qa.map((e) => `${e.question}\t${e.context}`))]),
    ]);
    // The CLI's lines: { entities } for ner, the best answer for qa (as for BERT).
    ner.forEach((e, i) => expectSame(gotNer[i].entities, e.entities, `${folder} ner[${i}]`));
    qa.forEach((e, i) => expectSame(gotQa[i], e.answer, `${folder} qa[${i}]`));
  });

  it('zero-shot --json with the sequence head read as NLI: softmax of the entailment logits across labels', async () => {
    const c = named('text-zero-shot');
    const labels = c.textPair!.map((h) => /This example is (\w+)\./.exec(h)![1]);
    const nli = familyAs(folder, 'ForSequenceClassification', { id2label: { 0: 'contradiction', 1: 'neutral', 2: 'entailment' }, label2id: { contradiction: 0, neutral: 1, entailment: 2 } });
    const [got] = await ok(['zero-shot', '--model', nli, '--labels', labels.join(','), '--json', c.text[0]]);
    const want = softmax(labels.map((_, r) => rowOf(c.logits!.data, c.text.length, r)[2]));
    const order = labels.map((_, i) => i).sort((a, b) => want[b] - want[a]);
    expect(got.labels).toEqual(order.map((i) => labels[i]));
    expectClose(`${folder} zero-shot`, got.scores as number[], order.map((i) => want[i]), TOL);
  });
});

describe('bertgpu CLI on tiny-bert-chinese (bert-base-chinese vocabulary)', () => {
  it('tokenize and classify --json on Chinese text equal HF Rust ids and PyTorch logits', async () => {
    const singles = readReference('tiny-bert-chinese').cases.filter((c) => c.text.length === 1);
    const file = inputFile(singles.map((c) => (c.textPair ? `${c.text[0]}\t${c.textPair[0]}` : c.text[0])));
    const model = join(fixturesDir, 'tiny-bert-chinese');
    const [tokens, classes] = await Promise.all([ok(['tokenize', '--model', model, '--json', '--file', file]), ok(['classify', '--model', model, '--json', '--file', file])]);
    singles.forEach((c, i) => {
      expect(tokens[i].ids, c.name).toEqual(c.inputIds[0]);
      expect(tokens[i].tokenTypeIds, c.name).toEqual(c.tokenTypeIds[0]);
      expectClose(`${c.name} logits`, classes[i].logits as number[], c.logits.data, TOL);
    });
  });

  it('fill-mask --json on Chinese text: the top 5 characters vs PyTorch fp64', async () => {
    const ref = JSON.parse(readFileSync(join(fixturesDir, 'tiny-bert-chinese', 'fill-mask-reference.json'), 'utf8')) as
      { cases: Array<{ text: string; maskPositions: number[]; top10: Array<Array<{ token: number; score: number }>> }> };
    const one = ref.cases.filter((c) => c.maskPositions.length === 1);
    const got = await ok(['fill-mask', '--model', familyAs('tiny-bert-chinese', 'ForMaskedLM'), '--json', ...one.map((c) => c.text)]);
    one.forEach((c, i) => {
      const line = got[i] as unknown;
      const preds = (Array.isArray(line) ? line : (line as { predictions?: unknown }).predictions ?? line) as Array<{ token: number; score: number }>;
      expect(preds.map((p) => p.token), c.text).toEqual(c.top10[0].slice(0, 5).map((w) => w.token));
      expectClose(c.text, preds.map((p) => p.score), c.top10[0].slice(0, 5).map((w) => w.score), TOL);
    });
  });
});

describe('bertgpu classify --device cpu on every family', () => {
  it('the CPU backend (WebAssembly) gives the PyTorch logits for singles and pairs', async () => {
    await Promise.all(FAMILIES.map(async (folder) => {
      const ref = readTextReference(folder);
      const rows = rowsOf(ref.cases.filter((c) => c.name === 'text-single' || c.name === 'text-pair'));
      const got = await ok(['classify', '--device', 'cpu', '--model', join(fixturesDir, folder), '--json', '--file', inputFile(rows.map((x) => x.line))]);
      rows.forEach(({ c, r }, i) => expectClose(`${folder} cpu ${c.name}[${r}]`, got[i].logits as number[], rowOf(c.logits!.data, c.text.length, r), TOL));
    }));
  });
});
