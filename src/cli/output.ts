// CLI output: result lines written as they are ready, waiting for the reader to drain, instead of kept in memory.
// A reader that goes away (`bertgpu … | head` closes the pipe: EPIPE) ends the run quietly; any other write failure
// is an error. (Reconstructed from the compiled module after an accidental deletion: the logic is the original's,
// the comments are not.)

export class OutputClosed extends Error {
  override readonly name = 'OutputClosed';
  constructor() {
    super('standard output was closed by its reader');
  }
}

export class LineWriter {
  /** The reader closed the stream: later writes stop the run. */
  closed = false;
  private failure: Error | null = null;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    // Without a listener an EPIPE would be an unhandled 'error' event that kills the process; it means the reader
    // is done, which is not a failure of ours.
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else this.failure ??= new Error(`cannot write the results (${e.code ?? e.message})`);
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new OutputClosed();
  }

  /** Writes the lines, then waits for the stream to drain when it is full, so memory stays bounded. */
  async write(lines: readonly string[]): Promise<void> {
    this.check();
    if (lines.length === 0) return;
    if (!this.stream.write(`${lines.join('\n')}\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('close', done);
        this.stream.on('error', done);
      });
    }
    // An EPIPE arrives as an 'error' event after the write returned: give it a turn before the next check.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.check();
  }
}
