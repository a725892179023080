// The symbolic training graph of BertForSequenceClassification for one (B, T) bucket: the forward with the
// activations the backward reads (pre-LayerNorm sums, the FFN pre-activation, packed QKV, the embedding sum, the
// [CLS] rows and the pooler pre-activation — src/cpu/bert-backward.ts's list), HF's loss, and the backward in reverse.
// Each step names a kernel, its uniforms, grid and bindings; bindings point at activation tensors (given buffers
// later by train-plan.ts's liveness arena), parameter units of the flat weight/grad buffers, or the batch inputs.
// Parameter gradients always ACCUMULATE (the plan clears the gradient buffer at the start of an accumulation window),
// frozen levels get no weight-gradient steps, and the backward stops below the lowest trainable level.
// The 'attribution' objective (token attributions, attribution.ts) reuses the forward and backward: interpolated word
// rows, a one-hot on the label's logit instead of the loss, no parameter gradient, a per-token score at the bottom.
import type { BertConfig, ProblemType } from '../model/config.ts';
import { MatmulEpilogue, rowGrid } from '../gpu/kernels.ts';
import { ActivationGrad, ElementwiseLoss, elementGrid } from './kernels.ts';
import type { ParamLayout } from './param-layout.ts';
import type { KernelRef, Overrides } from './train-pipelines.ts';

export type InputName = 'ids' | 'types' | 'mask' | 'labels' | 'clsRows' | 'loss'
  | 'alphas' | 'quadWeights' | 'attrParams' | 'scores'
  | 'starts.word' | 'rows.word' | 'targets.word' | 'starts.pos' | 'rows.pos' | 'targets.pos' | 'starts.type' | 'rows.type' | 'targets.type';
export type Table = 'word' | 'pos' | 'type';

export type Bind = { tensor: number } | { param: string } | { grad: string } | { input: InputName };

export type Phase = 'forward' | 'loss' | 'backward';

export interface GraphStep {
  ref: KernelRef;
  params: Record<string, number>;
  overrides: Overrides;
  grid: readonly [number, number, number];
  bind: Record<string, Bind>;
  phase: Phase;
  /** Dropout site whose seed/threshold/scale fill the uniforms at run time (forward and backward share one site). */
  dropoutSite?: number;
  /** Which probability the site draws with (default hidden). */
  dropoutKind?: 'hidden' | 'attention';
  /** embedding_backward's segment count comes from the batch. */
  segmentsOf?: Table;
}

export interface TrainGraph {
  B: number;
  T: number;
  tensors: Array<{ name: string; bytes: number }>;
  steps: GraphStep[];
  /** Activation tensor of the logits (B, numLabels). */
  logits: number;
  /**
   * Number of dropout sites (0 with dropout off): 0 after the embeddings, 1 + 2l and 2 + 2l on layer l's attention
   * and FFN output dense, 1 + 2L before the classifier (src/cpu/bert-backward.ts's HiddenDropout order), then
   * 2L + 2 + l on layer l's attention probabilities.
   */
  dropoutSites: number;
  /** Bytes of each batch input buffer (the objective's own: the loss and segments, or the attribution inputs). */
  inputBytes: Partial<Record<InputName, number>>;
}

export interface GraphOptions {
  problemType: ProblemType;
  hiddenDropout: number;
  attentionDropout: number;
  layout: ParamLayout;
  /**
   * 'loss' (default): HF's loss and every trainable parameter's gradient. 'attribution' (token attributions,
   * src/train/attribution.ts): the word rows interpolated per batch row (`alphas`, baseline in `attrParams`), a
   * one-hot on the label's logit as the objective's gradient, the backward down to the embedding sum with no
   * parameter gradient, then one score per token of row 0's sequence into `scores` (every row holds the same one).
   */
  objective?: 'loss' | 'attribution';
}

const activationCode = { gelu: ActivationGrad.gelu, gelu_tanh: ActivationGrad.geluTanh, relu: ActivationGrad.relu } as const;

export function buildTrainGraph(config: BertConfig, B: number, T: number, opts: GraphOptions): TrainGraph {
  const C = config.hiddenSize;
  const I = config.intermediateSize;
  const NH = config.numAttentionHeads;
  const HS = config.headSize;
  const NL = config.numLabels;
  const L = config.numHiddenLayers;
  const R = B * T;
  const eps = config.layerNormEps;
  const { layout } = opts;
  const drop = opts.hiddenDropout > 0;
  const attnDrop = opts.attentionDropout > 0;
  const sites = drop || attnDrop ? 3 * L + 2 : 0;
  const tensors: TrainGraph['tensors'] = [];
  const steps: GraphStep[] = [];
  let phase: Phase = 'forward';
  const T_ = (name: string, elems: number) => (tensors.push({ name, bytes: elems * 4 }), tensors.length - 1);
  const t = (id: number): Bind => ({ tensor: id });
  const p = (unit: string): Bind => ({ param: unit });
  const g = (unit: string): Bind => ({ grad: unit });
  const step = (ref: KernelRef, params: Record<string, number>, grid: readonly number[], bind: Record<string, Bind>, extra: Partial<GraphStep> = {}) => {
    steps.push({ ref, params, grid: [grid[0], grid[1] ?? 1, grid[2] ?? 1], bind, overrides: {}, phase, ...extra });
  };
  const attribution = opts.objective === 'attribution';
  if (attribution && (drop || attnDrop)) throw new Error('training graph: attributions run without dropout');
  const trainable = (level: number) => !attribution && !layout.units.some((u) => u.level === level && u.frozen);
  let lowest = L + 3;
  for (let lv = L + 2; lv >= 0; lv--) if (trainable(lv)) lowest = lv;
  if (attribution) lowest = 0;  // the gradient flows to the input, no parameter takes one
  if (lowest > L + 2) throw new Error('training graph: every parameter is frozen, nothing to train');

  // ---- forward building blocks (the inference kernels where they fit)
  const matmul = (name: string, x: number, M: number, N: number, K: number, w: string, b: string, residual?: number): number => {
    const y = T_(name, M * N);
    step({ set: 'infer', name: 'matmul' }, { M, N, K, xRowStep: 1, epilogue: MatmulEpilogue[residual === undefined ? 'none' : 'residual'] },
      [Math.ceil(N / 32), Math.ceil(M / 32)], { x: t(x), w: p(w), b: p(b), residual: t(residual ?? x), y: t(y) });
    return y;
  };
  const layernorm = (name: string, h: number, gamma: string, beta: string): number => {
    const y = T_(name, R * C);
    step({ set: 'infer', name: 'layernorm' }, { rows: R, C, eps }, rowGrid(R), { x: t(h), residual: t(h), gamma: p(gamma), beta: p(beta), y: t(y) });
    return y;
  };
  const activation = (name: string, x: number, n: number, act: number): number => {
    const y = T_(name, n);
    step({ set: 'fwd', name: 'activation' }, { n }, elementGrid(n), { x: t(x), y: t(y) }, { overrides: { ACT: act } });
    return y;
  };
  const dropout = (name: string, x: number, n: number, site: number, dropoutKind: 'hidden' | 'attention' = 'hidden'): number => {
    const y = T_(name, n);
    step({ set: 'train', name: 'dropout' }, { n }, elementGrid(n), { x: t(x), y: t(y) }, { dropoutSite: site, dropoutKind });
    return y;
  };
  /** dense → (dropout) → + residual: the pre-LayerNorm sum h, kept for the backward; returns [h, site]. */
  const denseResidual = (name: string, x: number, N: number, K: number, w: string, b: string, residual: number, site: number): [number, number] => {
    if (!drop) return [matmul(name, x, R, N, K, w, b, residual), -1];
    const y = matmul(`${name}.dense`, x, R, N, K, w, b);
    const h = T_(name, R * N);
    step({ set: 'fwd', name: 'dropoutAdd' }, { n: R * N }, elementGrid(R * N), { x: t(y), r: t(residual), h: t(h) }, { dropoutSite: site });
    return [h, site];
  };

  // ---- forward
  const embSum = T_('emb.sum', R * C);
  const tables = { wordEmb: p('bert.embeddings.word_embeddings.weight'), posEmb: p('bert.embeddings.position_embeddings.weight'), typeEmb: p('bert.embeddings.token_type_embeddings.weight') };
  const embParams = { rows: R, T, C, vocabSize: config.vocabSize, maxPositions: config.maxPositionEmbeddings, typeVocabSize: config.typeVocabSize };
  if (attribution) {
    step({ set: 'fwd', name: 'attributionEmbeddingSum' }, embParams, rowGrid(R),
      { ids: { input: 'ids' }, typeIds: { input: 'types' }, alphas: { input: 'alphas' }, attrParams: { input: 'attrParams' }, ...tables, e: t(embSum) });
  } else {
    step({ set: 'fwd', name: 'embeddingSum' }, embParams, rowGrid(R), { ids: { input: 'ids' }, typeIds: { input: 'types' }, ...tables, e: t(embSum) });
  }
  let x = layernorm('emb.out', embSum, 'bert.embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.bias');
  const embSite = drop ? 0 : -1;
  if (drop) x = dropout('emb.drop', x, R * C, embSite);
  interface Saved {
    x: number; qkv: number; ctx: number; attnSum: number; attnSite: number; a: number; interPre: number; inter: number; outSum: number; outSite: number;
    /** With attention dropout: the softmax P and the dropped P̃ (B, NH, T, T), and the site. */
    probs?: { p: number; dropped: number; site: number };
  }
  const saved: Saved[] = [];
  const act = activationCode[config.activation];
  for (let l = 0; l < L; l++) {
    const P = `bert.encoder.layer.${l}.`;
    const qkv = matmul(`l${l}.qkv`, x, R, 3 * C, C, `${P}attention.self.query.weight`, `${P}attention.self.query.bias`);
    const ctx = T_(`l${l}.ctx`, R * C);
    let probs: Saved['probs'];
    if (attnDrop) {
      // P materialised and dropped (HF's attention_probs dropout), then ctx = P̃·V; both kept for the backward.
      const pAll = T_(`l${l}.probs`, B * NH * T * T);
      step({ set: 'infer', name: 'attentionProbs' }, { T, NH, HS }, [Math.ceil(T / 32), NH, B], { qkv: t(qkv), mask: { input: 'mask' }, probs: t(pAll) });
      const site = 2 * L + 2 + l;
      const dropped = dropout(`l${l}.probs.drop`, pAll, B * NH * T * T, site, 'attention');
      step({ set: 'fwd', name: 'attentionApply' }, { T, NH, HS }, [T, NH, B], { qkv: t(qkv), probs: t(dropped), ctx: t(ctx) });
      probs = { p: pAll, dropped, site };
    } else {
      step({ set: 'infer', name: 'attention' }, { T, NH, HS }, [Math.ceil(T / 32), NH, B], { qkv: t(qkv), mask: { input: 'mask' }, ctx: t(ctx) });
    }
    const [attnSum, attnSite] = denseResidual(`l${l}.attnSum`, ctx, C, C, `${P}attention.output.dense.weight`, `${P}attention.output.dense.bias`, x, 1 + 2 * l);
    const a = layernorm(`l${l}.a`, attnSum, `${P}attention.output.LayerNorm.weight`, `${P}attention.output.LayerNorm.bias`);
    const interPre = matmul(`l${l}.interPre`, a, R, I, C, `${P}intermediate.dense.weight`, `${P}intermediate.dense.bias`);
    const inter = activation(`l${l}.inter`, interPre, R * I, act);
    const [outSum, outSite] = denseResidual(`l${l}.outSum`, inter, C, I, `${P}output.dense.weight`, `${P}output.dense.bias`, a, 2 + 2 * l);
    saved.push({ x, qkv, ctx, attnSum, attnSite, a, interPre, inter, outSum, outSite, probs });
    x = layernorm(`l${l}.out`, outSum, `${P}output.LayerNorm.weight`, `${P}output.LayerNorm.bias`);
  }
  const cls = T_('cls', B * C);
  step({ set: 'infer', name: 'gatherRows' }, { R: B, W: C, rowsIn: R }, rowGrid(B), { rows: { input: 'clsRows' }, x: t(x), y: t(cls) });
  const poolPre = matmul('pool.pre', cls, B, C, C, 'bert.pooler.dense.weight', 'bert.pooler.dense.bias');
  let pooled = activation('pool.out', poolPre, B * C, ActivationGrad.tanh);
  const headSite = drop ? 1 + 2 * L : -1;
  if (drop) pooled = dropout('pool.drop', pooled, B * C, headSite);
  const logits = matmul('logits', pooled, B, NL, C, 'classifier.weight', 'classifier.bias');

  // ---- loss: per-row shares, then one fixed-order sum into the scalar (attributions: the one-hot objective instead)
  phase = 'loss';
  let dlogits: number;
  if (attribution) {
    dlogits = T_('dlogits', B * NL);
    step({ set: 'fwd', name: 'logitSeed' }, { n: B * NL, NL }, [Math.ceil((B * NL) / 64)], { attrParams: { input: 'attrParams' }, dlogits: t(dlogits) });
  } else {
    const rowLoss = T_('loss.rows', B);
    dlogits = T_('dlogits', B * NL);
    if (opts.problemType === 'single_label_classification') {
      step({ set: 'train', name: 'crossEntropy' }, { rows: B, V: NL }, rowGrid(B), { logits: t(logits), labels: { input: 'labels' }, rowLoss: t(rowLoss), dlogits: t(dlogits) });
    } else {
      const code = opts.problemType === 'regression' ? ElementwiseLoss.mse : ElementwiseLoss.bceWithLogits;
      step({ set: 'train', name: 'elementwiseLoss' }, { rows: B, L: NL }, rowGrid(B), { logits: t(logits), targets: { input: 'labels' }, rowLoss: t(rowLoss), dlogits: t(dlogits) },
        { overrides: { LOSS: code } });
    }
    step({ set: 'train', name: 'sumReduce' }, { n: B }, [1], { values: t(rowLoss), out: { input: 'loss' } });
  }

  // ---- backward
  phase = 'backward';
  const ACC = { ACCUMULATE: true };
  /** dX = dY·W (M, K) of y = x·Wᵀ + b; into `into` with ACCUMULATE when given. */
  const gradX = (name: string, dy: number, M: number, N: number, K: number, w: string, into?: number): number => {
    const dx = into ?? T_(name, M * K);
    step({ set: 'train', name: 'matmulGrad' }, { P: M, Q: K, R: N }, [Math.ceil(K / 64), Math.ceil(M / 64)], { a: t(dy), b: p(w), c: t(dx) },
      into === undefined ? {} : { overrides: ACC });
    return dx;
  };
  /** dW += dYᵀ·X and db += column sums of dY, into the gradient buffer. */
  const gradWB = (dy: number, x: number, M: number, N: number, K: number, w: string, b: string) => {
    step({ set: 'train', name: 'matmulGrad' }, { P: N, Q: K, R: M }, [Math.ceil(K / 64), Math.ceil(N / 64)], { a: t(dy), b: t(x), c: g(w) },
      { overrides: { TRANSPOSE_A: true, ACCUMULATE: true } });
    step({ set: 'train', name: 'columnSum' }, { M, N }, [Math.ceil(N / 32)], { a: t(dy), out: g(b) }, { overrides: ACC });
  };
  const lnBackward = (name: string, dy: number, h: number, gamma: string, beta: string, train: boolean): number => {
    const dh = T_(name, R * C);
    const stats = T_(`${name}.stats`, R * 2);
    step({ set: 'train', name: 'layernormBackward' }, { rows: R, C, eps }, rowGrid(R), { dy: t(dy), h: t(h), gamma: p(gamma), dh: t(dh), stats: t(stats) });
    if (train) {
      step({ set: 'train', name: 'layernormParamGrad' }, { rows: R, C }, [Math.ceil(C / 32)], { dy: t(dy), h: t(h), stats: t(stats), dgamma: g(gamma), dbeta: g(beta) },
        { overrides: ACC });
    }
    return dh;
  };
  const dropBackward = (name: string, dy: number, n: number, site: number): number => (site < 0 ? dy : dropout(name, dy, n, site));
  const actBackward = (name: string, x: number, dy: number, n: number, code: number): number => {
    const dx = T_(name, n);
    step({ set: 'train', name: 'activationBackward' }, { n }, elementGrid(n), { x: t(x), dy: t(dy), dx: t(dx) }, { overrides: { ACT: code } });
    return dx;
  };

  if (trainable(L + 2)) gradWB(dlogits, pooled, B, NL, C, 'classifier.weight', 'classifier.bias');
  if (lowest < L + 2) {
    const dpooled = dropBackward('d.pool.drop', gradX('d.pool.out', dlogits, B, NL, C, 'classifier.weight'), B * C, headSite);
    const dpoolPre = actBackward('d.pool.pre', poolPre, dpooled, B * C, ActivationGrad.tanh);
    if (trainable(L + 1)) gradWB(dpoolPre, cls, B, C, C, 'bert.pooler.dense.weight', 'bert.pooler.dense.bias');
    if (lowest < L + 1) {
      const dcls = gradX('d.cls', dpoolPre, B, C, C, 'bert.pooler.dense.weight');
      let dx = T_('d.last', R * C);
      step({ set: 'fwd', name: 'clsScatter' }, { n: R * C, T, C }, elementGrid(R * C), { dcls: t(dcls), dx: t(dx) });
      for (let l = L - 1; l >= 0 && lowest <= 1 + l; l--) {
        const P = `bert.encoder.layer.${l}.`;
        const s = saved[l];
        const tr = trainable(1 + l);
        const dh2 = lnBackward(`d.l${l}.outSum`, dx, s.outSum, `${P}output.LayerNorm.weight`, `${P}output.LayerNorm.bias`, tr);
        const dy2 = dropBackward(`d.l${l}.out.drop`, dh2, R * C, s.outSite);
        if (tr) gradWB(dy2, s.inter, R, C, I, `${P}output.dense.weight`, `${P}output.dense.bias`);
        const dinter = gradX(`d.l${l}.inter`, dy2, R, C, I, `${P}output.dense.weight`);
        const dinterPre = actBackward(`d.l${l}.interPre`, s.interPre, dinter, R * I, act);
        if (tr) gradWB(dinterPre, s.a, R, I, C, `${P}intermediate.dense.weight`, `${P}intermediate.dense.bias`);
        gradX('', dinterPre, R, I, C, `${P}intermediate.dense.weight`, dh2);  // a feeds the FFN and the residual
        const dh1 = lnBackward(`d.l${l}.attnSum`, dh2, s.attnSum, `${P}attention.output.LayerNorm.weight`, `${P}attention.output.LayerNorm.bias`, tr);
        const dy1 = dropBackward(`d.l${l}.attn.drop`, dh1, R * C, s.attnSite);
        if (tr) gradWB(dy1, s.ctx, R, C, C, `${P}attention.output.dense.weight`, `${P}attention.output.dense.bias`);
        const dctx = gradX(`d.l${l}.ctx`, dy1, R, C, C, `${P}attention.output.dense.weight`);
        const dscores = T_(`d.l${l}.dscores`, B * NH * T * T);
        let probs: number;
        if (s.probs) {
          step({ set: 'fwd', name: 'attentionBackwardScoresDropout' }, { T, NH, HS }, [T, NH, B],
            { qkv: t(s.qkv), dctx: t(dctx), probs: t(s.probs.p), dscores: t(dscores) }, { dropoutSite: s.probs.site, dropoutKind: 'attention' });
          probs = s.probs.dropped;  // dv = Σ_i P̃_ir · dctx_i
        } else {
          probs = T_(`d.l${l}.probs`, B * NH * T * T);
          step({ set: 'train', name: 'attentionBackwardScores' }, { T, NH, HS }, [T, NH, B],
            { qkv: t(s.qkv), mask: { input: 'mask' }, dctx: t(dctx), probs: t(probs), dscores: t(dscores) });
        }
        const dqkv = T_(`d.l${l}.qkv`, R * 3 * C);
        step({ set: 'train', name: 'attentionBackwardGrads' }, { T, NH, HS }, [T, NH, B],
          { qkv: t(s.qkv), dctx: t(dctx), probs: t(probs), dscores: t(dscores), dqkv: t(dqkv) });
        if (tr) gradWB(dqkv, s.x, R, 3 * C, C, `${P}attention.self.query.weight`, `${P}attention.self.query.bias`);
        if (lowest < 1 + l) gradX('', dqkv, R, 3 * C, C, `${P}attention.self.query.weight`, dh1);  // x feeds Q, K, V and the residual
        dx = dh1;
      }
      if (attribution) {
        const dE = lnBackward('d.emb.sum', dx, embSum, 'bert.embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.bias', false);
        step({ set: 'fwd', name: 'attributionReduce' }, { T, C, B, vocabSize: config.vocabSize }, rowGrid(T),
          { ids: { input: 'ids' }, attrParams: { input: 'attrParams' }, quadWeights: { input: 'quadWeights' }, wordEmb: tables.wordEmb, dE: t(dE), scores: { input: 'scores' } });
      } else if (lowest === 0) {
        const dx0 = dropBackward('d.emb.drop', dx, R * C, embSite);
        const dE = lnBackward('d.emb.sum', dx0, embSum, 'bert.embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.bias', true);
        const grads: Array<[Table, string]> = [['word', 'bert.embeddings.word_embeddings.weight'], ['pos', 'bert.embeddings.position_embeddings.weight'],
          ['type', 'bert.embeddings.token_type_embeddings.weight']];
        for (const [table, unit] of grads) {
          step({ set: 'train', name: 'embeddingBackward' }, { segments: 0, C }, rowGrid(R),
            { dE: t(dE), starts: { input: `starts.${table}` }, sortedRows: { input: `rows.${table}` }, targets: { input: `targets.${table}` }, dTable: g(unit) },
            { overrides: ACC, segmentsOf: table });
        }
      }
    }
  }
  const common = { ids: R * 4, types: R * 4, mask: R * 4, clsRows: B * 4 };
  if (attribution) {
    return { B, T, tensors, steps, logits, dropoutSites: 0, inputBytes: { ...common, alphas: B * 4, quadWeights: B * 4, attrParams: 16, scores: T * 4 } };
  }
  const inputBytes: Partial<Record<InputName, number>> = {
    ...common, labels: B * Math.max(NL, 1) * 4, loss: 4,
    'starts.word': (R + 1) * 4, 'rows.word': R * 4, 'targets.word': R * 4,
    'starts.pos': (R + 1) * 4, 'rows.pos': R * 4, 'targets.pos': R * 4,
    'starts.type': (R + 1) * 4, 'rows.type': R * 4, 'targets.type': R * 4,
  };
  return { B, T, tensors, steps, logits, dropoutSites: sites, inputBytes };
}
