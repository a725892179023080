// The demo as `npm run build:demo` builds it, in a temporary folder, served on 127.0.0.1 with any extra routes, and a
// Chromium to open it: the set-up and teardown the page tests (demo, Teach it, bench page) share.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { buildDemo, launchChromium } from './harness.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

export interface BuiltSite {
  /** The built site's folder. */
  outDir: string;
  server: StaticServer;
  browser: Browser;
  /** The site's address: the server's URL and the mount path. */
  url: string;
  /** Closes the browser and the server and removes the folder (each even if an earlier step fails). */
  close(): Promise<void>;
}

/** Builds the demo into a fresh temporary folder (`prefix` names it), serves it at `mount` plus `routes`, launches Chromium. */
export async function serveBuiltDemo(prefix: string, mount = '/', routes: Record<string, string> = {}): Promise<BuiltSite> {
  const outDir = mkdtempSync(join(tmpdir(), prefix));
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    try {
      await browser?.close();
    } finally {
      try {
        await server?.close();
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    }
  };
  try {
    await buildDemo(outDir);
    server = await startStaticServer({ [mount]: outDir, ...routes });
    browser = await launchChromium();
    return { outDir, server, browser, url: `${server.url}${mount}`, close };
  } catch (e) {
    await close();
    throw e;
  }
}
