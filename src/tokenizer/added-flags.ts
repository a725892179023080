// HF's AddedVocabulary::find_matches with the per-token flags: leftmost-longest matches, single_word ones dropped
// unless bounded by non-word characters, lstrip/rstrip ones widened over the whitespace next to them (the widened
// span is the token's offsets and its text, as in Rust). Matching itself is AddedTokenMatcher's.
import { AddedTokenMatcher } from './added-tokens.ts';

export interface AddedTokenFlags {
  content: string;
  id: number;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
}

export interface FlaggedMatch {
  start: number;
  end: number;
  id: number;
}

const WORD_AT_END = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const WORD_AT_START = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE_AT_END = /[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/u;
const SPACE_AT_START = /^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*/u;

export class FlaggedMatcher {
  private readonly matcher: AddedTokenMatcher;
  private readonly flags = new Map<number, AddedTokenFlags>();

  constructor(tokens: readonly AddedTokenFlags[]) {
    this.matcher = new AddedTokenMatcher(tokens);
    for (const t of tokens) this.flags.set(t.id, t);
  }

  get empty(): boolean {
    return this.matcher.empty;
  }

  find(text: string): FlaggedMatch[] {
    const out: FlaggedMatch[] = [];
    let startOffset = 0;
    for (const m of this.matcher.find(text)) {
      let { start, end } = m;
      const f = this.flags.get(m.id) as AddedTokenFlags;
      if (f.singleWord) {
        const startSpace = start === 0 || !WORD_AT_END.test(text.slice(0, start));
        const stopSpace = end === text.length || !WORD_AT_START.test(text.slice(end));
        if (!startSpace || !stopSpace) continue;
      }
      if (f.lstrip) start = Math.max((SPACE_AT_END.exec(text.slice(0, start)) as RegExpExecArray).index, startOffset);
      if (f.rstrip) end += (SPACE_AT_START.exec(text.slice(end)) as RegExpExecArray)[0].length;
      out.push({ start, end, id: m.id });
      startOffset = end;
    }
    return out;
  }
}
