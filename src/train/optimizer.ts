// Host side of the optimizer (HF Trainer conventions): which tensors get weight decay, the learning-rate schedules,
// and the uniforms of shaders/train/adamw.wgsl and grad_norm_finalize.wgsl. Everything here is computed in float64
// on the host once per step; the kernels only see the resulting f32 uniforms.

/** torch.optim.AdamW's defaults as HF Trainer passes them (adam_beta1/2, adam_epsilon). */
export const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/**
 * HF Trainer's decay rule (Trainer.get_decay_parameter_names): every parameter decays except those of LayerNorm
 * modules and any whose name contains "bias". For BERT that exempts every `*.bias`, `cls.predictions.bias` and
 * every `*.LayerNorm.weight`; the embedding tables, dense/query/key/value/classifier weights decay.
 */
export function decaysWeight(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0) throw new Error('decaysWeight: parameter name must be a non-empty string');
  const lower = name.toLowerCase();
  return !lower.includes('bias') && !/(^|\.)layernorm(\.|$)/.test(lower);
}

export type Scheduler = 'constant' | 'constant_with_warmup' | 'linear';

/**
 * The learning-rate multiplier of optimizer step `step` (0-based: the first update uses step 0), as HF's schedulers
 * (transformers.optimization) give it — LambdaLR is stepped after each optimizer step, so update k sees λ(k):
 * - constant: 1 (get_constant_schedule; HF's "constant" ignores warmup_steps);
 * - constant_with_warmup: k / max(1, warmup) during warmup, then 1;
 * - linear: k / max(1, warmup) during warmup, then max(0, (total − k) / max(1, total − warmup))
 *   (get_linear_schedule_with_warmup). With warmup > 0 the first update therefore has lr 0, as in HF.
 */
export function lrMultiplier(scheduler: Scheduler, step: number, warmupSteps = 0, totalSteps = 0): number {
  if (!Number.isInteger(step) || step < 0) throw new Error(`lr schedule: step must be an integer ≥ 0, got ${step}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error(`lr schedule: warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  switch (scheduler) {
    case 'constant':
      return 1;
    case 'constant_with_warmup':
      return step < warmupSteps ? step / Math.max(1, warmupSteps) : 1;
    case 'linear':
      if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`lr schedule: linear needs totalSteps ≥ 1, got ${totalSteps}`);
      if (step < warmupSteps) return step / Math.max(1, warmupSteps);
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    default:
      throw new Error(`lr schedule: unknown scheduler '${String(scheduler)}' (constant, constant_with_warmup, linear)`);
  }
}

export interface AdamWOptions {
  lr: number;
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * adamw.wgsl's uniforms for update number `t` (1-based, torch's `state['step']` after its increment) on the element
 * range [offset, offset + n) of the flat buffers. Bias corrections are computed here in float64 (torch computes them
 * in Python floats too), so the kernel never raises 0.999 to a large power in f32.
 */
export function adamwParams(opts: AdamWOptions, t: number, range: { offset: number; n: number }, gradScale = 1): Record<string, number> {
  const { lr, weightDecay } = opts;
  const beta1 = opts.beta1 ?? ADAMW_DEFAULTS.beta1;
  const beta2 = opts.beta2 ?? ADAMW_DEFAULTS.beta2;
  const eps = opts.eps ?? ADAMW_DEFAULTS.eps;
  if (!(lr >= 0 && Number.isFinite(lr))) throw new Error(`adamw: lr must be a finite number ≥ 0, got ${lr}`);
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw new Error(`adamw: weightDecay must be a finite number ≥ 0, got ${weightDecay}`);
  for (const [name, b] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(b >= 0 && b < 1)) throw new Error(`adamw: ${name} must be in [0, 1), got ${b}`);
  }
  if (!(eps > 0)) throw new Error(`adamw: eps must be > 0, got ${eps}`);
  if (!Number.isInteger(t) || t < 1) throw new Error(`adamw: step t must be an integer ≥ 1, got ${t}`);
  if (!(gradScale > 0 && Number.isFinite(gradScale))) throw new Error(`adamw: gradScale must be a finite number > 0, got ${gradScale}`);
  return {
    offset: range.offset, n: range.n, lr, weightDecay, beta1, beta2, oneMinusBeta1: 1 - beta1, oneMinusBeta2: 1 - beta2, eps,
    bc1: 1 - beta1 ** t, bc2Sqrt: Math.sqrt(1 - beta2 ** t), gradScale,
  };
}

/** A parameter tensor's place in the flat f32 buffers (weights, grads, m, v). */
export interface FlatTensor {
  name: string;
  offset: number;
  size: number;
}

/** One adamw dispatch: consecutive tensors that share a weight decay. */
export interface DecayRange {
  offset: number;
  n: number;
  weightDecay: number;
}

/**
 * Groups trainable tensors (in buffer order) into contiguous ranges of equal weight decay: decaysWeight(name) →
 * weightDecay, else 0. Tensors listed in `frozen` are skipped (no update, no norm contribution). A layout that puts
 * the decayed tensors first gives two dispatches; any other order is still correct, with one dispatch per run.
 */
export function decayRanges(tensors: readonly FlatTensor[], weightDecay: number, frozen: ReadonlySet<string> = new Set()): DecayRange[] {
  const ranges: DecayRange[] = [];
  let end = -1;
  for (const t of tensors) {
    if (!Number.isInteger(t.offset) || !Number.isInteger(t.size) || t.offset < 0 || t.size < 1) {
      throw new Error(`decayRanges: tensor '${t.name}' has a bad offset ${t.offset} or size ${t.size}`);
    }
    if (t.offset < end) throw new Error(`decayRanges: tensor '${t.name}' at ${t.offset} overlaps or precedes the one before (ends at ${end})`);
    const wd = decaysWeight(t.name) ? weightDecay : 0;
    const last = ranges[ranges.length - 1];
    const skipped = frozen.has(t.name);
    if (!skipped) {
      if (last && last.offset + last.n === t.offset && last.weightDecay === wd) last.n += t.size;
      else ranges.push({ offset: t.offset, n: t.size, weightDecay: wd });
    }
    end = t.offset + t.size;
  }
  return ranges;
}
