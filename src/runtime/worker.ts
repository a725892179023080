// The runtime Worker: owns the GPU device, weights and tokenizer; the page talks to it through worker-client.ts.
// Never lets an error escape: every failure becomes an error message for the request that caused it.
import { browserCacheIfAvailable } from './browser-cache-env.ts';
import { browserEnvironment } from './browser-env.ts';
import { serializeError, type FromWorker, type ToWorker } from './protocol.ts';
import { Runtime } from './runtime.ts';
import type { SaveOptions } from '../tasks/train-api.ts';

const scope = self as unknown as { onmessage: ((ev: MessageEvent<ToWorker>) => void) | null; postMessage(m: FromWorker, transfer?: Transferable[]): void };
let runtime: Runtime | null = null;
const controllers = new Map<number, AbortController>();

function transferables(value: unknown): Transferable[] {
  if (value && typeof value === 'object' && 'data' in value && (value as { data: unknown }).data instanceof Float32Array) {
    return [((value as { data: Float32Array }).data).buffer];
  }
  return [];
}

async function handle(msg: ToWorker): Promise<void> {
  const reply = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  try {
    switch (msg.type) {
      case 'create': {
        if (runtime) throw new Error('this Worker already holds a pipeline');
        const controller = new AbortController();
        controllers.set(msg.id, controller);
        runtime = await Runtime.create(browserEnvironment(await browserCacheIfAvailable()), msg.task, msg.model, {
          ...msg.options, signal: controller.signal, onProgress: (progress) => reply({ id: msg.id, type: 'progress', progress }),
        });
        reply({ id: msg.id, type: 'created', info: runtime.info, callShape: runtime.callShape });
        return;
      }
      case 'run': {
        const rt = need();
        const controller = new AbortController();
        controllers.set(msg.id, controller);
        // The call's options plus this request's signal; anything that is not an options object goes through as it
        // is, so the runtime rejects it with its own message.
        const plain = !!msg.options && typeof msg.options === 'object' && !Array.isArray(msg.options);
        const options = msg.options === undefined ? { signal: controller.signal } : plain ? { ...(msg.options as object), signal: controller.signal } : msg.options;
        const value = await rt.run(msg.inputs, options);
        reply({ id: msg.id, type: 'result', value, info: rt.info }, transferables(value));
        return;
      }
      case 'loss': {
        const controller = new AbortController();
        controllers.set(msg.id, controller);
        const value = await need().loss(msg.inputs, msg.labels as number[], { signal: controller.signal });
        reply({ id: msg.id, type: 'result', value });
        return;
      }
      case 'inspect': {
        const value = await need().inspect(msg.input, msg.options);
        reply({ id: msg.id, type: 'result', value }, [value.attentions.buffer]);
        return;
      }
      case 'train': {
        const controller = new AbortController();
        controllers.set(msg.id, controller);
        const value = await need().train(msg.examples, msg.options, {
          signal: controller.signal, onStep: (step) => reply({ id: msg.id, type: 'step', step }),
        });
        reply({ id: msg.id, type: 'result', value, info: need().info });
        return;
      }
      case 'evaluate': {
        const controller = new AbortController();
        controllers.set(msg.id, controller);
        reply({ id: msg.id, type: 'result', value: await need().evaluate(msg.examples, { signal: controller.signal }) });
        return;
      }
      case 'explain':
        reply({ id: msg.id, type: 'result', value: await need().explain(msg.input, msg.options) });
        return;
      case 'save':
        reply({ id: msg.id, type: 'result', value: await need().save(msg.options as SaveOptions | undefined) });
        return;
      case 'profile':
        reply({ id: msg.id, type: 'result', value: await need().profile(msg.inputs) });
        return;
      case 'stats':
        reply({ id: msg.id, type: 'result', value: need().stats });
        return;
      case 'liveness':
        reply({ id: msg.id, type: 'result', value: await holdUntilDeath(msg.lock) });
        return;
      case 'abort':
        controllers.get(msg.target)?.abort(new DOMException('The operation was aborted', 'AbortError'));
        return;
      case 'dispose':
        await runtime?.dispose();
        runtime = null;
        reply({ id: msg.id, type: 'result', value: null });
        return;
      default:
        throw new TypeError(`unknown message type ${JSON.stringify((msg as { type?: unknown }).type)}`);
    }
  } catch (e) {
    reply({ id: msg.id, type: 'error', error: serializeError(e) });
  } finally {
    controllers.delete(msg.id);
  }
}

/**
 * Takes the Web Lock `name` and never lets go: the browser releases it only when this Worker's context ends (a crash,
 * running out of memory, terminate(), self.close()), which is how the page learns of a death that fires no event.
 * Resolves true once the lock is held (the page asks for it only after that), false where there are no Web Locks.
 */
function holdUntilDeath(name: string): Promise<boolean> {
  const locks = (self.navigator as Navigator | undefined)?.locks;
  if (!locks) return Promise.resolve(false);
  return new Promise((held) => {
    void locks.request(name, () => {
      held(true);
      return new Promise<never>(() => {});
    });
  });
}

function need(): Runtime {
  if (!runtime) throw new Error('this pipeline was disposed; create a new one');
  return runtime;
}

scope.onmessage = (ev) => {
  void handle(ev.data);
};
