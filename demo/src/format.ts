// Number formatting for the page (bytes, percentages, milliseconds, scores).

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Whole percent, but never shows 100 % before the last byte has arrived. */
export function formatPercent(loaded: number, total: number): number {
  if (total <= 0) return 0;
  const p = Math.floor((loaded / total) * 100);
  return loaded >= total ? 100 : Math.min(p, 99);
}

export function formatScore(s: number): string {
  return s.toFixed(4);
}
