// Where the benchmark's model comes from, and how each side reads it: a model folder served over http(s) (the bundled
// test model, the bench models `npm run bench:browser` serves, any URL), a Hub id, or a folder from the visitor's
// disk. bertgpu reads model.safetensors; transformers.js reads onnx/model.onnx from the same folder.

export interface BenchSource {
  kind: 'url' | 'hub' | 'files';
  /** What the page and the JSON call it. */
  name: string;
  /** What bertgpu's pipeline() takes: the URL or Hub id, or the folder's top-level files. */
  bertgpuModel(): string | File[];
  /** URL sources: the folder's URL (ends with '/'). */
  url?: string;
  /** Hub sources: org/name. */
  hubId?: string;
  /** File sources: path inside the folder ('config.json', 'onnx/model.onnx') → file. */
  files?: Map<string, File>;
}

/** A Hub id (org/name, optional @revision) or the URL of a model folder, as typed. */
export function sourceFromText(text: string, base = document.baseURI): BenchSource {
  const ref = text.trim();
  if (!ref) throw new Error('type a Hub id (org/name) or the URL of a model folder');
  if (/^https?:\/\//i.test(ref) || ref.startsWith('/') || ref.startsWith('.')) {
    const url = new URL(ref.endsWith('/') ? ref : `${ref}/`, base).href;
    return { kind: 'url', name: ref, url, bertgpuModel: () => url };
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(ref)) throw new Error(`'${ref}' is neither a Hub id (org/name) nor an http(s) URL`);
  return { kind: 'hub', name: ref, hubId: ref, bertgpuModel: () => ref };
}

/**
 * Files from a folder picker (webkitdirectory: each has its path under the chosen folder) or a drop (paths from
 * readDroppedFolder). bertgpu gets the top level, transformers.js finds onnx/model.onnx by its path.
 */
export function sourceFromFiles(entries: [string, File][], name: string): BenchSource {
  const files = new Map<string, File>();
  // A picker names each file under the chosen folder ('my-model/config.json'): paths are made relative to it.
  const underFolder = !entries.some(([p]) => p === 'config.json') && entries.every(([p]) => p.includes('/'));
  for (const [path, file] of entries) files.set(underFolder ? path.slice(path.indexOf('/') + 1) : path, file);
  if (!files.has('config.json')) throw new Error(`${name} has no config.json at its top level: choose the model folder itself`);
  const top = [...files].filter(([p]) => !p.includes('/')).map(([, f]) => f);
  return { kind: 'files', name, files, bertgpuModel: () => top };
}

/** The files of a folder input: (path under the chosen folder, file). */
export function pickedFiles(list: FileList): [string, File][] {
  return Array.from(list, (f) => [(f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, f]);
}

/** A dropped folder, read with its sub-folders (onnx/ holds the ONNX export); loose files by name. */
export async function droppedFiles(dt: DataTransfer): Promise<[string, File][]> {
  const entries = Array.from(dt.items).filter((i) => i.kind === 'file').map((i) => i.webkitGetAsEntry?.() ?? null);
  if (entries.length === 1 && entries[0]?.isDirectory) return readTree(entries[0] as FileSystemDirectoryEntry, '', 2);
  return Array.from(dt.files, (f) => [f.name, f]);
}

async function readTree(dir: FileSystemDirectoryEntry, prefix: string, depth: number): Promise<[string, File][]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call; an empty batch is the end.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    all.push(...batch);
  }
  const out: [string, File][] = [];
  for (const e of all) {
    if (e.isFile) out.push([prefix + e.name, await new Promise<File>((resolve, reject) => (e as FileSystemFileEntry).file(resolve, reject))]);
    else if (depth > 1) out.push(...await readTree(e as FileSystemDirectoryEntry, `${prefix}${e.name}/`, depth - 1));
  }
  return out;
}
