// A normalized string the way HF's NormalizedString keeps it: the normalized characters (code points), each with the
// span of the original text it came from (UTF-16 units of the caller's string). HF aligns per byte, but every
// transformation gives all bytes of a new character the same alignment, so one span per character is the same thing.
//
// `transform` is HF's NormalizedString::transform_range over the whole string, char for char: a (char, change) list
// where change 0 replaces the next original character (taking its span), > 0 inserts (taking the span of the character
// consumed last, or the empty span at the start) and < 0 also drops that many following characters. Characters left
// unconsumed at the end are dropped. Normalizers (Precompiled, Replace, Strip, Lowercase, Prepend) and the
// pre-tokenizers build their lists exactly as the Rust code does, so the spans — and hence the offsets — agree.

export interface NormString {
  cps: number[];
  starts: number[];
  ends: number[];
  /** Where this piece starts in the original (the span an insertion at the very start gets). */
  base: number;
}

export type Change = readonly [cp: number, change: number];

/** The code points of text[from, to) with their UTF-16 spans; a lone surrogate is U+FFFD (what reaches HF's Rust). */
export function normString(text: string, from: number, to: number): NormString {
  const s: NormString = { cps: [], starts: [], ends: [], base: from };
  for (let i = from; i < to; ) {
    let cp = text.charCodeAt(i);
    let next = i + 1;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const lo = next < to ? text.charCodeAt(next) : 0;
      if (cp <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        next++;
      } else {
        cp = 0xfffd;
      }
    }
    s.cps.push(cp);
    s.starts.push(i);
    s.ends.push(next);
    i = next;
  }
  return s;
}

export function transform(s: NormString, dest: Iterable<Change>, initialOffset = 0): NormString {
  const out: NormString = { cps: [], starts: [], ends: [], base: s.base };
  let p = initialOffset;
  for (const [c, change] of dest) {
    let start: number;
    let end: number;
    if (change > 0) {
      if (p < 1) {
        start = s.base;
        end = s.base;
      } else {
        start = s.starts[p - 1];
        end = s.ends[p - 1];
      }
    } else {
      if (p >= s.cps.length) throw new Error('normalizer: transformation consumed past the end of the string');
      start = s.starts[p];
      end = s.ends[p];
      p += 1 - change;
    }
    out.cps.push(c);
    out.starts.push(start);
    out.ends.push(end);
  }
  return out;
}

export function slice(s: NormString, from: number, to: number): NormString {
  return {
    cps: s.cps.slice(from, to),
    starts: s.starts.slice(from, to),
    ends: s.ends.slice(from, to),
    base: from < s.starts.length ? s.starts[from] : s.base,
  };
}

export function toText(cps: readonly number[], from = 0, to = cps.length): string {
  let out = '';
  for (let i = from; i < to; i++) out += String.fromCodePoint(cps[i]);
  return out;
}

/** HF's prepend: the new text replaces the first character (taking its span) and that character follows it. */
export function prepend(s: NormString, text: string): NormString {
  if (s.cps.length === 0) return s;
  const dest: Change[] = [];
  Array.from(text).forEach((ch, i) => dest.push([ch.codePointAt(0) as number, i === 0 ? 0 : 1]));
  dest.push([s.cps[0], 1]);
  for (let i = 1; i < s.cps.length; i++) dest.push([s.cps[i], 0]);
  return transform(s, dest);
}

/** Rust's char::is_whitespace (Unicode White_Space). */
export function isWhitespace(cp: number): boolean {
  return (cp >= 0x09 && cp <= 0x0d) || cp === 0x20 || cp === 0x85 || cp === 0xa0 || cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}
