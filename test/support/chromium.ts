/**
 * Debian's chromium driven by playwright-core: never `playwright install`; the binary from PATH
 * with the flags that work as root on a closed network, and a fresh profile per launch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';

export function chromiumPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

export interface LaunchedChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(
  options: { ignoreHTTPSErrors?: boolean } = {},
): Promise<LaunchedChromium> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium not found on PATH (Debian package "chromium")');
  const userDataDir = mkdtempSync(join(tmpdir(), 'pmip-chromium-'));
  // launchPersistentContext passes the profile directory as --user-data-dir.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
