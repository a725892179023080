// Internal: a run() option (a symbol, so it is never an unknown option and never crosses a Worker) that makes run()
// return `{ result, details }`, the task's per-input details next to its result (the CLI prints raw logits and
// truncation from them). Its own module so the page-side callable can name it without loading the runtime.
export const WITH_DETAILS = Symbol('bertgpu.withDetails');
