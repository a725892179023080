// Families beyond BERT in Chromium: pipeline() from the page runs the runtime in its module Worker, loads tiny-roberta
// (byte-level BPE tokenizer), tiny-albert and tiny-xlm-roberta (Unigram/SentencePiece tokenizers) over HTTP from the test server,
// tokenizes in the Worker and classifies on SwiftShader — scores vs softmax of the float64 PyTorch logits at 1e-4
// (text-reference.json: ids from HF Rust, outputs from scripts/fixtures/family_models.py), singles, a batch and pairs.
import { describe, it } from 'vitest';
import { pipeline } from '../../src/index.ts';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import roberta from '../fixtures/tiny-roberta/text-reference.json';
import albert from '../fixtures/tiny-albert/text-reference.json';
import xlmr from '../fixtures/tiny-xlm-roberta/text-reference.json';

interface TextCase { name: string; text: string[]; textPair?: string[]; logits?: { dims: number[]; data: number[] } }
const LABELS = ['negative', 'neutral', 'positive'];

describe.each([['tiny-roberta', roberta], ['tiny-albert', albert], ['tiny-xlm-roberta', xlmr]] as const)('%s: text-classification in Chromium (Worker)', (folder, ref) => {
  it('scores equal softmax(PyTorch logits) for singles, a batch and pairs', async () => {
    const classify = await pipeline('text-classification', `${location.origin}/test/fixtures/${folder}`);
    try {
      for (const c of (ref as unknown as { cases: TextCase[] }).cases.filter((x) => ['text-single', 'text-batch', 'text-pair', 'text-unicode'].includes(x.name))) {
        const inputs = c.text.map((t, i) => (c.textPair ? { text: t, textPair: c.textPair[i] } : t));
        const got = (await classify(inputs, { topK: null })) as Array<Array<{ label: string; score: number }>>;
        const L = LABELS.length;
        inputs.forEach((_, r) => {
          const want = softmax(c.logits!.data.slice(r * L, (r + 1) * L));
          expectClose(`${folder} ${c.name}[${r}]`, LABELS.map((l) => got[r].find((x) => x.label === l)!.score), want, { atol: 1e-4, rtol: 0 });
        });
      }
    } finally {
      await classify.dispose();
    }
  });
});
