// HTTP(S) byte source. Streams the response body chunk by chunk; when the server honours Range it serves the header
// alone and resumes a download that was cut (from the last byte received, guarded by If-Range so a file that changed
// on the server is never stitched together); when it does not, a retry re-downloads and skips what was already
// delivered. Browser-safe: only `fetch`, Headers and ReadableStream.
//
// Content-Encoding: fetch hands us decoded bytes while Content-Length counts the encoded ones (nginx gzip, CDNs), so a
// length is trusted as the file size only when the response is visibly unencoded. Node asks for identity encoding;
// browsers cannot (Accept-Encoding is theirs to set) and hide Content-Encoding on cross-origin answers unless the
// server exposes it, so there a cross-origin Content-Length is never taken as the size: sizes come from X-Linked-Size,
// a 206's Content-Range, the Hub API (`fileInfo`), or the bytes that arrived. A coded answer is never resumed with
// Range (a range of the gzip stream is not a range of the file).
import { WeightsError, abortError } from './errors.ts';
import { checkRange, type ByteSource } from './source.ts';

export interface UrlSourceOptions {
  /** Extra request headers (e.g. `Authorization` for gated repos). */
  headers?: Record<string, string>;
  /** Attempts after a failed request or a cut connection, per stretch without progress (default 4). */
  retries?: number;
  /** First retry delay in ms, doubled each time (default 100). */
  retryDelayMs?: number;
  fetch?: typeof fetch;
  /** Name used in messages (default: the URL). */
  name?: string;
  /**
   * Size and sha256 from elsewhere (the Hub API), asked only when a redirect hid the X-Linked-* headers (browsers see
   * redirects as opaque). Null or a rejection: not known.
   */
  fileInfo?: (signal?: AbortSignal) => Promise<{ size?: number; sha256?: string } | null>;
}

export interface UrlMeta {
  /** Size of the file (X-Linked-Size for Hub LFS files, else an unencoded Content-Length); undefined when unknown. */
  size?: number;
  /** Validator for caching: X-Linked-Etag (the Hub's LFS sha256) or ETag. */
  etag?: string;
  /** Last-Modified as sent (a CORS-safelisted header: readable even where ETag is hidden). */
  lastModified?: string;
  /** sha256 of the content (hex) when the server states it (Hub LFS files). */
  sha256?: string;
  acceptRanges: boolean;
}

/** Options of one read that continues a download kept elsewhere (the cache's partial file). */
export interface ResumeOptions {
  /** The validator (strong ETag or Last-Modified) of the response the kept bytes came from: sent as If-Range. */
  ifRange?: string;
  /**
   * Called when the server answered the resume with the whole file (the validator no longer matches, or Range is not
   * supported): the read then yields the file from byte 0, and the caller drops what it kept.
   */
  onRestart?: () => void;
  /** Receives the validator of the response that serves the bytes, for a later If-Range. */
  onValidator?: (validator: string) => void;
}

export interface UrlSource extends ByteSource {
  readonly url: string;
  meta(signal?: AbortSignal): Promise<UrlMeta>;
  read(start: number, end?: number, signal?: AbortSignal, resume?: ResumeOptions): AsyncIterable<Uint8Array>;
}

function unquote(tag: string | null): string | undefined {
  if (!tag) return undefined;
  return tag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** True when the body is visibly content-coded (gzip, br…): its Content-Length is not the file's size. */
function isCoded(res: Response): boolean {
  const enc = res.headers.get('content-encoding');
  return enc !== null && enc.trim() !== '' && enc.trim().toLowerCase() !== 'identity';
}

/** Content-Length as the size of the file, when it can be: unencoded and not hidden behind CORS. */
function trustedLength(res: Response): number | undefined {
  if (isCoded(res) || res.type === 'cors' || res.type === 'opaque') return undefined;
  const length = res.headers.get('content-length');
  return length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
}

/** The validator If-Range may carry: a strong ETag (weak ones never match a range), else Last-Modified. */
function rangeValidator(res: Response): string | undefined {
  const etag = res.headers.get('etag');
  if (etag && /^"[^"]*"$/.test(etag)) return etag;
  return res.headers.get('last-modified') ?? undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function urlSource(url: string, options: UrlSourceOptions = {}): UrlSource {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WeightsError('bad-argument', `urlSource: not an absolute URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new WeightsError('bad-argument', `urlSource: only http(s) URLs are supported, got ${parsed.protocol} in ${url}`);
  }
  const name = options.name ?? url;
  const retries = options.retries ?? 4;
  const retryDelay = options.retryDelayMs ?? 100;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  // Identity first so a caller's own Accept-Encoding wins; browsers drop the header silently (it is theirs to set).
  const baseHeaders: Record<string, string> = { 'Accept-Encoding': 'identity', ...options.headers };
  let metaPromise: Promise<UrlMeta> | null = null;

  function httpError(status: number, statusText: string): WeightsError {
    if (status === 404) return new WeightsError('missing-file', `${name}: not found (HTTP 404)`, name);
    if (status === 401 || status === 403) {
      return new WeightsError('http', `${name}: HTTP ${status} ${statusText} (a gated or private repo needs an access token)`, name);
    }
    return new WeightsError('http', `${name}: HTTP ${status} ${statusText}`, name);
  }

  /** fetch, with a network failure (refused, DNS, TLS) turned into an error that names the file and the cause. */
  async function fetchOrExplain(init: RequestInit): Promise<Response> {
    try {
      return await doFetch(url, init);
    } catch (e) {
      if (init.signal?.aborted) throw abortError(init.signal);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new WeightsError('http', `${name}: cannot fetch ${url} (${cause?.code ?? cause?.message ?? (e as Error).message})`, name);
    }
  }

  async function meta(signal?: AbortSignal): Promise<UrlMeta> {
    // The Hub answers a LFS file with a redirect that carries X-Linked-Etag/X-Linked-Size; read them from the redirect
    // when the platform lets us see it (Node), else follow it (browsers return an opaque redirect).
    // cache: 'no-cache' everywhere: the browser's HTTP cache would otherwise answer from its heuristic freshness (10 %
    // of a file's age since Last-Modified) and hide a new version from the revalidation and the download.
    let res = await fetchOrExplain({ method: 'HEAD', headers: baseHeaders, redirect: 'manual', cache: 'no-cache', signal });
    let linkedEtag = unquote(res.headers.get('x-linked-etag'));
    const linkedSize = res.headers.get('x-linked-size');
    let size = linkedSize !== null && /^\d+$/.test(linkedSize) ? Number(linkedSize) : undefined;
    const opaque = res.type === 'opaqueredirect';
    if (opaque || (res.status >= 300 && res.status < 400)) {
      res = await fetchOrExplain({ method: 'HEAD', headers: baseHeaders, cache: 'no-cache', signal });
    }
    if (!res.ok) throw httpError(res.status, res.statusText);
    if (opaque && options.fileInfo) {
      // The redirect's X-Linked-Etag/Size were hidden: the sha256 and size from the Hub API stand in for them.
      const info = await options.fileInfo(signal).catch((e: unknown) => {
        if (signal?.aborted) throw e;
        return null;
      });
      if (info?.sha256 && /^[0-9a-f]{64}$/.test(info.sha256)) linkedEtag = info.sha256;
      if (info?.size !== undefined && Number.isSafeInteger(info.size) && info.size >= 0) size = info.size;
    }
    size ??= trustedLength(res);
    const etag = linkedEtag ?? unquote(res.headers.get('x-linked-etag')) ?? unquote(res.headers.get('etag'));
    return {
      size,
      etag,
      lastModified: res.headers.get('last-modified') ?? undefined,
      sha256: etag && /^[0-9a-f]{64}$/.test(etag) ? etag : undefined,
      acceptRanges: !isCoded(res) && (res.headers.get('accept-ranges') ?? '').toLowerCase().includes('bytes'),
    };
  }

  async function* read(start: number, end: number | undefined, signal?: AbortSignal, resume: ResumeOptions = {}): AsyncGenerator<Uint8Array> {
    checkRange(name, start, end);
    let pos = start;
    let failures = 0;
    let etag: string | undefined;
    // If-Range for every ranged request: the caller's (bytes kept from an earlier download), then this read's own.
    let validator = resume.ifRange;
    let total: number | undefined;
    let lastError = '';
    let coded = false; // a gzip (etc.) answer was seen: Range is no longer asked for
    let delivered = false;
    while (end === undefined || pos < end) {
      if (signal?.aborted) throw abortError(signal);
      if (failures > retries) {
        throw new WeightsError('http', `${name}: download failed after ${retries} retries at byte ${pos}: ${lastError}`, name);
      }
      if (failures > 0) await sleep(retryDelay * 2 ** (failures - 1), signal);
      const headers: Record<string, string> = { ...baseHeaders };
      const ranged = !coded && (pos > 0 || end !== undefined);
      if (ranged) headers.Range = `bytes=${pos}-${end !== undefined ? end - 1 : ''}`;
      if (ranged && validator) headers['If-Range'] = validator;
      let res: Response;
      try {
        res = await doFetch(url, { headers, cache: 'no-cache', signal });
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        failures++;
        lastError = (e as Error).message;
        continue;
      }
      if (res.status >= 500 || res.status === 429) {
        await res.body?.cancel().catch(() => undefined);
        failures++;
        lastError = `HTTP ${res.status}`;
        continue;
      }
      if (res.status === 416) {
        // Nothing left at `pos`: the file is shorter than asked; the consumer reports the truncation.
        await res.body?.cancel().catch(() => undefined);
        return;
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw httpError(res.status, res.statusText);
      }
      if (isCoded(res)) {
        coded = true;
        if (res.status === 206) {
          // A range of the encoded stream cannot be decoded on its own: ask again for the whole file.
          await res.body?.cancel().catch(() => undefined);
          continue;
        }
      }
      const thisEtag = unquote(res.headers.get('etag'));
      if (etag !== undefined && thisEtag !== undefined && thisEtag !== etag) {
        await res.body?.cancel().catch(() => undefined);
        throw new WeightsError('changed', `${name}: the file changed on the server during the download (ETag ${etag} → ${thisEtag})`, name);
      }
      etag ??= thisEtag;
      // 206: the body starts at `pos`. 200: the server ignored Range (or If-Range no longer matched).
      let skip = 0;
      if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
        if (!m || Number(m[1]) !== pos) {
          await res.body?.cancel().catch(() => undefined);
          throw new WeightsError('http', `${name}: server answered Range ${pos}- with Content-Range ${JSON.stringify(res.headers.get('content-range'))}`, name);
        }
        if (m[3] !== '*') total = Number(m[3]);
      } else {
        if (ranged && start > 0 && !delivered && resume.onRestart && end === undefined) {
          // The caller's kept bytes are not continued by this answer: start over from byte 0, and say so.
          resume.onRestart();
          pos = start = 0;
        } else if (ranged && headers['If-Range'] && delivered && !coded && res.headers.get('accept-ranges')?.includes('bytes')) {
          // A Range-capable server sent the whole file although it was asked for the rest: If-Range did not match.
          await res.body?.cancel().catch(() => undefined);
          throw new WeightsError('changed', `${name}: the file changed on the server during the download (If-Range ${validator} no longer matches)`, name);
        }
        skip = pos;
        total = trustedLength(res) ?? total;
      }
      const v = rangeValidator(res);
      if (v && !isCoded(res) && v !== validator) {
        validator = v;
        resume.onValidator?.(v);
      }
      if (!res.body) throw new WeightsError('http', `${name}: response has no body`, name);
      const reader = res.body.getReader();
      let progressed = false;
      try {
        for (;;) {
          let step: ReadableStreamReadResult<Uint8Array>;
          try {
            step = await reader.read();
          } catch (e) {
            if (signal?.aborted) throw abortError(signal);
            lastError = `connection lost (${(e as Error).message})`;
            break;
          }
          if (step.done) {
            lastError = `connection closed at byte ${pos}${total !== undefined ? ` of ${total}` : ''}`;
            if (end === undefined && (total === undefined || pos >= total)) return;
            break;
          }
          let chunk = step.value;
          if (skip > 0) {
            const s = Math.min(skip, chunk.byteLength);
            skip -= s;
            chunk = chunk.subarray(s);
          }
          if (end !== undefined && pos + chunk.byteLength > end) chunk = chunk.subarray(0, end - pos);
          if (chunk.byteLength === 0) continue;
          pos += chunk.byteLength;
          progressed = delivered = true;
          yield chunk;
          if (end !== undefined && pos >= end) return;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
      failures = progressed ? 1 : failures + 1;
      if (end === undefined && total !== undefined && pos >= total) return;
    }
  }

  return {
    name,
    url,
    meta(signal) {
      // A failed HEAD is not cached, so a later call can retry it.
      metaPromise ??= meta(signal).catch((e) => {
        metaPromise = null;
        throw e;
      });
      return metaPromise;
    },
    async size(signal) {
      return (await this.meta(signal)).size;
    },
    read,
  };
}
