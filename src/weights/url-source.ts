// HTTP(S) byte source. Streams the response body chunk by chunk; when the server honours Range it serves the header
// alone and resumes a download that was cut (from the last byte received, guarded by If-Range so a file that changed
// on the server is never stitched together); when it does not, a retry re-downloads and skips what was already
// delivered. Browser-safe: only `fetch`, Headers and ReadableStream.
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
}

export interface UrlMeta {
  /** Size of the file (X-Linked-Size for Hub LFS files, else Content-Length). */
  size?: number;
  /** Validator for caching: X-Linked-Etag (the Hub's LFS sha256) or ETag. */
  etag?: string;
  /** sha256 of the content (hex) when the server states it (Hub LFS files). */
  sha256?: string;
  acceptRanges: boolean;
}

export interface UrlSource extends ByteSource {
  readonly url: string;
  meta(signal?: AbortSignal): Promise<UrlMeta>;
}

function unquote(tag: string | null): string | undefined {
  if (!tag) return undefined;
  return tag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
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
  const baseHeaders = options.headers ?? {};
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
    let res = await fetchOrExplain({ method: 'HEAD', headers: baseHeaders, redirect: 'manual', signal });
    const linkedEtag = unquote(res.headers.get('x-linked-etag'));
    const linkedSize = res.headers.get('x-linked-size');
    if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
      res = await fetchOrExplain({ method: 'HEAD', headers: baseHeaders, signal });
    }
    if (!res.ok) throw httpError(res.status, res.statusText);
    const length = linkedSize ?? res.headers.get('content-length');
    const etag = linkedEtag ?? unquote(res.headers.get('x-linked-etag')) ?? unquote(res.headers.get('etag'));
    const size = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
    return {
      size,
      etag,
      sha256: etag && /^[0-9a-f]{64}$/.test(etag) ? etag : undefined,
      acceptRanges: (res.headers.get('accept-ranges') ?? '').toLowerCase().includes('bytes'),
    };
  }

  async function* read(start: number, end: number | undefined, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    checkRange(name, start, end);
    let pos = start;
    let failures = 0;
    let etag: string | undefined;
    let total: number | undefined;
    let lastError = '';
    while (end === undefined || pos < end) {
      if (signal?.aborted) throw abortError(signal);
      if (failures > retries) {
        throw new WeightsError('http', `${name}: download failed after ${retries} retries at byte ${pos}: ${lastError}`, name);
      }
      if (failures > 0) await sleep(retryDelay * 2 ** (failures - 1), signal);
      const headers: Record<string, string> = { ...baseHeaders };
      const ranged = pos > 0 || end !== undefined;
      if (ranged) headers.Range = `bytes=${pos}-${end !== undefined ? end - 1 : ''}`;
      if (ranged && etag) headers['If-Range'] = `"${etag}"`;
      let res: Response;
      try {
        res = await doFetch(url, { headers, signal });
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
      const thisEtag = unquote(res.headers.get('etag'));
      if (etag !== undefined && thisEtag !== undefined && thisEtag !== etag) {
        await res.body?.cancel().catch(() => undefined);
        throw new WeightsError('changed', `${name}: the file changed on the server during the download (ETag ${etag} → ${thisEtag})`, name);
      }
      etag ??= thisEtag;
      // 206: the body starts at `pos`. 200: the server ignored Range; skip what we already delivered.
      let skip = 0;
      if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
        if (!m || Number(m[1]) !== pos) {
          await res.body?.cancel().catch(() => undefined);
          throw new WeightsError('http', `${name}: server answered Range ${pos}- with Content-Range ${JSON.stringify(res.headers.get('content-range'))}`, name);
        }
        if (m[3] !== '*') total = Number(m[3]);
      } else {
        skip = pos;
        const length = res.headers.get('content-length');
        if (length !== null && /^\d+$/.test(length)) total = Number(length);
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
          progressed = true;
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
