// The tokenizer.json normalizers the SentencePiece-family models use — Precompiled, Replace, Strip, Lowercase,
// Prepend, NFD/NFKD/NFC/NFKC, StripAccents and Sequence of them — applied to a NormString with HF's alignment rules
// (see normalized.ts and unicode-normalize.ts). Any other normalizer is refused by name rather than approximated.
import { type Change, type NormString, isWhitespace, transform } from './normalized.ts';
import { Precompiled } from './precompiled.ts';
import { composeChanges, decomposeChanges, isCombiningMark9 } from './unicode-normalize.ts';
import { type Obj, boolean, fail, field, object, oneOf, show, string } from './json-fields.ts';

export type Normalizer = (s: NormString) => NormString;

export function parseNormalizer(v: unknown, path = 'normalizer'): Normalizer | null {
  if (v === null || v === undefined) return null;
  const o = object(path, v);
  const type = field(o, 'type');
  switch (type) {
    case 'Sequence': {
      const list = field(o, 'normalizers');
      if (!Array.isArray(list)) fail(`${path}.normalizers`, `must be an array, got ${show(list)}`);
      const steps = list.map((n, i) => parseNormalizer(n, `${path}.normalizers[${i}]`)).filter((n) => n !== null) as Normalizer[];
      return (s) => steps.reduce((acc, step) => step(acc), s);
    }
    case 'Precompiled': {
      const blob = field(o, 'precompiled_charsmap');
      // HF writes null for a model without a charsmap: the normalizer then does nothing.
      if (blob === null) return (s) => s;
      const p = new Precompiled(string(`${path}.precompiled_charsmap`, blob), `tokenizer.json ${path}.precompiled_charsmap`);
      return (s) => p.normalize(s);
    }
    case 'Replace':
      return replacer(o, path);
    case 'Strip': {
      const left = boolean(`${path}.strip_left`, field(o, 'strip_left'), true);
      const right = boolean(`${path}.strip_right`, field(o, 'strip_right'), true);
      return (s) => strip(s, left, right);
    }
    case 'Lowercase':
      return lowercase;
    case 'NFD':
    case 'NFKD':
      return (s) => transform(s, decomposeChanges(s.cps, type === 'NFKD'));
    case 'NFC':
    case 'NFKC':
      return (s) => transform(s, composeChanges(s.cps, type === 'NFKC'));
    case 'StripAccents':
      return (s) => filter(s, (cp) => !isCombiningMark9(cp));
    case 'Prepend': {
      const text = string(`${path}.prepend`, field(o, 'prepend'));
      return (s) => (s.cps.length === 0 ? s : prependText(s, text));
    }
    default:
      fail(`${path}.type`, `unsupported normalizer ${show(type)} (Precompiled, Replace, Strip, Lowercase, Prepend, NFD, NFKD, ` +
        'NFC, NFKC, StripAccents, Sequence; ' +
        'BertNormalizer with a WordPiece model)');
  }
}

function prependText(s: NormString, text: string): NormString {
  const dest: Change[] = Array.from(text, (ch, i) => [ch.codePointAt(0) as number, i === 0 ? 0 : 1] as const);
  dest.push([s.cps[0], 1]);
  for (let i = 1; i < s.cps.length; i++) dest.push([s.cps[i], 0]);
  return transform(s, dest);
}

/** HF's NormalizedString::filter: each kept character absorbs the removed ones after it (a negative change). */
function filter(s: NormString, keep: (cp: number) => boolean): NormString {
  const dest: Change[] = [];
  let removed = 0;
  let removedStart = 0;
  let last = -1;
  for (const cp of s.cps) {
    if (keep(cp)) {
      if (last === -1) removedStart = removed;
      else dest.push([last, -removed]);
      last = cp;
      removed = 0;
    } else {
      removed++;
    }
  }
  if (last !== -1) dest.push([last, -removed]);
  return removed === 0 && dest.length === s.cps.length ? s : transform(s, dest, removedStart);
}

function lowercase(s: NormString): NormString {
  const dest: Change[] = [];
  for (const cp of s.cps) {
    Array.from(String.fromCodePoint(cp).toLowerCase()).forEach((ch, i) => dest.push([ch.codePointAt(0) as number, i > 0 ? 1 : 0]));
  }
  return transform(s, dest);
}

function strip(s: NormString, left: boolean, right: boolean): NormString {
  let lead = 0;
  let trail = 0;
  const n = s.cps.length;
  if (left) while (lead < n && isWhitespace(s.cps[lead])) lead++;
  if (right) while (trail < n - lead && isWhitespace(s.cps[n - 1 - trail])) trail++;
  if (lead === 0 && trail === 0) return s;
  const dest: Change[] = [];
  for (let i = lead; i < n - trail; i++) dest.push([s.cps[i], 0]);
  return transform(s, dest, lead);
}

function replacer(o: Obj, path: string): Normalizer {
  const pattern = object(`${path}.pattern`, field(o, 'pattern'));
  const content = Array.from(string(`${path}.content`, field(o, 'content')), (ch) => ch.codePointAt(0) as number);
  let re: RegExp;
  if (Object.hasOwn(pattern, 'String')) {
    const literal = string(`${path}.pattern.String`, pattern.String);
    re = new RegExp(literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  } else if (Object.hasOwn(pattern, 'Regex')) {
    const source = string(`${path}.pattern.Regex`, pattern.Regex);
    try {
      re = new RegExp(source, 'gu');
    } catch (e) {
      fail(`${path}.pattern.Regex`, `${show(source)} is not a regular expression this runtime accepts (${(e as Error).message})`);
    }
  } else {
    fail(`${path}.pattern`, `must be { "String": … } or { "Regex": … }, got ${show(pattern)}`);
  }
  return (s) => replaceAll(s, re, content);
}

/** HF's NormalizedString::replace: each match becomes `content`, every new char aligned to the match's last char. */
function replaceAll(s: NormString, re: RegExp, content: readonly number[]): NormString {
  const text = String.fromCodePoint(...s.cps);
  // UTF-16 index of this text → code point index.
  const cpAt = new Int32Array(text.length + 1);
  let k = 0;
  for (let i = 0; i < text.length; k++) {
    const wide = (text.codePointAt(i) as number) > 0xffff;
    cpAt[i] = k;
    if (wide) cpAt[i + 1] = k;
    i += wide ? 2 : 1;
  }
  cpAt[text.length] = k;
  const out: NormString = { cps: [], starts: [], ends: [], base: s.base };
  const copy = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      out.cps.push(s.cps[i]);
      out.starts.push(s.starts[i]);
      out.ends.push(s.ends[i]);
    }
  };
  let last = 0;
  re.lastIndex = 0;
  for (const m of text.matchAll(re)) {
    if (m[0].length === 0) continue;
    const start = cpAt[m.index as number];
    const end = cpAt[(m.index as number) + m[0].length];
    copy(last, start);
    for (const c of content) {
      out.cps.push(c);
      out.starts.push(s.starts[end - 1]);
      out.ends.push(s.ends[end - 1]);
    }
    last = end;
  }
  if (last === 0 && out.cps.length === 0) return s;
  copy(last, s.cps.length);
  return out;
}
