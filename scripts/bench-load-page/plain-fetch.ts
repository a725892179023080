// The plain-fetch baselines of `npm run bench:load`, shared by the Node run (bench-load.ts) and the Chromium Worker
// (worker.ts) so both measure exactly the same thing.

/** Reads the whole body and drops it: network receive only, the bytes never land anywhere. */
export async function fetchDiscard(url: string, init?: RequestInit): Promise<void> {
  const reader = (await fetch(url, init)).body!.getReader();
  while (!(await reader.read()).done);
}

/**
 * The least a fetch can do and still keep the bytes: each chunk copied once into one buffer of the file's size. That
 * is what the loader does too (each block written once into weight memory), so this is the like-for-like baseline;
 * `arrayBuffer()` gathers the chunks and, in Node, copies them again.
 */
export async function fetchIntoOneBuffer(url: string, init?: RequestInit): Promise<Uint8Array> {
  const res = await fetch(url, init);
  const length = res.headers.get('content-length');
  if (length === null) throw new Error(`${url}: no Content-Length; this baseline needs the size up front`);
  const into = new Uint8Array(Number(length));
  const reader = res.body!.getReader();
  for (let o = 0; ; ) {
    const { done, value } = await reader.read();
    if (done) return into;
    into.set(value, o);
    o += value.byteLength;
  }
}
