// Where the tuner's choices persist, and what they are keyed by. A key is the adapter (vendor, architecture,
// description — the driver string lives there on Dawn and Chromium), a hash of the op's candidate kernels' WGSL and
// tile lists (a changed kernel or a new candidate retunes that op), the storage dtype, the kernel profile, and the
// op's shape (opKey). Stores: IndexedDB in the browser (here), the cache folder in Node (tuner-cache-node.ts), or
// memory. A store never throws at its caller: a broken or missing store is a store with nothing in it.
import { Sha256 } from '../hub/sha256.ts';
import type { AdapterFacts } from './device.ts';
import { getKernel, kernelNames, type KernelName } from './kernels.ts';

/** One stored choice: the candidate's kernel, its tile (overrides) if it has several, and its median time. */
export interface TuningEntry {
  kernel: KernelName;
  tile?: Record<string, number>;
  ms: number;
}

export interface TuningStore {
  /** The stored entries among `keys` (absent keys, and malformed entries, are left out). */
  getMany(keys: readonly string[]): Promise<Map<string, TuningEntry>>;
  /** Adds or replaces entries (others stay). */
  putMany(entries: ReadonlyMap<string, TuningEntry>): Promise<void>;
}

const encoder = new TextEncoder();
const hashText = (text: string) => new Sha256().update(encoder.encode(text)).digestHex().slice(0, 16);

/** The adapter part of a key: a hash of vendor, architecture and description (the driver and its version). */
export function adapterKey(facts: Pick<AdapterFacts, 'vendor' | 'architecture' | 'description'>): string {
  return hashText(JSON.stringify([facts.vendor, facts.architecture, facts.description]));
}

/** Hash of the WGSL of these kernels plus `extra` (the candidates' tile lists): a change to either retunes. */
export function kernelSourceHash(kernels: readonly KernelName[], extra = ''): string {
  return hashText([...kernels.map((k) => `${k}\n${getKernel(k).code}`), extra].join('\n\0'));
}

/** The store key of one op's choice. */
export function tuningKey(parts: { adapter: string; sources: string; dtype: string; profile: string; op: string }): string {
  return `${parts.adapter}/${parts.sources}/${parts.dtype}/${parts.profile}/${parts.op}`;
}

const knownKernels = new Set<string>(kernelNames);

/** An entry read back from storage, or null when it is not one (hand-edited, another version, corrupt). */
export function parseEntry(value: unknown): TuningEntry | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.kernel !== 'string' || !knownKernels.has(v.kernel)) return null;
  if (typeof v.ms !== 'number' || !Number.isFinite(v.ms) || v.ms < 0) return null;
  if (v.tile !== undefined) {
    if (typeof v.tile !== 'object' || v.tile === null || Array.isArray(v.tile)) return null;
    if (!Object.values(v.tile).every((n) => typeof n === 'number' && Number.isInteger(n) && n > 0)) return null;
  }
  return { kernel: v.kernel as KernelName, ms: v.ms, ...(v.tile ? { tile: { ...(v.tile as Record<string, number>) } } : {}) };
}

/** A store for one process: tuning is remembered until the page or process ends. */
export function memoryTuningStore(): TuningStore {
  const entries = new Map<string, TuningEntry>();
  return {
    async getMany(keys) {
      return new Map(keys.flatMap((k) => (entries.has(k) ? [[k, entries.get(k)!] as const] : [])));
    },
    async putMany(add) {
      for (const [k, v] of add) entries.set(k, v);
    },
  };
}

export const TUNING_DB = 'bertgpu-tuning';
const STORE = 'choices';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * The browser store: one IndexedDB database (`bertgpu-tuning`, object store `choices`, key → entry), available in
 * pages and Workers. Without IndexedDB (some private modes) it holds nothing and stores nothing.
 */
export function browserTuningStore(idb: IDBFactory | undefined = globalThis.indexedDB, name = TUNING_DB): TuningStore {
  let db: Promise<IDBDatabase | null> | null = null;
  const open = () => (db ??= (async () => {
    if (!idb) return null;
    const req = idb.open(name, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    return request(req);
  })().catch(() => null));
  return {
    async getMany(keys) {
      const out = new Map<string, TuningEntry>();
      try {
        const d = await open();
        if (!d) return out;
        const store = d.transaction(STORE, 'readonly').objectStore(STORE);
        const values = await Promise.all(keys.map((k) => request(store.get(k))));
        keys.forEach((k, i) => {
          const e = parseEntry(values[i]);
          if (e) out.set(k, e);
        });
      } catch {
        // An unreadable store is an empty one: the tuner times again.
      }
      return out;
    },
    async putMany(add) {
      try {
        const d = await open();
        if (!d || add.size === 0) return;
        const tx = d.transaction(STORE, 'readwrite');
        const store = tx.objectStore(STORE);
        for (const [k, v] of add) store.put(v, k);
        await new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
          tx.onabort = () => reject(tx.error);
        });
      } catch {
        // Quota or private mode: the choices still apply to this page; they are just not remembered.
      }
    },
  };
}

let processStore: TuningStore | null = null;

/**
 * The store a model uses unless told otherwise: IndexedDB where there is one (pages, Workers), else one memory store
 * per process (Node passes nodeTuningStore(), see tuner-cache-node.ts, to keep choices across runs).
 */
export function defaultTuningStore(): TuningStore {
  if (globalThis.indexedDB) return browserTuningStore();
  return (processStore ??= memoryTuningStore());
}
