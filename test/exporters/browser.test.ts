/**
 * Browser: Debian's chromium (through playwright-core) loads every page; the Statistics page shows
 * the numbers of /api/v1/statistics; the Refresh button refreshes; no key bytes reach the DOM.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Collector } from '../../src/collector/collector.ts';
import { startExporterServer } from '../../src/exporters/http-server.ts';
import type { ExporterServer } from '../../src/exporters/http-server.ts';
import { chromiumPath, launchChromium } from '../support/chromium.ts';
import type { LaunchedChromium } from '../support/chromium.ts';
import type { SiteUnderTest } from '../support/event-script.ts';
import { scriptedSite } from '../support/event-script.ts';
import { keyForms } from './key-forms.ts';

const PAGES = ['/', '/statistics', '/clients', '/subnet-map', '/security-associations', '/aaps'];

describe.skipIf(!chromiumPath())('statistics pages in chromium', () => {
  let site: SiteUnderTest;
  let server: ExporterServer;
  let browser: LaunchedChromium;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    site = await scriptedSite();
    const collector = new Collector(site.collectorConfig);
    await site.run(collector.ingest);
    server = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger: pino({ level: 'silent' }),
      actions: { refreshSubnetMap: () => site.refreshSubnetMap() },
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await site?.stop();
  });

  it('loads every page with its title and navigation, without console errors', async () => {
    for (const path of PAGES) {
      const res = await page.goto(server.url + path);
      expect(res?.status(), path).toBe(200);
      expect(await page.title()).toMatch(/· pmip-exporter$/);
      expect(await page.locator('header nav a').count()).toBeGreaterThanOrEqual(7);
    }
    expect(consoleErrors, consoleErrors.join('; ')).toEqual([]);
  });

  it('shows on the Statistics page the numbers of /api/v1/statistics', async () => {
    await page.goto(`${server.url}/statistics`);
    const cells = await page.$$eval('[data-stat]', (els) =>
      els.map((e) => [e.getAttribute('data-stat') ?? '', e.textContent ?? '']),
    );
    const api = (await (await fetch(`${server.url}/api/v1/statistics`)).json()) as Record<string, unknown>;
    expect(cells.length).toBeGreaterThan(60);
    for (const [pathJson, text] of cells) {
      const path = JSON.parse(pathJson!) as string[];
      let v: unknown = api;
      for (const k of path) v = (v as Record<string, unknown>)[k];
      expect(text, pathJson).toBe(typeof v === 'number' ? String(v) : '—');
    }
    // Each denial shows its code and reason.
    const rows = page.locator('table:has(caption:text("Denials by reply code")) tbody tr');
    const denials: string[][] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      denials.push((await rows.nth(i).locator('td').allTextContents()).slice(0, 2).map((t) => t.trim()));
    }
    expect(denials).toEqual([
      ['69', 'fa_lifetime_too_long'],
      ['131', 'ha_mn_failed_authentication'],
      ['133', 'ha_identification_mismatch'],
    ]);
  });

  it('filters the Mobile Clients page with the form', async () => {
    await page.goto(`${server.url}/clients`);
    await page.selectOption('select[name="access_point"]', 'ap-cafe');
    await page.selectOption('select[name="state"]', 'isolated');
    await Promise.all([page.waitForURL(/state=isolated/), page.click('button[type="submit"]')]);
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr').first().textContent()).toContain('131 ha_mn_failed_authentication');
  });

  it('refreshes the Subnet Map with the Refresh button', async () => {
    await page.goto(`${server.url}/subnet-map`);
    const before = await page.locator('tbody tr').count();
    await Promise.all([page.waitForURL(/refreshed=1/), page.click('#refresh')]);
    expect(await page.locator('#refresh-message').textContent()).toContain('refreshed');
    expect(await page.locator('tbody tr').count()).toBe(before + 1);
    expect(await page.locator('tbody').textContent()).toContain('203.0.113.1');
  });

  it('fits a phone screen: no page scrolls sideways, wide tables scroll inside their box', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of PAGES) {
      await page.goto(server.url + path);
      // A string expression: the test is compiled without the DOM library.
      const overflow = (await page.evaluate(
        'document.documentElement.scrollWidth - window.innerWidth',
      )) as number;
      expect(overflow, path).toBeLessThanOrEqual(1);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('never puts key bytes in the DOM of any page', async () => {
    const forbidden = site.secretKeysHex.flatMap(keyForms);
    for (const path of PAGES) {
      await page.goto(server.url + path);
      const dom = (await page.evaluate('document.documentElement.outerHTML')) as string;
      for (const f of forbidden)
        expect(dom.toLowerCase().includes(f.toLowerCase()), `${path} contains ${f}`).toBe(false);
    }
  });
});
