// ids → text as HF's Tokenizer::decode: unknown ids are dropped, special added tokens are dropped on request, then the
// decoder. WordPiece: continuation pieces lose their prefix, other pieces get a leading space, and `cleanup` undoes the
// tokenizer's spacing around punctuation — applied to each piece on its own, exactly as the Rust decoder does.
// ByteLevel: the printable stand-ins back to bytes, decoded as lossy UTF-8 (a token that is not all stand-ins keeps its
// own bytes). Metaspace: ▁ back to a space, the first token's dropped unless the prepend scheme is "never".
import { CHAR_TO_BYTE } from './byte-chars.ts';
import type { DecoderSpec } from './config.ts';

/** The Rust WordPiece decoder's cleanup (tokenizers' decoders::wordpiece::cleanup), in its order. */
const CLEANUPS: readonly [string, string][] = [
  [' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"], [" 'm", "'m"],
  [' do not', " don't"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"],
];
/** transformers' PreTrainedTokenizerBase.clean_up_tokenization: the same replacements, in the same order, less " do not". */
const PYTHON_CLEANUPS = CLEANUPS.filter(([from]) => from !== ' do not');

function cleanup(s: string, rules = CLEANUPS): string {
  for (const [from, to] of rules) if (s.includes(from)) s = s.split(from).join(to);
  return s;
}

/**
 * transformers' decode(..., clean_up_tokenization_spaces=True): the Python-side cleanup over the whole decoded text,
 * applied when tokenizer_config.json sets `clean_up_tokenization_spaces` (XLM-R's and ALBERT's do: "is per ." → "is per.").
 */
export function cleanUpTokenization(text: string): string {
  return cleanup(text, PYTHON_CLEANUPS);
}

const utf8 = new TextEncoder();

function byteLevel(tokens: readonly string[]): string {
  const bytes: number[] = [];
  for (const t of tokens) {
    const mapped: number[] = [];
    let all = true;
    for (const ch of t) {
      const b = CHAR_TO_BYTE.get(ch.codePointAt(0) as number);
      if (b === undefined) {
        all = false;
        break;
      }
      mapped.push(b);
    }
    bytes.push(...(all ? mapped : utf8.encode(t)));
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** `{ prefix, cleanup }` without a kind is the WordPiece decoder (src/tasks passes that shape). */
export function decodeTokens(tokens: readonly string[], decoder: DecoderSpec | { prefix: string; cleanup: boolean } | null): string {
  if (decoder === null) return tokens.join(' ');
  if (!('kind' in decoder)) decoder = { kind: 'wordpiece', ...decoder };
  if (decoder.kind === 'byteLevel') return byteLevel(tokens);
  if (decoder.kind === 'metaspace') {
    return tokens.map((t, i) => {
      let out = '';
      for (const ch of t) {
        if (ch === decoder.replacement) {
          if (!(i === 0 && !decoder.prependNever)) out += ' ';
        } else out += ch;
      }
      return out;
    }).join('');
  }
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    let t = tokens[i];
    if (i !== 0) t = t.startsWith(decoder.prefix) ? t.replace(decoder.prefix, '') : ` ${t}`;
    out += decoder.cleanup ? cleanup(t) : t;
  }
  return out;
}
