// clf.save()'s pieces: the F32 safetensors writer (bytes equal to the reference layout written by a Python script,
// and read back by our own reader), the HF folder (config.json, model.safetensors, tokenizer files) and the Node
// directory writer — a folder saved from tiny-bert's weights loads through pipeline() and gives the PyTorch logits.
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { softmax } from '../../src/model/heads.ts';
import { classifierConfig, saveHfFolder, SaveError } from '../../src/train/save.ts';
import { isBertgpuSave, writeHfFolder } from '../../src/train/save-node.ts';
import { readSafetensors } from '../../src/weights/cpu-reader.ts';
import { fileSource } from '../../src/weights/node-source.ts';
import { parseHeader, readHeaderLength } from '../../src/weights/safetensors.ts';
import { writeSafetensorsF32 } from '../../src/weights/safetensors-writer.ts';
import { bytesSource } from '../../src/weights/source.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

interface WriterReference {
  metadata: Record<string, string>;
  tensors: Array<{ name: string; shape: number[]; data: number[] }>;
  headerLength: number;
  sha256: string;
  bytes: string;
}
const writerRef = JSON.parse(await readFile(join(fixturesDir, 'train-save', 'writer-reference.json'), 'utf8')) as WriterReference;
const tiny = join(fixturesDir, 'tiny-bert');
const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bertgpu-save-'));
  temps.push(d);
  return d;
}

async function tinyInput() {
  const { tensors } = await readSafetensors(fileSource(join(tiny, 'model.safetensors')));
  const weights = new Map([...tensors].map(([n, t]) => [n, t.data]));
  const shapes = new Map([...tensors].map(([n, t]) => [n, t.shape]));
  const tokenizerFiles = new Map<string, Uint8Array>();
  for (const f of TOKENIZER_FILES) tokenizerFiles.set(f, new Uint8Array(await readFile(join(tiny, f))));
  const config = JSON.parse(await readFile(join(tiny, 'config.json'), 'utf8')) as Record<string, unknown>;
  return { config, weights, shapes, tokenizerFiles };
}

describe('writeSafetensorsF32', () => {
  const tensors = new Map(writerRef.tensors.map((t) => [t.name, { shape: t.shape, data: Float32Array.from(t.data) }]));

  it('writes byte for byte what the reference layout (scripts/fixtures/safetensors_writer_ref.py) writes', () => {
    const bytes = writeSafetensorsF32(tensors, writerRef.metadata);
    expect(Buffer.from(bytes).toString('base64')).toBe(writerRef.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(writerRef.sha256);
  });

  it('round-trips through our reader: padded header, F32, name-sorted contiguous offsets, __metadata__', async () => {
    const bytes = writeSafetensorsF32(tensors);
    const n = readHeaderLength('t', bytes.subarray(0, 8), bytes.byteLength);
    expect(n % 8).toBe(0);
    const header = parseHeader('t', bytes.subarray(8, 8 + n), bytes.byteLength);
    expect(Object.fromEntries(header.metadata)).toEqual({ format: 'pt' });
    expect(header.tensors.map((t) => t.name)).toEqual([...tensors.keys()].sort());
    const { tensors: back } = await readSafetensors(bytesSource('t', bytes, 5));
    for (const [name, t] of tensors) {
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(back.get(name)!.sourceDtype).toBe('F32');
      expect(Array.from(back.get(name)!.data)).toEqual(Array.from(t.data));
    }
  });

  it('refuses bad tensors with the tensor named', () => {
    const one = (shape: number[], data: Float32Array) => new Map([['w', { shape, data }]]);
    expect(() => writeSafetensorsF32(one([2, 2], new Float32Array(3)))).toThrow(/"w".*4 elements but data has 3/);
    expect(() => writeSafetensorsF32(one([-1], new Float32Array(0)))).toThrow(/"w".*non-negative integers/);
    expect(() => writeSafetensorsF32(one([1], [1] as unknown as Float32Array))).toThrow(/"w".*Float32Array/);
    expect(() => writeSafetensorsF32(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]]))).toThrow(/reserved/);
    expect(() => writeSafetensorsF32(new Map())).toThrow(/no tensors/);
    expect(() => writeSafetensorsF32(one([1], new Float32Array(1)), { format: 1 as unknown as string })).toThrow(/metadata\["format"\]/);
  });
});

describe('saveHfFolder', () => {
  it('config.json: architecture, string-keyed id2label, label2id, problem_type; everything else kept', () => {
    const original = { model_type: 'bert', hidden_size: 64, architectures: ['BertModel'], id2label: { 0: 'LABEL_0', 1: 'LABEL_1' }, num_labels: 2, custom: { a: 1 } };
    const c = classifierConfig(original, ['neg', 'pos', 'mixed'], 'single_label_classification');
    expect(c).toEqual({
      model_type: 'bert', hidden_size: 64, custom: { a: 1 }, architectures: ['BertForSequenceClassification'],
      id2label: { 0: 'neg', 1: 'pos', 2: 'mixed' }, label2id: { neg: 0, pos: 1, mixed: 2 }, num_labels: 3,
      problem_type: 'single_label_classification',
    });
    expect(Object.keys(c.id2label as object)).toEqual(['0', '1', '2']);
    expect(classifierConfig({ problem_type: 'regression' }, ['score'])).not.toHaveProperty('num_labels');
    expect(classifierConfig({ torch_dtype: 'float16' }, ['a']).torch_dtype).toBe('float32'); // the saved weights are F32
    expect(classifierConfig({}, ['a'])).not.toHaveProperty('torch_dtype');
    expect(classifierConfig({ problem_type: 'regression' }, ['score']).problem_type).toBe('regression');
    expect(() => classifierConfig({}, [])).toThrow(/non-empty/);
    expect(() => classifierConfig({}, ['a', 'a'])).toThrow(/"a" appears twice/);
    expect(() => classifierConfig({}, ['a', 3 as unknown as string])).toThrow(/id2label\[1\]/);
    expect(() => classifierConfig({}, ['a'], 'ranking' as 'regression')).toThrow(/problemType "ranking"/);
  });

  it('refuses inconsistent weights and unsafe file names with clear errors', async () => {
    const input = await tinyInput();
    const ok = { ...input, id2label: ['negative', 'neutral', 'positive'] };
    expect(() => saveHfFolder({ ...ok, id2label: ['a', 'b'] })).toThrow(/"classifier.weight" has 3 rows but id2label has 2/);
    const shapes = new Map(input.shapes);
    shapes.set('classifier.bias', [4]);
    expect(() => saveHfFolder({ ...ok, shapes })).toThrow(/"classifier.bias" has 3 values but shape \[4\] needs 4/);
    const nan = new Map(input.weights);
    nan.set('classifier.bias', Float32Array.of(0, Number.NaN, 0));
    expect(() => saveHfFolder({ ...ok, weights: nan })).toThrow(/"classifier.bias" has a non-finite value \(NaN\) at element 1/);
    const noShape = new Map(input.shapes);
    noShape.delete('bert.pooler.dense.bias');
    expect(() => saveHfFolder({ ...ok, shapes: noShape })).toThrow(/no shape for weight "bert.pooler.dense.bias"/);
    for (const bad of ['../evil', 'a/b', 'config.json', 'pytorch_model.bin']) {
      const tokenizerFiles = new Map<string, Uint8Array | string>([...input.tokenizerFiles, [bad, 'x']]);
      expect(() => saveHfFolder({ ...ok, tokenizerFiles }), bad).toThrow(SaveError);
    }
    expect(() => saveHfFolder({ ...ok, tokenizerFiles: new Map([['tokenizer_config.json', '{}']]) })).toThrow(/vocab.txt or tokenizer.json/);
  });

  it('a folder saved from tiny-bert (labels renamed) loads through pipeline() with the PyTorch scores', async () => {
    const input = await tinyInput();
    const files = saveHfFolder({ ...input, id2label: ['bad', 'meh', 'good'] });
    expect([...files.keys()].sort()).toEqual(['config.json', 'model.safetensors', ...TOKENIZER_FILES].sort());
    for (const f of TOKENIZER_FILES) expect(files.get(f)).toEqual(input.tokenizerFiles.get(f)); // unchanged
    const dir = join(await tempDir(), 'out');
    await writeHfFolder(dir, files);
    expect((await readdir(dir)).sort()).toEqual([...files.keys()].sort()); // no temporaries left
    expect(await isBertgpuSave(dir)).toBe(true);
    const { tensors } = await readSafetensors(fileSource(join(dir, 'model.safetensors')));
    for (const [name, data] of input.weights) expect(tensors.get(name)!.data).toEqual(data);
    const classify = await pipeline('text-classification', dir, { dtype: 'f32' });
    try {
      for (const c of readReference('tiny-bert').cases.filter((x) => x.text.length === 1)) {
        const got = await classify(c.textPair ? { text: c.text[0], textPair: c.textPair[0] } : c.text[0], { topK: null });
        const want = softmax(c.logits.data);
        ['bad', 'meh', 'good'].forEach((label, i) => {
          expect(Math.abs(got.find((r) => r.label === label)!.score - want[i]), `${c.name} ${label}`).toBeLessThan(1e-4);
        });
      }
    } finally {
      await classify.dispose();
    }
  });
});

describe('writeHfFolder', () => {
  const files = new Map([['config.json', new TextEncoder().encode('{}')]]);

  it('refuses a non-empty foreign directory unless told, and a file in the way', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await expect(writeHfFolder(dir, files)).rejects.toThrow(/is not empty and is not a previous bertgpu save.*notes.txt/);
    await writeHfFolder(dir, files, { overwrite: true });
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    await expect(writeHfFolder(join(dir, 'notes.txt'), files)).rejects.toThrow(/exists and is not a directory/);
    await expect(writeHfFolder(dir, new Map([['../x', new Uint8Array(1)]]))).rejects.toThrow(/plain file name/);
  });

  it('writes over a previous bertgpu save, and into an empty or missing directory', async () => {
    const input = await tinyInput();
    const saved = saveHfFolder({ ...input, id2label: ['negative', 'neutral', 'positive'] });
    const dir = await tempDir();
    await writeHfFolder(dir, saved); // empty
    await writeHfFolder(dir, saved); // previous save
    const nested = join(dir, 'a', 'b');
    await writeHfFolder(nested, saved); // created
    expect(await isBertgpuSave(nested)).toBe(true);
    // A foreign model folder (HF's own save) is not ours.
    const foreign = await tempDir();
    await mkdir(join(foreign, 'm'));
    await writeFile(join(foreign, 'm', 'model.safetensors'), await readFile(join(tiny, 'model.safetensors')));
    expect(await isBertgpuSave(join(foreign, 'm'))).toBe(false);
    await expect(writeHfFolder(join(foreign, 'm'), saved)).rejects.toThrow(/not a previous bertgpu save/);
  });
});
