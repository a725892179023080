// GPT-2's byte ↔ printable character maps (byte-level BPE): in their own file because the decoder needs them on the
// WordPiece path too, while the BPE model itself loads only on demand (pipeline-models.ts).
/** GPT-2's byte → printable character map (bytes_char in HF's byte_level.rs). */
export const BYTE_TO_CHAR: readonly number[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map = new Array<number>(256);
  for (const b of bs) map[b] = b;
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) map[b] = 256 + n++;
  return map;
})();

export const CHAR_TO_BYTE: ReadonlyMap<number, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));
