// The benchmark's inputs: B texts of T − 2 single-letter words. A single character is always one WordPiece token
// (itself, or [UNK] where the vocabulary lacks it), so with [CLS] and [SEP] each text is exactly T tokens on every BERT
// tokenizer, cased or not. The same texts as the bench page's (demo/src/bench-run.ts benchTexts), so Node and browser
// numbers time the same work; each side's token count is checked before timing.
export function benchTexts(B: number, T: number): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: B }, (_, b) => Array.from({ length: T - 2 }, (_, i) => letters[(b * 7 + i * 11) % 26]).join(' '));
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmtMs = (ms: number): string => (Number.isNaN(ms) ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
