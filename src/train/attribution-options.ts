// Token attributions' options (Trainer.attributions): validation and the integration rule, shared by the GPU path
// (src/train/attribution.ts) and the float64 reference (src/cpu/attribution.ts).
//
// Integrated gradients use the trapezoid rule on `steps` equal intervals of α ∈ [0, 1]: the gradient is evaluated at
// α_k = k/steps for k = 0 … steps (steps + 1 points), weights 1/(2·steps) at both ends and 1/steps inside. Its error on
// the path integral is O(1/steps²) (Captum's default Gauss–Legendre is higher order but has no endpoint; the
// trapezoid's endpoints are the baseline and the input themselves, so one run also yields logit(baseline) and
// logit(input) for the completeness check Σ scores ≈ logit(x) − logit(x')).

export type AttributionMethod = 'gradient-x-input' | 'integrated-gradients';
export type AttributionBaseline = 'zero' | 'pad';

export interface AttributionOptions {
  method: AttributionMethod;
  /** The class whose logit is explained (its index in the logits, 0 for a one-output regression head). */
  label: number;
  /** Integrated gradients: number of trapezoid intervals (steps + 1 gradient evaluations); default 20. */
  steps?: number;
  /** Integrated gradients: the baseline word embedding, 0 or the [PAD] row (config.pad_token_id); default 'zero'. */
  baseline?: AttributionBaseline;
}

export interface ResolvedAttribution {
  method: AttributionMethod;
  label: number;
  steps: number;
  baseline: AttributionBaseline;
  /** Interpolation factors α and quadrature weights, one per gradient evaluation. */
  alphas: Float64Array;
  weights: Float64Array;
}

export const DEFAULT_IG_STEPS = 20;

/** Trapezoid points on [0, 1] with `steps` intervals: α_k = k/steps, weights 1/(2·steps) at the ends, 1/steps inside. */
export function trapezoidPoints(steps: number): { alphas: Float64Array; weights: Float64Array } {
  const alphas = Float64Array.from({ length: steps + 1 }, (_, k) => k / steps);
  const weights = Float64Array.from({ length: steps + 1 }, (_, k) => (k === 0 || k === steps ? 0.5 : 1) / steps);
  return { alphas, weights };
}

export function resolveAttribution(options: AttributionOptions, numLabels: number): ResolvedAttribution {
  if (typeof options !== 'object' || options === null) throw new Error("attributions: options must be { method: 'gradient-x-input' | 'integrated-gradients', label, steps?, baseline? }");
  const { method } = options;
  if (method !== 'gradient-x-input' && method !== 'integrated-gradients') {
    throw new Error(`attributions: options.method must be 'gradient-x-input' or 'integrated-gradients', got ${JSON.stringify(method)}`);
  }
  const { label } = options;
  if (!Number.isInteger(label) || label < 0 || label >= numLabels) throw new Error(`attributions: options.label must be a label index in [0, ${numLabels}), got ${JSON.stringify(label)}`);
  const baseline = options.baseline ?? 'zero';
  if (baseline !== 'zero' && baseline !== 'pad') throw new Error(`attributions: options.baseline must be 'zero' or 'pad', got ${JSON.stringify(baseline)}`);
  if (method === 'gradient-x-input') {
    if (options.steps !== undefined) throw new Error('attributions: options.steps applies to integrated-gradients only');
    if (options.baseline !== undefined) throw new Error('attributions: options.baseline applies to integrated-gradients only');
    return { method, label, steps: 1, baseline: 'zero', alphas: Float64Array.of(1), weights: Float64Array.of(1) };
  }
  const steps = options.steps ?? DEFAULT_IG_STEPS;
  if (!Number.isInteger(steps) || steps < 1 || steps > 10000) throw new Error(`attributions: options.steps must be an integer in [1, 10000], got ${JSON.stringify(steps)}`);
  return { method, label, steps, baseline, ...trapezoidPoints(steps) };
}
