// One error type for everything that can go wrong while finding, downloading or validating model files, so callers
// (the CLI's exit status 1, the demo's message box) can tell a load failure from a bug. The message always names the
// file and, where there is one, the tensor; `code` is stable for tests and programs.

export type WeightsErrorCode =
  | 'bad-argument'
  | 'header-length'
  | 'header-json'
  | 'header-entry'
  | 'dtype'
  | 'offsets'
  | 'truncated'
  | 'trailing-bytes'
  | 'missing-tensor'
  | 'shape'
  | 'unused-tensor'
  | 'f16-range'
  | 'buffer-limit'
  | 'config'
  | 'missing-file'
  | 'not-safetensors'
  | 'index'
  | 'http'
  | 'changed'
  | 'integrity'
  | 'aborted';

export class WeightsError extends Error {
  override readonly name = 'WeightsError';
  constructor(
    readonly code: WeightsErrorCode,
    message: string,
    readonly file?: string,
    readonly tensor?: string,
  ) {
    super(message);
  }
}

/** The AbortError a signal carries (its reason), or a DOMException-like one when it has none. */
export function abortError(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('the operation was aborted');
  e.name = 'AbortError';
  return e;
}

export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: string }).name === 'AbortError';
}
