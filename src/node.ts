// bertgpu for Node: the same pipeline() on Dawn (npm webgpu, with the software adapter set-up installs when there is
// no GPU), reading local model folders, the Hub or URLs (cached in $XDG_CACHE_HOME/bertgpu).
import type { FeatureExtractionPipeline, TextClassificationPipeline } from './runtime/callable.ts';
import type { ModelInput } from './runtime/environment.ts';
import { nodeEnvironment } from './runtime/node-env.ts';
import type { PipelineOptions, Task } from './runtime/runtime.ts';
import { createPipeline } from './pipeline.ts';

export * from './index.ts';

export function pipeline(task: 'text-classification', model: ModelInput, options?: PipelineOptions): Promise<TextClassificationPipeline>;
export function pipeline(task: 'feature-extraction', model: ModelInput, options?: PipelineOptions): Promise<FeatureExtractionPipeline>;
export async function pipeline(task: Task, model: ModelInput, options: PipelineOptions = {}): Promise<TextClassificationPipeline | FeatureExtractionPipeline> {
  return createPipeline(async () => nodeEnvironment, task, model, options);
}
