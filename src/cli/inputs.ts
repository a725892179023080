// CLI inputs: TEXT arguments, or one input per line of a file (or stdin with "-"); a TAB splits text and text pair.
// A file is read as a stream, a chunk at a time, and handed out in batches: memory stays bounded by one batch and one
// chunk, whatever the file's size, and results can be written while the rest of the input is still unread.
import { open } from 'node:fs/promises';

export type CliInput = { text: string; textPair?: string };

/** Up to `size` inputs; `first` is the 0-based index of inputs[0] in the whole input (for error messages). */
export interface InputBatch {
  first: number;
  inputs: CliInput[];
}

export type InputBatches = AsyncIterable<InputBatch>;

function toInput(line: string): CliInput {
  const tab = line.indexOf('\t');
  return tab < 0 ? { text: line } : { text: line.slice(0, tab), textPair: line.slice(tab + 1) };
}

/** Lines split on LF; a CR before the LF is dropped; a final newline ends the last line, it does not add one. */
async function* linesOf(chunks: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<string> {
  // ignoreBOM keeps a leading U+FEFF as text, as the whole-file read did; invalid UTF-8 becomes U+FFFD as before.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let rest = '';
  const split = function* (text: string) {
    rest += text;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
  };
  try {
    for await (const chunk of chunks) yield* split(decoder.decode(chunk, { stream: true }));
  } catch (e) {
    throw new Error(`cannot read input file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  yield* split(decoder.decode());
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

async function* batchesOf(lines: AsyncIterable<string> | Iterable<string>, size: number): AsyncGenerator<InputBatch> {
  let batch: CliInput[] = [];
  let first = 0;
  for await (const line of lines) {
    batch.push(toInput(line));
    if (batch.length === size) {
      yield { first, inputs: batch };
      first += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) yield { first, inputs: batch };
}

/**
 * The inputs in batches of `size`. A file is opened here, so a missing or unreadable file fails before any model is
 * loaded; its lines are read as the batches are consumed.
 */
export async function openInputs(file: string | undefined, texts: readonly string[], size: number): Promise<InputBatches> {
  if (file === undefined) return batchesOf(texts, size);
  if (file === '-') return batchesOf(linesOf(process.stdin, 'stdin'), size);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw new Error(`cannot read input file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // 64 KiB chunks; the stream closes the handle when it ends or fails.
  return batchesOf(linesOf(handle.createReadStream({ highWaterMark: 64 * 1024 }), file), size);
}
