// `bertgpu fill-mask`: the likeliest tokens for each [MASK], through the same task code as pipeline('fill-mask').
// Plain output: one line per input, "token score" pairs, masks separated by " | "; --json: the pipeline's result.
import type { GpuContext } from '../gpu/device.ts';
import { hasMaskedLmHead } from '../model/config.ts';
import { loadBert } from '../model/load.ts';
import { finishFillMask, prepareFillMask, type FillMaskPrediction } from '../tasks/fill-mask.ts';
import type { CliOptions } from './args.ts';
import { provider, stack, type Out } from './commands.ts';
import type { InputBatches } from './inputs.ts';

export async function fillMask(gpu: GpuContext, o: CliOptions, batches: InputBatches, out: Out): Promise<void> {
  const loaded = await loadBert(gpu, provider(o), {
    dtype: o.dtype,
    checkModel: ({ label, config, head }) => {
      if (!hasMaskedLmHead(head)) {
        throw new Error(`${label}: no masked-LM head (architectures: ${config.architectures.join(', ') || 'none'}); fill-mask needs BertForMaskedLM or BertForPreTraining`);
      }
    },
  });
  try {
    const { model, tokenizer, maxLength } = loaded;
    const V = model.config.vocabSize;
    for await (const { first, inputs } of batches) {
      const paired = inputs.findIndex((i) => i.textPair !== undefined);
      if (paired >= 0) throw new Error(`fill-mask takes single texts; input ${first + paired + 1} has a TAB (text pair)`);
      const prepared = prepareFillMask(tokenizer, maxLength, inputs.map((x) => x.text), { where: (k) => `input ${first + k + 1}` });
      const batch = stack(prepared.rows, tokenizer.padTokenId);
      const { T } = batch;
      // Only the [MASK] rows go through the V-wide decoder; their scores come back in this order.
      const mlmRows = prepared.masks.flatMap((positions, b) => positions.map((t) => b * T + t));
      const { mlmLogits } = await model.forward({ ...batch, mlmRows }, ['mlmLogits']);
      let maskRow = 0;
      const rows = prepared.masks.map((positions) => {
        const own = mlmLogits!.subarray(maskRow * V, (maskRow + positions.length) * V);
        maskRow += positions.length;
        return own;
      });
      const results = finishFillMask(tokenizer, prepared, rows, V, { topK: o.topK }) as (FillMaskPrediction[] | FillMaskPrediction[][])[];
      await out(results.map((result) => {
        if (o.json) return JSON.stringify(result);
        const perMask = (Array.isArray(result[0]) ? result : [result]) as FillMaskPrediction[][];
        return perMask.map((preds) => preds.map((p) => `${p.token_str} ${p.score.toFixed(4)}`).join('  ')).join(' | ');
      }));
    }
  } finally {
    await loaded.model.dispose();
  }
}
