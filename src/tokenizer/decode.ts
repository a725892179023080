// ids → text as HF's Tokenizer::decode with the WordPiece decoder: unknown ids are dropped, special added tokens are
// dropped on request, continuation pieces lose their prefix, other pieces get a leading space, and `cleanup` undoes
// the tokenizer's spacing around punctuation — applied to each piece on its own, exactly as the Rust decoder does.
import type { TokenizerSpec } from './config.ts';

const CLEANUPS: readonly [string, string][] = [
  [' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"], [" 'm", "'m"],
  [' do not', " don't"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"],
];

function cleanup(s: string): string {
  for (const [from, to] of CLEANUPS) if (s.includes(from)) s = s.split(from).join(to);
  return s;
}

export function decodeTokens(tokens: readonly string[], decoder: TokenizerSpec['decoder']): string {
  if (decoder === null) return tokens.join(' ');
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    let t = tokens[i];
    if (i !== 0) t = t.startsWith(decoder.prefix) ? t.replace(decoder.prefix, '') : ` ${t}`;
    out += decoder.cleanup ? cleanup(t) : t;
  }
  return out;
}
