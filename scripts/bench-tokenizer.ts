// npm run bench:tokenizer — tokens/s of our BertTokenizer, @huggingface/tokenizers (pure JS) and the HF Rust binding
// (npm tokenizers) on the same corpora in one run, rounds interleaved, medians; parity of each JS implementation with
// the Rust one on those corpora; and the gzipped bundle size of each JS module (esbuild, minified).
//
// Each round builds fresh tokenizers (outside the timing) so per-word caches start cold every round.
import { gzipSync } from 'node:zlib';
import { Tokenizer as HfJsTokenizer } from '@huggingface/tokenizers';
import { build } from 'esbuild';
import { Tokenizer as RustTokenizer } from 'tokenizers';
import { BertTokenizer } from '../src/tokenizer/index.ts';
import { buildCorpus } from '../test/fixtures/tokenizer/corpus.ts';
import { tokenizerConfig, tokenizerJson, vocabText } from '../test/fixtures/tokenizer/reference.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 7);

function englishCorpus(n: number): string[] {
  // Plain prose-like text: the common case for a BERT demo (classification, embeddings).
  const words = ('the of and to in is was for that with as on by at from his her it an were are which this be or has ' +
    'had not but have their one its after first new two also who been they more year would other when into time ' +
    'city world university government american national history music school family war company season team ' +
    'transformers tokenization unbelievable reconsidered internationalization photosynthesis').split(' ');
  let seed = 42;
  const r = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => {
    const len = 8 + Math.floor(r() * 40);
    const out: string[] = [];
    for (let i = 0; i < len; i++) {
      let w = words[Math.floor(r() * words.length)];
      if (i === 0 || r() < 0.05) w = w[0].toUpperCase() + w.slice(1);
      out.push(w + (r() < 0.08 ? ',' : ''));
    }
    return `${out.join(' ')}.`;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function gzippedBundle(contents: string): Promise<number> {
  const out = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent',
    mainFields: ['module', 'main'],
  });
  return gzipSync(out.outputFiles[0].contents, { level: 9 }).length;
}

async function main(): Promise<void> {
  const vocab = vocabText();
  const json = tokenizerJson(vocab, false);
  const config = tokenizerConfig(false);
  const corpora: [string, string[]][] = [['english prose', englishCorpus(3000)], ['mixed parity corpus', buildCorpus(1234, 2200)]];
  const chars = (c: string[]) => c.reduce((n, s) => n + s.length, 0);

  console.log(`node ${process.version}, ${ROUNDS} rounds, medians; tokens counted with [CLS]/[SEP]`);
  for (const [name, corpus] of corpora) {
    const times: Record<string, number[]> = { ours: [], 'hf-js': [], rust: [] };
    let tokens = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const ours = BertTokenizer.fromVocab(vocab, config);
      const hf = new HfJsTokenizer(json, config);
      const rust = RustTokenizer.fromString(JSON.stringify(json));
      let t0 = performance.now();
      let n = 0;
      for (const s of corpus) n += ours.encode(s).ids.length;
      times.ours.push(performance.now() - t0);
      tokens = n;
      t0 = performance.now();
      for (const s of corpus) hf.encode(s);
      times['hf-js'].push(performance.now() - t0);
      t0 = performance.now();
      await rust.encodeBatch(corpus); // native, may use several threads
      times.rust.push(performance.now() - t0);
    }
    console.log(`\n${name}: ${corpus.length} strings, ${chars(corpus)} UTF-16 units, ${tokens} tokens`);
    for (const [impl, ts] of Object.entries(times)) {
      const ms = median(ts);
      console.log(`  ${impl.padEnd(6)} ${ms.toFixed(1).padStart(8)} ms  ${Math.round((tokens / ms) * 1000).toLocaleString('en-US').padStart(12)} tokens/s`);
    }
    console.log(`  ours / hf-js speed: ${(median(times['hf-js']) / median(times.ours)).toFixed(2)}×`);

    // Parity on ids (and offsets for ours) against the Rust binding, on this corpus.
    const ours = BertTokenizer.fromVocab(vocab, config);
    const hf = new HfJsTokenizer(json, config);
    const rust = RustTokenizer.fromString(JSON.stringify(json));
    const want = await rust.encodeBatch(corpus);
    let oursBad = 0;
    let hfBad = 0;
    corpus.forEach((s, i) => {
      const w = want[i].getIds().join();
      if (ours.encode(s).ids.join() !== w) oursBad++;
      if (hf.encode(s).ids.join() !== w) hfBad++;
    });
    console.log(`  ids ≠ Rust: ours ${oursBad}/${corpus.length}, hf-js ${hfBad}/${corpus.length}`);
  }

  const oursGz = await gzippedBundle("export { BertTokenizer } from './src/tokenizer/tokenizer.ts';");
  const oursAllGz = await gzippedBundle("export * from './src/tokenizer/index.ts';");
  const tablesGz = await gzippedBundle("export * from './src/tokenizer/unicode-tables.ts';");
  const hfGz = await gzippedBundle("export { Tokenizer } from '@huggingface/tokenizers';");
  console.log('\nbundle (esbuild, minified, gzip -9):');
  console.log(`  ours BertTokenizer     ${(oursGz / 1024).toFixed(1)} kB  (of which Unicode tables ${(tablesGz / 1024).toFixed(1)} kB)`);
  console.log(`  ours + worker client   ${(oursAllGz / 1024).toFixed(1)} kB`);
  console.log(`  @huggingface/tokenizers ${(hfGz / 1024).toFixed(1)} kB`);
}

await main();
