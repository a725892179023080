// bertgpu CLI entry. Exit status: 0 success, 1 load or runtime error (one stderr line "bertgpu: …"), 2 usage error.
import { requestDevice } from '../gpu/device.ts';
import { requestNodeGpu } from '../gpu/node-gpu.ts';
import { UsageError, parseCli, usageText } from './args.ts';
import { cpuInfo, info, runTask, tokenize } from './commands.ts';
import { isSoftwareAdapter } from '../runtime/device-choice.ts';
import { openInputs } from './inputs.ts';
import { plan, profile } from './plan.ts';
import { runTrain } from './train.ts';
import { LineWriter, OutputClosed } from './output.ts';

const stdout = new LineWriter(process.stdout);

export async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bertgpu: ${e.message}\n${usageText()}\n`);
      return 2;
    }
    throw e;
  }
  if (options === 'help') {
    process.stdout.write(`${usageText()}\n`);
    return 0;
  }
  const o = options;
  // Results are written a batch at a time as the batches finish, so a long --file run streams in bounded memory;
  // stdout carries nothing else.
  const out = (lines: readonly string[]) => stdout.write(lines);
  try {
    // `info` reads no input (and ignores --file, as it always has).
    const inputs = await openInputs(['info', 'plan', 'profile', 'train'].includes(o.command) ? undefined : o.file, o.texts, o.batchSize);
    if (o.command === 'tokenize') {
      await tokenize(o, inputs, out);
      return 0;
    }
    // The plan dump reads config.json only: no weights, and no GPU is asked for.
    if (o.command === 'plan') {
      await plan(o, out);
      return 0;
    }
    if (o.command === 'train') {
      await runTrain(o, o.train!, out);
      return 0;
    }
    if (o.command === 'profile') {
      await profile(o, out);
      return 0;
    }
    if (o.command === 'info') {
      if (o.device === 'cpu') {
        await cpuInfo(o, out, "device 'cpu' was asked for");
        return 0;
      }
      const { gpu, adapter, driver } = await requestNodeGpu();
      const device = await requestDevice(adapter, { label: 'bertgpu-cli', instance: gpu });
      // auto on a software adapter: the pipeline would run on the CPU, so that is what info describes.
      if (o.device === 'auto' && isSoftwareAdapter(device.facts)) {
        device.device.destroy();
        await cpuInfo(o, out, `the WebGPU adapter (${device.facts.description || device.facts.vendor}) is a software one`);
        return 0;
      }
      await info(device, driver, o, out);
      return 0;
    }
    await runTask(o, inputs, out);
    return 0;
  } catch (e) {
    // The reader went away (`| head`): what it wanted was written; stop without a message, as Unix tools do.
    if (e instanceof OutputClosed) return 0;
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`bertgpu: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Flush stdout before exiting: process.exit() would cut a piped stream short. A closed pipe has nothing to flush.
if (stdout.closed) process.exit(code);
else process.stdout.write('', () => process.exit(code));
