// The browser download cache, when this context has the Cache API (secure contexts); otherwise downloads are not
// cached. Kept apart so the Worker can pick it without the rest of the runtime knowing about storage.
import { browserCache } from '../hub/browser-cache.ts';
import type { FileCache } from '../hub/cache.ts';

export async function browserCacheIfAvailable(): Promise<FileCache | null> {
  return typeof caches === 'undefined' ? null : browserCache();
}
