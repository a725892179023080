// A model's tuning over its life: the choices of every (batch, sequence) bucket tuned so far, merged into the kernel
// profile its plans are lowered with. The first tuning (the default bucket) starts with the download (load.ts); a
// bucket's first plan tunes the shapes not seen yet. Tunings run one after another (their timings must not overlap);
// a failure leaves the variant table's order (tuning is an optimisation, never an error).
import type { Graph } from '../graph/ops.ts';
import { opKey, type AdapterProfile, type VariantChoice } from '../graph/variants.ts';
import type { TuningStore } from './tuner-cache.ts';
import { tuneGraph, type OpTuning, type TuneContext, type TuneResult } from './tuner.ts';

export interface TuningSessionOptions {
  /** Whether to tune at all (BertModel: tune 'auto' on the 'gpu' kernel profile). */
  enabled: boolean;
  dtype: 'f32' | 'f16';
  store: TuningStore | null;
  budgetMs: number;
  /** A tuning already under way (load.ts's, of the default bucket); applied before anything else. */
  first?: Promise<TuneResult | undefined>;
}

export class TuningSession {
  private readonly choices = new Map<string, VariantChoice>();
  /** Op keys tuned or tried (a budget-limited op is not retried on every plan). */
  private readonly seen = new Set<string>();
  private readonly found: OpTuning[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly compiles: Array<Promise<void>> = [];
  private first?: Promise<TuneResult | undefined>;
  private closed = false;

  constructor(private readonly ctx: TuneContext, private readonly base: AdapterProfile, private readonly options: TuningSessionOptions) {
    this.first = options.first;
  }

  /** The kernel profile with every choice so far. */
  get profile(): AdapterProfile {
    return this.choices.size > 0 ? { ...this.base, choices: this.choices } : this.base;
  }

  /** What each tuning found, per op shape, in order. */
  get ops(): readonly OpTuning[] {
    return this.found;
  }

  /** Applies the first tuning, then tunes the shapes of `graph` not tuned yet (null: only the first). Never rejects. */
  tune(graph: Graph | null): Promise<void> {
    const next = this.chain.then(async () => {
      const first = this.first;
      this.first = undefined;
      if (first) this.record(await first.catch(() => undefined));
      if (!graph || !this.options.enabled || this.closed || graph.ops.every((op) => this.seen.has(opKey(op)))) return;
      const { dtype, store, budgetMs } = this.options;
      this.record(await tuneGraph(this.ctx, graph, dtype, this.base, { budgetMs, store }).catch(() => undefined));
    });
    this.chain = next.catch(() => undefined);
    return this.chain;
  }

  /** Stops tuning; resolves when tunings and the compiles they started have ended (before the device may go). */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    if (this.first) this.record(await this.first.catch(() => undefined));
    await Promise.all(this.compiles);
  }

  private record(result: TuneResult | undefined): void {
    if (!result) return;
    this.compiles.push(result.idle);
    for (const o of result.ops) {
      // A graph with some new shapes is tuned whole; shapes seen before come back from the store (or the budget).
      if (this.seen.has(o.key)) continue;
      this.seen.add(o.key);
      this.found.push(o);
      const choice = result.choices.get(o.key);
      if (choice) this.choices.set(o.key, choice);
    }
  }
}
