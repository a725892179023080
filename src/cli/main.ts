// bertgpu CLI entry. Exit status: 0 success, 1 load or runtime error (one stderr line "bertgpu: …"), 2 usage error.
import { requestDevice } from '../gpu/device.ts';
import { requestNodeGpu } from '../gpu/node-gpu.ts';
import { UsageError, parseCli, usage } from './args.ts';
import { classify, embed, info, tokenize } from './commands.ts';
import { fillMask } from './fill-mask.ts';
import { readInputs } from './inputs.ts';

export async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bertgpu: ${e.message}\n${usage}\n`);
      return 2;
    }
    throw e;
  }
  if (options === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const o = options;
  const lines: string[] = [];
  // Results are written as they come, so a long --file run streams; stdout carries nothing else.
  const out = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  try {
    if (o.command === 'tokenize') {
      await tokenize(o, await readInputs(o.file, o.texts), out);
      return 0;
    }
    const inputs = o.command === 'info' ? [] : await readInputs(o.file, o.texts);
    const { gpu, adapter, driver } = await requestNodeGpu();
    const ctx = await requestDevice(adapter, { label: 'bertgpu-cli', instance: gpu });
    if (o.command === 'info') info(ctx, driver, o, out);
    else if (o.command === 'classify') await classify(ctx, o, inputs, out);
    else if (o.command === 'fill-mask') await fillMask(ctx, o, inputs, out);
    else await embed(ctx, o, inputs, out);
    return 0;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`bertgpu: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Flush stdout before exiting: process.exit() would cut a piped stream short.
process.stdout.write('', () => process.exit(code));
