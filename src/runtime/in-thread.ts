// The runtime in the calling thread (Node, a Worker of the app's own, or worker: false in a page). Loaded lazily by
// the browser entry, so the default Worker path does not ship the runtime twice.
import type { RuntimeLike } from './callable.ts';
import type { Environment, ModelInput } from './environment.ts';
import { browserCacheIfAvailable } from './browser-cache-env.ts';
import { browserEnvironment } from './browser-env.ts';
import { Runtime, type PipelineOptions } from './runtime.ts';
import type { TrainOptions } from '../tasks/train-api.ts';

export function inThread(rt: Runtime): RuntimeLike {
  return {
    get info() {
      return rt.info;
    },
    callShape: rt.callShape,
    run: (inputs, options) => rt.run(inputs, options),
    loss: (inputs, labels, options) => rt.loss(inputs, labels, options),
    stats: async () => rt.stats,
    inspect: (input, options) => rt.inspect(input, options),
    profile: (inputs) => rt.profile(inputs),
    train: (examples, options) => {
      // signal and onStep stay on this side (as over a Worker); anything not an options object goes on to be refused.
      if (!options || typeof options !== 'object' || Array.isArray(options)) return rt.train(examples, options);
      const { signal, onStep, ...rest } = options as TrainOptions;
      return rt.train(examples, rest, { signal, onStep });
    },
    evaluate: (examples, options) => rt.evaluate(examples, options),
    save: (options) => rt.save(options),
    explain: (input, options) => rt.explain(input, options),
    dispose: () => rt.dispose(),
  };
}

export async function createInThread(env: Environment, task: unknown, model: ModelInput, options: PipelineOptions): Promise<RuntimeLike> {
  return inThread(await Runtime.create(env, task, model, options));
}

export async function createBrowserInThread(task: unknown, model: ModelInput, options: PipelineOptions): Promise<RuntimeLike> {
  return createInThread(browserEnvironment(await browserCacheIfAvailable()), task, model, options);
}
