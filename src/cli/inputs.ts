// CLI inputs: TEXT arguments, or one input per line of a file (or stdin with "-"); a TAB splits text and text pair.
import { readFile } from 'node:fs/promises';

export type CliInput = { text: string; textPair?: string };

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function readInputs(file: string | undefined, texts: readonly string[]): Promise<CliInput[]> {
  let lines: string[];
  if (file === undefined) lines = [...texts];
  else {
    let content: string;
    try {
      content = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read input file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    lines = content.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    // A final newline ends the last line; it does not start an empty input.
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  }
  return lines.map((line) => {
    const tab = line.indexOf('\t');
    return tab < 0 ? { text: line } : { text: line.slice(0, tab), textPair: line.slice(tab + 1) };
  });
}
