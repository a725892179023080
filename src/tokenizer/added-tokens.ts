// HF splits the raw text on its added tokens ([CLS], [SEP], [MASK], …) before normalizing, so "a [MASK] b" keeps
// [MASK] as one token instead of "[", "mask", "]". Matching is leftmost-longest (HF uses aho-corasick with
// LeftmostLongest); with a handful of short tokens a scan that only stops at a possible first character is linear.

export interface AddedMatch {
  start: number;
  end: number;
  id: number;
}

export class AddedTokenMatcher {
  /** first UTF-16 unit → candidates, longest first. */
  private readonly byFirst = new Map<number, { content: string; id: number }[]>();
  private readonly onlyFirst: string | undefined;

  constructor(tokens: readonly { content: string; id: number }[]) {
    for (const t of tokens) {
      if (t.content === '') continue;
      const first = t.content.charCodeAt(0);
      const list = this.byFirst.get(first) ?? [];
      list.push(t);
      this.byFirst.set(first, list);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.content.length - a.content.length);
    // BERT's special tokens all start with '[': then indexOf can jump straight to candidates.
    this.onlyFirst = this.byFirst.size === 1 ? String.fromCharCode([...this.byFirst.keys()][0]) : undefined;
  }

  get empty(): boolean {
    return this.byFirst.size === 0;
  }

  find(text: string): AddedMatch[] {
    const found: AddedMatch[] = [];
    if (this.byFirst.size === 0) return found;
    let i = 0;
    while (i < text.length) {
      if (this.onlyFirst !== undefined) {
        i = text.indexOf(this.onlyFirst, i);
        if (i < 0) break;
      }
      const list = this.byFirst.get(text.charCodeAt(i));
      const hit = list?.find((t) => text.startsWith(t.content, i));
      if (hit) {
        found.push({ start: i, end: i + hit.content.length, id: hit.id });
        i += hit.content.length;
      } else {
        i++;
      }
    }
    return found;
  }
}
