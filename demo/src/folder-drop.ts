// Turns a drop (a folder, or loose files) into the File[] that pipeline() accepts. A dropped folder arrives as a
// directory entry without its files, so it is read through the (webkit) entries API. Only the folder's top level is
// kept: a HF model folder has everything the loader reads there (config, weights or shard index and shards,
// tokenizer files), and sub-folders (onnx/, runs/) can be large and are never read.

export async function filesFromDrop(dt: DataTransfer): Promise<File[]> {
  const entries = Array.from(dt.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null);
  if (entries.length === 1 && entries[0]?.isDirectory) return topLevelFiles(entries[0] as FileSystemDirectoryEntry);
  // Loose files (or a browser without entries): the files themselves, by name.
  return Array.from(dt.files);
}

async function topLevelFiles(dir: FileSystemDirectoryEntry): Promise<File[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call; an empty batch means the end.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    all.push(...batch);
  }
  const fileEntries = all.filter((e): e is FileSystemFileEntry => e.isFile);
  return Promise.all(fileEntries.map((e) => new Promise<File>((resolve, reject) => e.file(resolve, reject))));
}
