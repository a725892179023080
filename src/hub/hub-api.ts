// The Hub's revision API, for what browsers cannot read from the file URLs themselves. A Hub LFS file answers with a
// redirect whose X-Linked-Etag (the sha256) and X-Linked-Size say what the download must be; a browser sees that
// redirect as opaque (redirect: 'manual') and, following it, only the CDN's headers. The same facts are in
// `GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true`: each sibling's size and, for LFS files, lfs.sha256 —
// one CORS-enabled request per model. Mirrors without the API: no answer, and files keep their size-only check.
import { WeightsError } from '../weights/errors.ts';
import type { ModelRef } from './resolve.ts';

export interface RevisionFile {
  size?: number;
  sha256?: string;
}

/** Larger answers are not a model's file list (bert-base-uncased's is ~4 KB). */
const MAX_API_BYTES = 16 << 20;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** file name → size and sha256, from the Hub API; throws when the API cannot answer (callers fall back). */
export async function revisionFiles(
  ref: Extract<ModelRef, { kind: 'hub' }>,
  options: { headers?: Record<string, string>; fetch?: typeof fetch },
  signal?: AbortSignal,
): Promise<Map<string, RevisionFile>> {
  const url = `${ref.endpoint}/api/models/${ref.repo}/revision/${encodeURIComponent(ref.revision)}?blobs=true`;
  const res = await (options.fetch ?? globalThis.fetch.bind(globalThis))(url, { headers: options.headers, cache: 'no-cache', signal });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new WeightsError('http', `${url}: HTTP ${res.status}`, url);
  }
  const text = await res.text();
  if (text.length > MAX_API_BYTES) throw new WeightsError('http', `${url}: answer over ${MAX_API_BYTES} bytes`, url);
  const json: unknown = JSON.parse(text);
  const files = new Map<string, RevisionFile>();
  const siblings = isRecord(json) && Array.isArray(json.siblings) ? json.siblings : [];
  for (const s of siblings) {
    if (!isRecord(s) || typeof s.rfilename !== 'string') continue;
    const lfs = isRecord(s.lfs) ? s.lfs : null;
    const size = lfs && Number.isSafeInteger(lfs.size) ? (lfs.size as number) : Number.isSafeInteger(s.size) ? (s.size as number) : undefined;
    const sha256 = lfs && typeof lfs.sha256 === 'string' && /^[0-9a-f]{64}$/.test(lfs.sha256) ? lfs.sha256 : undefined;
    files.set(s.rfilename, { size: size !== undefined && size >= 0 ? size : undefined, sha256 });
  }
  return files;
}
