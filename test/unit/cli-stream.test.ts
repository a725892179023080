// The CLI as a stage of a shell pipeline: results stream out a batch at a time (while the input is still being
// written), memory does not grow with the input, and a reader that leaves early (`| head -n 1`) ends the run with
// status 0 and nothing on stderr. Real child processes on the committed tiny fixture.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'bertgpu.js');
const tiny = join(fixturesDir, 'tiny-bert');
const singles = readReference('tiny-bert').cases.filter((c) => c.text.length === 1 && !c.textPair);
// Reports the child's peak resident memory (kB) on stderr as it exits.
const reportPeakMemory = `data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss="+process.resourceUsage().maxRSS+"\\n"))`;

// Local folders only, so no download cache is involved; the default cache folder keeps Mesa's shader cache warm.
function start(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', reportPeakMemory, bin, ...args]);
}

/** `afterCloseMs`: from the reader closing the pipe to the CLI's exit (NaN when the reader read to the end). */
interface Ended { code: number | null; signal: NodeJS.Signals | null; stderr: string; lines: string[]; afterCloseMs: number }

/** Runs the CLI; after `keepLines` complete stdout lines the reader closes its end of the pipe, as `head` does. */
function run(args: string[], keepLines = Infinity, timeoutMs = 60_000): Promise<Ended> {
  const child = start(args);
  let stdout = '';
  let stderr = '';
  let closedAt = NaN;
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => {
    stdout += d;
    if (Number.isNaN(closedAt) && stdout.split('\n').length - 1 >= keepLines) {
      closedAt = performance.now();
      child.stdout.destroy();
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`bertgpu ${args.join(' ')} ran past ${timeoutMs} ms`)); }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, lines: stdout.split('\n').slice(0, -1).slice(0, keepLines), afterCloseMs: performance.now() - closedAt });
    });
  });
}

const peakKb = (stderr: string) => Number(/maxrss=(\d+)/.exec(stderr)?.[1]);
/** stderr without Dawn's adapter warnings (lavapipe prints some at start-up) and the peak-memory report. */
const problems = (stderr: string) => stderr.split('\n').filter((l) => /EPIPE|Error|bertgpu:|^\s+at /.test(l) && !/PhysicalDeviceVk|InitializeImpl/.test(l));

function inputFile(lines: number): string {
  const words = ['the', 'movie', 'was', 'great', 'fun', 'acting', 'terrible', 'boring', 'plot', 'good', 'ending', 'awful'];
  const text = Array.from({ length: lines }, (_, i) => Array.from({ length: 8 }, (_, j) => words[(i * 7 + j * 5 + (i >> 3)) % words.length]).join(' '));
  const file = join(mkdtempSync(join(tmpdir(), 'bertgpu-in-')), `${lines}.txt`);
  writeFileSync(file, `${text.join('\n')}\n`);
  return file;
}

describe('bertgpu CLI in a pipeline', () => {
  it('classify piped into a reader that closes after one line: status 0, nothing on stderr, stops early', async () => {
    const r = await run(['classify', '--model', tiny, '--file', inputFile(200_000)], 1);
    expect(problems(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^(negative|neutral|positive) \d\.\d{4}$/);
    // The rest would be 12 500 forwards (minutes here): the CLI stops at its next write instead.
    expect(r.afterCloseMs).toBeLessThan(5_000);
  });

  it('tokenize --json of 200 000 lines into a reader that closes after one line: status 0, memory as for 2 000', async () => {
    const small = await run(['tokenize', '--model', tiny, '--json', '--file', inputFile(2_000)]);
    expect(small.code).toBe(0);
    expect(small.lines).toHaveLength(2_000);
    const big = await run(['tokenize', '--model', tiny, '--json', '--file', inputFile(200_000)], 1);
    expect(problems(big.stderr)).toEqual([]);
    expect(big.code).toBe(0);
    expect(JSON.parse(big.lines[0]).ids[0]).toBe(2); // [CLS]
    // Holding the input (9 MB) and its JSON results (~60 MB) added ~140 MB; streaming adds ~20 MB of heap growth.
    expect(peakKb(big.stderr) - peakKb(small.stderr)).toBeLessThan(50_000);
  });

  it('a whole 200 000-line run keeps memory flat too (results written as they are made)', async () => {
    const big = await run(['tokenize', '--model', tiny, '--file', inputFile(200_000)]);
    expect(big.code).toBe(0);
    expect(big.lines).toHaveLength(200_000);
    const small = await run(['tokenize', '--model', tiny, '--file', inputFile(2_000)]);
    expect(peakKb(big.stderr) - peakKb(small.stderr)).toBeLessThan(50_000);
  });

  it('--file - answers each batch while standard input is still open, and the results are right', async () => {
    const child = start(['classify', '--model', tiny, '--json', '--batch-size', '2', '--file', '-']);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const lineCount = () => stdout.split('\n').length - 1;
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (d) => {
      stdout += d;
      waiters.splice(0).forEach((w) => w());
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const until = (n: number) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result for line ${n} within 30 s while stdin was open; stderr: ${stderr}`)), 30_000);
      const check = () => (lineCount() >= n ? (clearTimeout(timer), resolve()) : waiters.push(check));
      check();
    });
    try {
      const texts = singles.map((c) => c.text[0]);
      child.stdin.write(`${texts[0]}\n${texts[1]}\n`);
      await until(2); // the first batch is answered before the input ends
      child.stdin.write(`${texts.slice(2).join('\n')}\n`);
      child.stdin.end();
      expect(await closed).toBe(0);
      const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { scores: Record<string, number> });
      expect(rows).toHaveLength(texts.length);
      rows.forEach((row, i) => expectClose(singles[i].name, Object.values(row.scores), softmax(singles[i].logits.data), { atol: 1e-4, rtol: 0 }));
    } finally {
      child.kill();
    }
  });

  it('a CRLF file, a file without a final newline and an empty file give exactly their lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertgpu-in-'));
    const crlf = join(dir, 'crlf.txt');
    writeFileSync(crlf, 'hello world\r\nthe music\tthe plot\r\nlast line');
    const r = await run(['tokenize', '--model', tiny, '--json', '--file', crlf]);
    expect(r.code).toBe(0);
    const rows = r.lines.map((l) => JSON.parse(l) as { ids: number[]; tokenTypeIds: number[] });
    expect(rows).toHaveLength(3);
    expect(rows[1].tokenTypeIds).toContain(1); // the TAB made a pair
    const asArgument = await run(['tokenize', '--model', tiny, '--json', 'last line']);
    expect(rows[2].ids).toEqual((JSON.parse(asArgument.lines[0]) as { ids: number[] }).ids); // no CR left on it
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const e = await run(['tokenize', '--model', tiny, '--file', empty]);
    expect(e.code).toBe(0);
    expect(e.lines).toEqual([]);
    const missing = await run(['classify', '--model', tiny, '--file', join(dir, 'nope.txt')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^bertgpu: cannot read input file .*nope\.txt \(ENOENT\)$/m);
  });
});
