// Template post-processing ([CLS] A [SEP] B [SEP] with type ids) and padding, with HF Rust semantics: template tokens
// get offsets (0, 0), word id none and special-token mask 1; padding pads every overflowing window to the same length.
import type { TemplatePiece, TokenizerSpec } from './config.ts';
import { trimOffsets } from './trim-offsets.ts';
import type { SequenceTokens } from './pretokenize.ts';
import type { Window } from './truncation.ts';
import type { Direction, Encoding } from './types.ts';

export function specialTokenCount(spec: TokenizerSpec, pair: boolean): number {
  let n = 0;
  for (const p of pair ? spec.pair : spec.single) {
    if (p.kind === 'special') n += (spec.specialTokens.get(p.name) as { ids: number[] }).ids.length;
  }
  return n;
}

/** Builds one encoding from a window of each text and the template. */
export function applyTemplate(
  spec: TokenizerSpec,
  seqs: readonly [SequenceTokens, SequenceTokens | undefined],
  wins: readonly [Window, Window | undefined],
  addSpecialTokens: boolean,
  /** Whether each window is an overflowing one (not the text's first window). */
  overflow: readonly [boolean, boolean] = [false, false],
): Encoding {
  const template: TemplatePiece[] = seqs[1] === undefined ? spec.single : spec.pair;
  let len = 0;
  for (const p of template) {
    if (p.kind === 'special') {
      if (addSpecialTokens) len += (spec.specialTokens.get(p.name) as { ids: number[] }).ids.length;
    } else {
      const w = wins[p.index] as Window;
      len += w[1] - w[0];
    }
  }
  const e = emptyEncoding(len);
  let k = 0;
  for (const p of template) {
    if (p.kind === 'special') {
      if (!addSpecialTokens) continue;
      for (const id of (spec.specialTokens.get(p.name) as { ids: number[] }).ids) {
        e.ids[k] = id;
        e.tokenTypeIds[k] = p.typeId;
        e.specialTokensMask[k] = 1;
        e.wordIds[k] = -1;
        k++;
      }
    } else {
      const seq = seqs[p.index] as SequenceTokens;
      const [start, stop] = wins[p.index] as Window;
      const trim = spec.trimOffsets;
      const typeId = overflow[p.index] ? p.overflowTypeId ?? p.typeId : p.typeId;
      for (let i = start; i < stop; i++) {
        e.ids[k] = seq.ids[i];
        e.tokenTypeIds[k] = typeId;
        e.offsets[2 * k] = seq.offsets[2 * i];
        e.offsets[2 * k + 1] = seq.offsets[2 * i + 1];
        if (trim !== undefined && seq.lead !== undefined && seq.trail !== undefined && seq.text !== undefined) {
          // RoBERTa's trim_offsets runs on each window after truncation: its first token is "first".
          const [a, b] = trimOffsets(seq.text, seq.offsets[2 * i], seq.offsets[2 * i + 1], seq.lead[i], seq.trail[i],
            i === start, trim.addPrefixSpace);
          e.offsets[2 * k] = a;
          e.offsets[2 * k + 1] = b;
        }
        e.wordIds[k] = seq.words[i];
        k++;
      }
    }
  }
  e.attentionMask.fill(1);
  return e;
}

function emptyEncoding(n: number): Encoding {
  return {
    ids: new Int32Array(n),
    tokenTypeIds: new Int32Array(n),
    attentionMask: new Int32Array(n),
    specialTokensMask: new Int32Array(n),
    offsets: new Int32Array(2 * n),
    wordIds: new Int32Array(n),
    overflowing: [],
  };
}

/** Pads an encoding (and its overflowing windows) to `length`; longer ones are left alone, as in HF. */
export function padEncoding(e: Encoding, length: number, padId: number, direction: Direction): Encoding {
  const overflowing = e.overflowing.map((o) => padEncoding(o, length, padId, direction));
  const n = e.ids.length;
  if (n >= length) return { ...e, overflowing };
  const p = emptyEncoding(length);
  const at = direction === 'right' ? 0 : length - n;
  p.ids.set(e.ids, at);
  p.tokenTypeIds.set(e.tokenTypeIds, at);
  p.attentionMask.set(e.attentionMask, at);
  p.specialTokensMask.set(e.specialTokensMask, at);
  p.offsets.set(e.offsets, 2 * at);
  p.wordIds.set(e.wordIds, at);
  const padFrom = direction === 'right' ? n : 0;
  const padTo = padFrom + (length - n);
  p.ids.fill(padId, padFrom, padTo);
  p.specialTokensMask.fill(1, padFrom, padTo);
  p.wordIds.fill(-1, padFrom, padTo);
  p.overflowing = overflowing;
  return p;
}
