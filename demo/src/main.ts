// The demo's entry: checks for WebGPU (and says when the CPU backend runs instead), wires the sections together, and loads the
// bundled test model so the page does something without any input.
import { BatchPanel } from './batch-panel.ts';
import { ClassifyPanel } from './classify-panel.ts';
import { byId } from './dom.ts';
import { FillMaskPanel } from './fill-mask-panel.ts';
import { InsightPanel } from './insight-panel.ts';
import { TeachPanel } from './teach-panel.ts';
import { BUNDLED_NAME, bundledModelUrl, ModelPicker, type LoadedModel } from './model-picker.ts';
import { explainMissingWebGpu, hasWebGpu } from './webgpu-support.ts';

function start(): void {
  // A file dropped anywhere but the drop zone would make the browser navigate to it and lose the page.
  for (const type of ['dragover', 'drop'] as const) window.addEventListener(type, (ev) => ev.preventDefault());

  const insight = new InsightPanel();
  const batch = new BatchPanel();
  const teach = new TeachPanel();
  const classify = new ClassifyPanel((input) => {
    if (input === null) insight.clear();
    else void insight.show(input);
  });
  const fill = new FillMaskPanel((text) => {
    if (text === null) insight.clear();
    else void insight.show(text);
  });
  const picker = new ModelPicker((model: LoadedModel | null) => {
    // The sections that fit the model's task are shown; the insight panel serves both.
    const filling = model?.task === 'fill-mask';
    byId('classify-section').hidden = filling;
    byId('batch-section').hidden = filling;
    insight.setModel(model);
    batch.setModel(model);
    classify.setModel(model);
    fill.setModel(model);
    teach.setModel(model);
  });
  document.body.dataset.ready = 'true';
  void picker.load(bundledModelUrl(), BUNDLED_NAME, true);
}

// Without WebGPU the pipelines run on bertgpu's WebAssembly CPU backend; the page says so and works the same.
if (!hasWebGpu()) explainMissingWebGpu();
start();
