// RoBERTa's trim_offsets (HF ByteLevel process_offsets), applied per window by postprocess.ts: kept apart from the
// BPE/Unigram pipeline, which loads on demand.
/**
 * HF's ByteLevel process_offsets (RoBERTa's trim_offsets) on one token of a window, in characters of the input (code
 * points; a lone surrogate is one), returned in UTF-16 units.
 */
export function trimOffsets(text: string, start: number, end: number, lead: number, trail: number, first: boolean,
  addPrefixSpace: boolean): [number, number] {
  if (lead > 0) {
    if ((first || start === 0) && addPrefixSpace && lead === 1) lead = 0;
    for (let k = 0; k < lead && start < end; k++) start += isPair(text, start) ? 2 : 1;
  }
  if (trail > 0) {
    let e = end;
    let k = 0;
    for (; k < trail && e > 0; k++) e -= e >= 2 && isPair(text, e - 2) ? 2 : 1;
    if (k === trail) end = Math.max(e, start);
  }
  return [start, end];
}

function isPair(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const d = text.charCodeAt(i + 1);
  return c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff;
}
