// Where the BPE / Unigram code (pipeline-lib.ts) comes from. It is a separate chunk: the synchronous
// BertTokenizer.fromTokenizerJson finds it here once something registered it — 'bertgpu/tokenizer' and the Node entry
// import it eagerly; a Worker awaits prepareTokenizerJson(json) first, which imports it only when the tokenizer.json's
// model asks for it, so WordPiece pages pay nothing for it.
import type * as PipelineLib from './pipeline-lib.ts';

export type PipelineLibrary = typeof PipelineLib;

let library: PipelineLibrary | undefined;

export function registerPipelineLibrary(lib: PipelineLibrary): void {
  library = lib;
}

/** The BPE/Unigram code; a clear error when nothing loaded it (the caller skipped prepareTokenizerJson). */
export function pipelineLibrary(fn: string, modelType: string): PipelineLibrary {
  if (library === undefined) {
    throw new Error(`${fn}: the ${modelType} tokenizer code is not loaded; await prepareTokenizerJson(json) first ` +
      "(or import BertTokenizer from 'bertgpu/tokenizer', which loads it)");
  }
  return library;
}

/** Whether a tokenizer.json (object or text) has a BPE or Unigram model. Text is only scanned, not parsed. */
export function needsPipelineLibrary(json: unknown): boolean {
  if (typeof json === 'string') return /"type"\s*:\s*"(?:BPE|Unigram)"/.test(json);
  if (typeof json !== 'object' || json === null) return false;
  const model = (json as { model?: unknown }).model;
  const type = typeof model === 'object' && model !== null ? (model as { type?: unknown }).type : undefined;
  return type === 'BPE' || type === 'Unigram';
}

/** Loads the BPE/Unigram code when `json` needs it (a dynamic import: its own chunk in bundles). */
export async function prepareTokenizerJson(json: unknown): Promise<void> {
  if (library !== undefined || !needsPipelineLibrary(json)) return;
  registerPipelineLibrary(await import('./pipeline-lib.ts'));
}
