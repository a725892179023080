// The BPE / Unigram tokenizer code (tokenizer.json models beyond WordPiece) as one module, loaded on demand through
// pipeline-models.ts: a WordPiece page or Worker never downloads it.
export { FlaggedMatcher } from './added-flags.ts';
export { specFromPipelineJson } from './model-json.ts';
export { PipelineEncoder } from './pipeline.ts';
