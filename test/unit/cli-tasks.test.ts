// The task commands added with the registry-driven CLI (zero-shot, similarity, ner, qa), as a user runs them: a real
// child process on the committed fixtures. Each line's --json object must equal what bertgpu/node's pipeline() gives
// for that input in-process (the pipeline itself is held to HF / transformers.js by compat-tjs and the task tests):
// the CLI formats the pipeline's results, it does not compute its own. similarity is checked against PyTorch.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cos_sim, pipeline } from '../../src/node.ts';
import { fixturesDir, readReference, validRows } from '../model/fixture.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');
const mesaShaderCache = process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');

interface Run { code: number | null; stdout: string; stderr: string }

function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'bertgpu-cli-')), MESA_SHADER_CACHE_DIR: mesaShaderCache };
    const child = spawn(process.execPath, [bin, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    if (stdin !== undefined) child.stdin.end(stdin);
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`bertgpu ${args.join(' ')} hung`)); }, 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const bertgpuLines = (s: string) => s.split('\n').filter((l) => l.startsWith('bertgpu:'));

/** tiny-bert with NLI labels (same weights): a zero-shot model. */
let nli: string;
beforeAll(() => {
  nli = join(mkdtempSync(join(tmpdir(), 'bertgpu-nli-')), 'tiny-bert-nli');
  mkdirSync(nli);
  const src = join(fixturesDir, 'tiny-bert');
  for (const f of ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) copyFileSync(join(src, f), join(nli, f));
  const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
  config.id2label = { 0: 'contradiction', 1: 'neutral', 2: 'entailment' };
  config.label2id = { contradiction: 0, neutral: 1, entailment: 2 };
  writeFileSync(join(nli, 'config.json'), JSON.stringify(config));
});

const texts = ['the match went to extra time', 'taxes rise again', 'the movie was great fun'];

describe('bertgpu zero-shot', () => {
  it('--json: one { sequence, labels, scores } per line, equal to the pipeline (exclusive, multi-label, template)', async () => {
    const zs = await pipeline('zero-shot-classification', nli, { dtype: 'f32' });
    try {
      for (const [flags, options] of [
        [[], {}],
        [['--multi-label'], { multi_label: true }],
        [['--template', 'The topic is {}.'], { hypothesis_template: 'The topic is {}.' }],
      ] as const) {
        const r = await cli(['zero-shot', '--model', nli, '--labels', 'sport, politics,cooking', '--json', ...flags, ...texts]);
        expect(r.code, r.stderr).toBe(0);
        expect(jsonLines(r.stdout)).toEqual(await zs(texts, ['sport', 'politics', 'cooking'], options));
      }
      const plain = await cli(['zero-shot', '--model', nli, '--labels', 'sport,politics', texts[0]]);
      expect(plain.stdout).toMatch(/^(sport|politics) \d\.\d{4} {2}(sport|politics) \d\.\d{4}\n$/);
    } finally {
      await zs.dispose();
    }
  });

  it('usage errors exit 2 before any model loads: no --labels, a template without {}, a TAB line exits 1', async () => {
    for (const args of [['zero-shot', '--model', nli, 'x'], ['zero-shot', '--model', nli, '--labels', 'a,b', '--template', 'no slot', 'x'],
      ['similarity', '--model', nli, '--labels', 'a', 'x'], ['embed', '--model', nli, '--kernel-profile', 'tpu', 'x']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(bertgpuLines(r.stderr), args.join(' ')).toHaveLength(1);
    }
    const tab = await cli(['zero-shot', '--model', nli, '--labels', 'a,b', '--file', '-'], 'one\ntwo\tthree\n');
    expect(tab.code).toBe(1);
    expect(bertgpuLines(tab.stderr)).toEqual(['bertgpu: zero-shot takes single texts; input 2 has a TAB (text pair)']);
  });
});

describe('bertgpu similarity', () => {
  it('"a<TAB>b" → cosine of the mean-pooled PyTorch hidden states (1e-4); a line without a TAB names its input', async () => {
    const tiny = join(fixturesDir, 'tiny-bert');
    const singles = readReference('tiny-bert').cases.filter((c) => c.text.length === 1 && !c.textPair);
    const mean = (c: (typeof singles)[number]) => {
      const C = c.lastHiddenState.dims[2];
      const valid = validRows(c.lastHiddenState.data, c.attentionMask, C);
      const n = valid.length / C;
      return Array.from({ length: C }, (_, j) => valid.filter((_, i) => i % C === j).reduce((a, b) => a + b, 0) / n);
    };
    const pairs = [[singles[0], singles[1]], [singles[1], singles[2]], [singles[0], singles[0]]];
    const r = await cli(['similarity', '--model', tiny, '--json', '--file', '-'], pairs.map(([a, b]) => `${a.text[0]}\t${b.text[0]}`).join('\n'));
    expect(r.code, r.stderr).toBe(0);
    const rows = jsonLines(r.stdout) as { similarity: number; truncated: boolean }[];
    expect(rows).toHaveLength(3);
    rows.forEach((row, i) => {
      expect(row.similarity).toBeCloseTo(cos_sim(mean(pairs[i][0]), mean(pairs[i][1])), 4);
      expect(row.truncated).toBe(pairs[i][0].truncated || pairs[i][1].truncated);
    });
    const bad = await cli(['similarity', '--model', tiny, '--file', '-'], 'a\tb\nno tab here\n');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^-?\d\.\d{4}\n$/); // the line before the bad one was written
    expect(bertgpuLines(bad.stderr)).toEqual(['bertgpu: input 2: similarity needs two texts separated by a TAB']);
  });
});

describe('bertgpu ner and qa', () => {
  const ner = join(fixturesDir, 'tiny-bert-ner');
  const qa = join(fixturesDir, 'tiny-bert-qa');
  const nerTexts = (JSON.parse(readFileSync(join(ner, 'reference.json'), 'utf8')) as { cases: { text: string }[] }).cases
    .map((c) => c.text).filter((t) => t.length > 0 && !t.includes('\n') && !t.includes('\t')).slice(0, 3);
  const qaCases = (JSON.parse(readFileSync(join(qa, 'reference.json'), 'utf8')) as { cases: { question: string; context: string }[] }).cases
    .filter((c) => !`${c.question}${c.context}`.includes('\n') && !`${c.question}${c.context}`.includes('\t')).slice(0, 3);
  let pipes: { dispose(): Promise<void> }[] = [];
  afterAll(async () => { for (const p of pipes) await p.dispose(); pipes = []; });

  it('ner --json: { entities } per line, equal to the pipeline for each aggregation strategy', async () => {
    const p = await pipeline('ner', ner, { dtype: 'f32' });
    pipes.push(p);
    for (const strategy of ['simple', 'none', 'max'] as const) {
      const r = await cli(['ner', '--model', ner, '--json', '--aggregation-strategy', strategy, ...nerTexts]);
      expect(r.code, r.stderr).toBe(0);
      const got = jsonLines(r.stdout).map((l) => l.entities);
      for (let i = 0; i < nerTexts.length; i++) expect(got[i], `${strategy}: ${nerTexts[i]}`).toEqual(await p(nerTexts[i], { aggregation_strategy: strategy }));
    }
    const wrong = await cli(['ner', '--model', ner, '--aggregation-strategy', 'biggest', 'x']);
    expect(wrong.code).toBe(2);
  });

  it('qa --json: the best answer (and --top-k answers as top) per "question<TAB>context" line, equal to the pipeline', async () => {
    const p = await pipeline('question-answering', qa, { dtype: 'f32' });
    pipes.push(p);
    const input = qaCases.map((c) => `${c.question}\t${c.context}`).join('\n');
    const r = await cli(['qa', '--model', qa, '--json', '--file', '-'], input);
    expect(r.code, r.stderr).toBe(0);
    const rows = jsonLines(r.stdout);
    for (let i = 0; i < qaCases.length; i++) expect(rows[i]).toEqual(await p(qaCases[i].question, qaCases[i].context));
    const top = await cli(['qa', '--model', qa, '--json', '--top-k', '2', '--file', '-'], input);
    const topRows = jsonLines(top.stdout);
    for (let i = 0; i < qaCases.length; i++) {
      const want = await p(qaCases[i].question, qaCases[i].context, { top_k: 2 });
      const list = Array.isArray(want) ? want : [want];
      expect(topRows[i]).toEqual({ ...list[0], top: list });
    }
    const noTab = await cli(['qa', '--model', qa, 'just a question']);
    expect(noTab.code).toBe(1);
    expect(bertgpuLines(noTab.stderr)).toEqual(['bertgpu: input 1: qa needs "question<TAB>context"']);
  });
});
