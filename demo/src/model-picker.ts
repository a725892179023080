// Model section: the three sources (bundled test model, Hub id or URL, local folder), the precision choice, the
// loading progress (bytes, percent, current tensor), Cancel, and readable errors. A new model replaces the current
// one only once it has loaded, so a failed or cancelled load leaves the page as it was.
import { pipeline, type FillMaskPipeline, type LoadProgress, type TextClassificationPipeline } from '../../src/index.ts';
import { byId, describeError, isAbort, showError } from './dom.ts';
import { filesFromDrop } from './folder-drop.ts';
import { formatBytes, formatPercent } from './format.ts';
import { hasWebGpu } from './webgpu-support.ts';

/** What the page does with a model: classify texts (sections 2 and 4) or fill in [MASK]s. */
export type DemoTask = 'text-classification' | 'fill-mask';

export interface LoadedModel {
  task: DemoTask;
  /** The pipeline for the task (the other one is null); `pipe` is whichever it is (info, inspect, dispose). */
  classify: TextClassificationPipeline | null;
  fill: FillMaskPipeline | null;
  pipe: TextClassificationPipeline | FillMaskPipeline;
  /** What the page calls it. */
  name: string;
  bundled: boolean;
  /** Where it was loaded from (the Teach it panel fine-tunes a copy from there). */
  source: string | File[];
}

/** The bundled models' folders, relative to the page so the built site works under any path. */
export const bundledModelUrl = () => new URL('models/tiny-bert-random/', document.baseURI).href;
export const BUNDLED_NAME = 'tiny-bert-random (bundled test model, random weights — its labels mean nothing)';
const bundledMlmUrl = () => new URL('models/tiny-bert-mlm-random/', document.baseURI).href;
const BUNDLED_MLM_NAME = 'tiny-bert-mlm-random (bundled fill-mask test model, random weights — its guesses mean nothing)';

export class ModelPicker {
  private controller: AbortController | null = null;
  private current: LoadedModel | null = null;
  private readonly progress = byId<HTMLProgressElement>('load-progress');
  private readonly progressText = byId('progress-text');
  private readonly loadingBox = byId('loading');
  private readonly cancelButton = byId<HTMLButtonElement>('cancel-load');
  private readonly status = byId('model-status');
  private readonly errorBox = byId('model-error');

  constructor(private readonly onChange: (model: LoadedModel | null) => void) {
    byId('load-bundled').addEventListener('click', () => void this.load(bundledModelUrl(), BUNDLED_NAME, true, 'text-classification'));
    byId('load-bundled-mlm').addEventListener('click', () => void this.load(bundledMlmUrl(), BUNDLED_MLM_NAME, true, 'fill-mask'));
    byId<HTMLFormElement>('remote-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const ref = byId<HTMLInputElement>('model-id').value.trim();
      if (!ref) {
        showError(this.errorBox, 'Type a Hub id (like org/name) or the URL of a model folder first.');
        return;
      }
      void this.load(ref, ref, false);
    });
    const folderInput = byId<HTMLInputElement>('folder-input');
    folderInput.addEventListener('change', () => {
      const files = Array.from(folderInput.files ?? []);
      if (files.length > 0) void this.load(files, folderName(files), false);
    });
    this.watchDrops(byId('drop-zone'));
    this.cancelButton.addEventListener('click', () => this.cancel());
  }

  get model(): LoadedModel | null {
    return this.current;
  }

  /**
   * Loads a model for `task` (default: the page's task choice); resolves when it is in use, cancelled, or failed
   * (shown on the page, never thrown).
   */
  async load(model: string | File[], name: string, bundled: boolean, task = byId<HTMLSelectElement>('task').value as DemoTask): Promise<void> {
    this.controller?.abort(new DOMException('superseded by a newer load', 'AbortError'));
    const controller = new AbortController();
    this.controller = controller;
    const trigger = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    showError(this.errorBox, null);
    this.startProgress(name);
    const dtype = byId<HTMLSelectElement>('dtype').value as 'auto' | 'f32' | 'f16';
    try {
      const options = {
        dtype,
        // This page has no WebGPU, so neither has its Worker in a real browser: say 'cpu' rather than let the Worker
        // find out again (and a page that hides navigator.gpu by policy gets the CPU it expects).
        ...(hasWebGpu() ? {} : { device: 'cpu' as const }),
        signal: controller.signal,
        onProgress: (p: LoadProgress) => {
          if (this.controller === controller) this.showProgress(p);
        },
      };
      const loaded: LoadedModel = task === 'fill-mask'
        ? withPipe({ task, classify: null, fill: await pipeline('fill-mask', model, options), name, bundled, source: model })
        : withPipe({ task, classify: await pipeline('text-classification', model, options), fill: null, name, bundled, source: model });
      if (this.controller !== controller) {
        // A newer load (or Cancel) won the race after this one had already finished.
        await loaded.pipe.dispose();
        return;
      }
      const previous = this.current;
      this.current = loaded;
      const what = loaded.classify ? `${loaded.classify.info.labels.length} labels` : 'fills [MASK]';
      const backend = loaded.pipe.info.device.backend === 'cpu' ? 'on the CPU (WebAssembly)' : 'on WebGPU';
      this.finish(`Loaded ${name}: ${what}, ${loaded.pipe.info.dtype}, ${backend}.`);
      this.onChange(this.current);
      // A count of successful loads on <body>, so a reader (or a test) can tell a reload finished.
      document.body.dataset.modelLoads = String(Number(document.body.dataset.modelLoads ?? '0') + 1);
      await previous?.pipe.dispose().catch(() => undefined);
    } catch (e) {
      if (this.controller !== controller && isAbort(e)) return; // superseded: the newer load owns the UI
      this.loadingBox.hidden = true; // stale progress would suggest the download is still going
      if (isAbort(e)) {
        this.finish(this.current ? `Loading cancelled; still using ${this.current.name}.` : 'Loading cancelled.');
        trigger?.focus();
      } else {
        this.finish(this.current ? `Still using ${this.current.name}.` : 'No model loaded.');
        // The library's messages usually name the model already; add it only when they do not.
        const message = describeError(e);
        showError(this.errorBox, message.includes(name) ? `Could not load the model: ${message}` : `Could not load ${name}: ${message}`);
      }
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  cancel(): void {
    this.controller?.abort(new DOMException('cancelled by the user', 'AbortError'));
  }

  private startProgress(name: string): void {
    this.loadingBox.hidden = false;
    this.cancelButton.hidden = false;
    this.progress.removeAttribute('value'); // indeterminate until the first weight bytes arrive
    this.progressText.textContent = 'Reading config.json and the tokenizer…';
    this.status.textContent = `Loading ${name}…`;
  }

  private showProgress(p: LoadProgress): void {
    const percent = formatPercent(p.loadedBytes, p.totalBytes);
    this.progress.value = percent;
    const tensor = p.tensor ? ` — ${p.tensor}` : ' — reading the header';
    const file = p.file.split('/').pop() || p.file; // the file name, not the whole URL
    this.progressText.textContent = `${file}: ${formatBytes(p.loadedBytes)} of ${formatBytes(p.totalBytes)} (${percent} %)${tensor}`;
  }

  private finish(message: string): void {
    this.cancelButton.hidden = true;
    if (document.activeElement === this.cancelButton) byId('load-bundled').focus();
    this.status.textContent = message;
  }

  private watchDrops(zone: HTMLElement): void {
    zone.addEventListener('dragover', (ev) => {
      ev.preventDefault(); // allows the drop
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (ev) => {
      ev.preventDefault();
      zone.classList.remove('dragging');
      if (!ev.dataTransfer) return;
      filesFromDrop(ev.dataTransfer).then(
        (files) => {
          if (files.length === 0) showError(this.errorBox, 'The drop held no files; drop a model folder or its files.');
          else void this.load(files, folderName(files), false);
        },
        (e) => showError(this.errorBox, `Could not read the dropped folder: ${describeError(e)}`),
      );
    });
  }
}

function withPipe(m: Omit<LoadedModel, 'pipe'>): LoadedModel {
  return { ...m, pipe: (m.classify ?? m.fill)! };
}

/** "my-model (6 files)" from a folder selection, or "6 dropped files". */
function folderName(files: File[]): string {
  const top = (files[0] as File & { webkitRelativePath?: string }).webkitRelativePath?.split('/')[0];
  return top ? `${top} (${files.length} files)` : `${files.length} dropped file${files.length === 1 ? '' : 's'}`;
}
