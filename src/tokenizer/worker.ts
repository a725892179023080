// Web Worker entry: `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`, then drive it with
// TokenizerClient.inWorker. Each message is answered once, with the request's id; encodings' Int32Arrays are
// transferred, not copied.
import { TokenizerService, type Request, type Response } from './protocol.ts';

interface WorkerScope {
  onmessage: ((ev: { data: Request }) => void) | null;
  postMessage(message: Response, transfer: ArrayBuffer[]): void;
}

const scope = globalThis as unknown as WorkerScope;
const service = new TokenizerService();

scope.onmessage = (ev) => {
  void service.handleInOrder(ev.data).then(({ reply, transfer }) => scope.postMessage(reply, transfer));
};
