// The benchmark page's entry (bench.html): the model choice (the bundled test model, the models a bench server lists
// in bench-models.json, a Hub id or URL, a folder), the settings (prefilled from the query string, so a script can run
// a small configuration), the Run button, the results, and "Copy results as JSON". The run's state is on
// <body data-bench-state> and its result on window.benchResult, for scripts (npm run bench:browser, the e2e test).
import { adapterList, profileTables, summaryTable } from './bench-render.ts';
import { parseShapes, runBench, type BenchResult, type BenchSettings, type BenchTask } from './bench-run.ts';
import { droppedFiles, pickedFiles, sourceFromFiles, sourceFromText, type BenchSource } from './bench-source.ts';
import { byId, describeError, showError } from './dom.ts';
import { explainMissingWebGpu, hasWebGpu } from './webgpu-support.ts';

interface ServedModel {
  name: string;
  /** Folder URL, relative to the page. */
  url: string;
}

const BUNDLED: ServedModel = { name: 'tiny-bert-random (bundled test model; no ONNX export, so bertgpu only)', url: 'models/tiny-bert-random/' };

let folder: BenchSource | null = null;

function setState(state: 'idle' | 'running' | 'done' | 'error'): void {
  document.body.dataset.benchState = state;
}

/** The models a bench server offers next to the page (npm run bench:browser writes bench-models.json); none elsewhere. */
async function servedModels(): Promise<ServedModel[]> {
  try {
    const res = await fetch(new URL('bench-models.json', document.baseURI));
    if (!res.ok) return [];
    const list = (await res.json()) as ServedModel[];
    return Array.isArray(list) ? list.filter((m) => typeof m?.name === 'string' && typeof m?.url === 'string') : [];
  } catch {
    return [];
  }
}

function chosenSource(): BenchSource {
  const choice = byId<HTMLSelectElement>('bench-model').value;
  if (choice === 'ref') return sourceFromText(byId<HTMLInputElement>('bench-ref').value);
  if (choice === 'folder') {
    if (!folder) throw new Error('choose or drop a model folder first');
    return folder;
  }
  const option = byId<HTMLSelectElement>('bench-model').selectedOptions[0];
  return { ...sourceFromText(new URL(choice, document.baseURI).href), name: option.dataset.name ?? choice };
}

function settings(): BenchSettings {
  const rounds = Number(byId<HTMLInputElement>('bench-rounds').value);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) throw new Error('rounds: a whole number from 1 to 1000');
  return {
    shapes: parseShapes(byId<HTMLInputElement>('bench-shapes').value), rounds,
    dtype: byId<HTMLSelectElement>('bench-dtype').value as BenchSettings['dtype'],
    task: byId<HTMLSelectElement>('bench-task').value as BenchTask,
    transformersJs: byId<HTMLInputElement>('bench-tjs').checked,
    device: byId<HTMLSelectElement>('bench-device').value === 'cpu' ? 'cpu' : 'gpu',
  };
}

function show(result: BenchResult): void {
  (window as unknown as { benchResult?: BenchResult }).benchResult = result;
  const json = JSON.stringify(result, null, 2);
  byId<HTMLTextAreaElement>('bench-json').value = json;
  byId('bench-tables').replaceChildren(summaryTable(result), adapterList(result), ...profileTables(result));
  const problems = [result.bertgpu, result.transformersJs].flatMap((s) => ('error' in s ? [s.error] : []));
  showError(byId('bench-error'), problems.length ? problems.join(' — ') : null);
  byId('bench-results').hidden = false;
}

async function run(): Promise<void> {
  const status = byId('bench-status');
  const button = byId<HTMLButtonElement>('bench-run');
  showError(byId('bench-error'), null);
  let source: BenchSource;
  let s: BenchSettings;
  try {
    source = chosenSource();
    s = settings();
  } catch (e) {
    showError(byId('bench-error'), describeError(e));
    return;
  }
  button.disabled = true;
  setState('running');
  try {
    const result = await runBench(source, s, (line) => (status.textContent = line));
    show(result);
    const ran = result.shapes.some((x) => x.bertgpu || x.transformersJs);
    status.textContent = ran ? `Done: ${source.name}.` : 'Nothing could run; see the messages.';
    setState(ran ? 'done' : 'error');
  } catch (e) {
    showError(byId('bench-error'), `The benchmark stopped: ${describeError(e)}`);
    status.textContent = '';
    setState('error');
  } finally {
    button.disabled = false;
  }
}

/** Clipboard first; where the page may not write it (no permission, insecure origin), the JSON is selected to copy by hand. */
async function copyJson(): Promise<void> {
  const box = byId<HTMLTextAreaElement>('bench-json');
  const said = byId('bench-copy-status');
  try {
    await navigator.clipboard.writeText(box.value);
    said.textContent = 'Copied the results (JSON) to the clipboard.';
  } catch (e) {
    box.hidden = false;
    box.focus();
    box.select();
    said.textContent = `The browser refused the clipboard (${describeError(e)}); the JSON is selected below: copy it with Ctrl+C / ⌘C.`;
  }
}

function prefill(served: ServedModel[]): void {
  const select = byId<HTMLSelectElement>('bench-model');
  const ref = new Option('A Hub id or URL (type it below)', 'ref');
  const fromDisk = new Option('A folder from this computer (choose or drop it below)', 'folder');
  const options = [BUNDLED, ...served].map((m) => Object.assign(new Option(m.name, m.url), { title: m.url }));
  options.forEach((o, i) => (o.dataset.name = [BUNDLED, ...served][i].name));
  select.replaceChildren(...options, ref, fromDisk);
  if (served.length) select.value = served[0].url; // a bench server's first model: the one it meant
  const q = new URLSearchParams(location.search);
  const model = q.get('model');
  if (model) {
    const match = [BUNDLED, ...served].find((m) => m.name === model || m.url === model || m.name.split(' ')[0] === model);
    if (match) select.value = match.url;
    else {
      select.value = 'ref';
      byId<HTMLInputElement>('bench-ref').value = model;
    }
  }
  const fields: [string, string][] = [['shapes', 'bench-shapes'], ['rounds', 'bench-rounds'], ['dtype', 'bench-dtype'], ['task', 'bench-task'], ['device', 'bench-device']];
  for (const [key, id] of fields) if (q.has(key)) (byId(id) as HTMLInputElement).value = q.get(key)!;
  if (q.has('tjs')) byId<HTMLInputElement>('bench-tjs').checked = q.get('tjs') !== '0';
}

function watchFolder(): void {
  const select = byId<HTMLSelectElement>('bench-model');
  const use = (entries: [string, File][], name: string) => {
    try {
      folder = sourceFromFiles(entries, name);
      select.value = 'folder';
      byId('bench-folder-name').textContent = `${name}: ${folder.files!.size} files${folder.files!.has('onnx/model.onnx') ? '' : ' (no onnx/model.onnx: bertgpu only)'}`;
      showError(byId('bench-error'), null);
    } catch (e) {
      showError(byId('bench-error'), describeError(e));
    }
  };
  const input = byId<HTMLInputElement>('bench-folder');
  input.addEventListener('change', () => {
    const entries = pickedFiles(input.files!);
    if (entries.length) use(entries, entries[0][0].split('/')[0] || 'chosen files');
  });
  const zone = byId('bench-drop');
  zone.addEventListener('dragover', (ev) => ev.preventDefault());
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    if (!ev.dataTransfer) return;
    const name = ev.dataTransfer.items[0]?.webkitGetAsEntry?.()?.name ?? 'dropped files';
    droppedFiles(ev.dataTransfer).then((entries) => use(entries, name), (e) => showError(byId('bench-error'), `Could not read the drop: ${describeError(e)}`));
  });
}

async function start(): Promise<void> {
  for (const type of ['dragover', 'drop'] as const) window.addEventListener(type, (ev) => ev.preventDefault());
  prefill(await servedModels());
  watchFolder();
  byId('bench-run').addEventListener('click', () => void run());
  byId('bench-copy').addEventListener('click', () => void copyJson());
  setState('idle');
  if (new URLSearchParams(location.search).get('run') === '1') void run();
}

// The CPU mode needs no WebGPU: a page asked for it (?device=cpu) starts without it.
if (hasWebGpu() || new URLSearchParams(location.search).get('device') === 'cpu') void start();
else {
  explainMissingWebGpu(false);
  setState('error');
}
