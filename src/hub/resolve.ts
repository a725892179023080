// Model references → where the files are. `org/name`, `org/name@revision` and Hub URLs resolve to
// `{endpoint}/{repo}/resolve/{revision}/{file}` (endpoint configurable for mirrors and self-hosting); any other
// http(s) URL is a folder whose files sit at `{url}/{file}` — a query string (a signed URL's token, a cache buster)
// is carried onto every file URL, a fragment is dropped. Local paths and dropped files are handled by their own
// providers (node-files.ts, files.ts) because only Node can look at a path.
import { WeightsError } from '../weights/errors.ts';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export type ModelRef =
  | { kind: 'hub'; endpoint: string; repo: string; revision: string }
  | { kind: 'url'; base: string; query?: string };

// HF repo ids: one or two segments of [A-Za-z0-9._-], no "--" or ".." (the Hub rejects them too).
const REPO_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

function checkRepo(repo: string, ref: string): void {
  if (!REPO_RE.test(repo) || repo.includes('--') || repo.includes('..') || repo.length > 96) {
    throw new WeightsError('bad-argument', `model "${ref}": "${repo}" is not a valid Hub repo id (expected org/name or name)`);
  }
}

function checkRevision(revision: string, ref: string): void {
  if (!revision || /\s/.test(revision) || revision.includes('..')) {
    throw new WeightsError('bad-argument', `model "${ref}": invalid revision ${JSON.stringify(revision)}`);
  }
}

function normaliseEndpoint(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new WeightsError('bad-argument', `hub endpoint ${JSON.stringify(endpoint)} is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new WeightsError('bad-argument', `hub endpoint ${endpoint} must be http(s)`);
  return u.href.replace(/\/+$/, '');
}

/** Parses a model reference (Hub id, Hub URL, or folder URL). */
export function parseModelRef(ref: string, endpoint: string = DEFAULT_ENDPOINT): ModelRef {
  if (typeof ref !== 'string' || ref.trim() === '') throw new WeightsError('bad-argument', 'model: expected a Hub id (org/name[@revision]) or a URL');
  const ep = normaliseEndpoint(endpoint);
  if (/^https?:\/\//i.test(ref)) {
    let u: URL;
    try {
      u = new URL(ref);
    } catch {
      throw new WeightsError('bad-argument', `model "${ref}": not a valid URL`);
    }
    const epUrl = new URL(ep);
    const onHub = u.origin === epUrl.origin || u.origin === new URL(DEFAULT_ENDPOINT).origin;
    const prefix = epUrl.pathname.replace(/\/+$/, '');
    const path = u.pathname.startsWith(prefix) && u.origin === epUrl.origin ? u.pathname.slice(prefix.length) : u.pathname;
    // https://huggingface.co/org/name[/(resolve|tree|blob)/revision]
    const m = /^\/([^/]+(?:\/[^/]+)?)(?:\/(?:resolve|tree|blob)\/([^/]+))?\/?$/.exec(path);
    if (onHub && m && !/\.[a-z]+$/i.test(m[1])) {
      const repo = decodeURIComponent(m[1]);
      const revision = m[2] ? decodeURIComponent(m[2]) : 'main';
      checkRepo(repo, ref);
      checkRevision(revision, ref);
      return { kind: 'hub', endpoint: u.origin === epUrl.origin ? ep : DEFAULT_ENDPOINT, repo, revision };
    }
    // The folder is the path; query and fragment would otherwise become part of the last path segment.
    const query = u.search;
    u.search = '';
    u.hash = '';
    const base = u.href.endsWith('/') ? u.href : `${u.href}/`;
    return query ? { kind: 'url', base, query } : { kind: 'url', base };
  }
  const at = ref.lastIndexOf('@');
  const repo = at >= 0 ? ref.slice(0, at) : ref;
  const revision = at >= 0 ? ref.slice(at + 1) : 'main';
  checkRepo(repo, ref);
  checkRevision(revision, ref);
  return { kind: 'hub', endpoint: ep, repo, revision };
}

/** Checks a file name from a model folder or a shard index: a relative path without `..`, absolute parts or `\`. */
export function checkFileName(name: string, context: string): void {
  if (typeof name !== 'string' || name === '' || name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '..' || p === '.' || p === '')) {
    throw new WeightsError('index', `${context}: invalid file name ${JSON.stringify(name)}`, context);
  }
}

export function fileUrl(ref: ModelRef, file: string): string {
  checkFileName(file, 'fileUrl');
  const path = file.split('/').map(encodeURIComponent).join('/');
  if (ref.kind === 'url') return new URL(path, ref.base).href + (ref.query ?? '');
  return `${ref.endpoint}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${path}`;
}

/** A short label for messages and the cache: `org/name@rev` or the folder URL (without its query, which may hold a token). */
export function describeRef(ref: ModelRef): string {
  return ref.kind === 'hub' ? `${ref.repo}@${ref.revision}` : ref.base;
}

/** Commit hashes never change, so a cached file for one needs no revalidation. */
export function isImmutableRevision(ref: ModelRef): boolean {
  return ref.kind === 'hub' && /^[0-9a-f]{40}$/.test(ref.revision);
}
