/**
 * Browser: Debian's chromium (through playwright-core).
 *
 * On the scripted site: every page loads; the Statistics page shows the numbers of
 * /api/v1/statistics; the Mobile Clients form filters; the Refresh button refreshes; a phone
 * screen never scrolls sideways; no key bytes reach the DOM.
 *
 * On a real two-process site (test/support/two-process-site.ts, one client with a key the lab
 * does not share): the Statistics page shows the 131 that the lab's home agent claims in replies
 * the access point cannot verify; on Mobile Clients search, sort and paging show the rows the API
 * gives; with the lab process stopped (SIGSTOP) the overview names its home agent down with the
 * cause, and ok again once it runs (SIGCONT); the charts have data points.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { LAB_CLIENTS, startTwoProcessSite } from '../support/two-process-site.ts';
import type { AttachRequest, TwoProcessSite } from '../support/two-process-site.ts';
import { keyForms } from './key-forms.ts';

const PAGES = ['/', '/statistics', '/clients', '/subnet-map', '/security-associations', '/aaps'];
const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** As the Statistics page shows a `data-format="percent"` cell. */
function percent(v: unknown): string {
  return typeof v === 'number' ? `${(Math.round(v * 1000) / 10).toFixed(1)} %` : '—';
}

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
      expect(await page.locator('header nav a').count()).toBeGreaterThanOrEqual(8);
    }
    expect(consoleErrors, consoleErrors.join('; ')).toEqual([]);
  });

  it('shows on the Statistics page the numbers of /api/v1/statistics', async () => {
    await page.goto(`${server.url}/statistics`);
    const cells = await page.$$eval('[data-stat]', (els) =>
      els.map((e) => [
        e.getAttribute('data-stat') ?? '',
        (e.textContent ?? '').trim(),
        e.getAttribute('data-format'),
      ]),
    );
    const api = (await (await fetch(`${server.url}/api/v1/statistics`)).json()) as Record<string, unknown>;
    expect(cells.length).toBeGreaterThan(60);
    for (const [pathJson, text, format] of cells) {
      const path = JSON.parse(pathJson!) as string[];
      let v: unknown = api;
      for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k];
      if (format === 'percent') expect(text, pathJson!).toBe(percent(v));
      else expect(text, pathJson!).toBe(typeof v === 'number' ? String(v) : '—');
    }
    // Each denial shows its code and reason; codes from either side are listed.
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
    // The code claimed by a reply that failed authentication, per home agent.
    expect(await page.locator('tr[data-code="131"]').textContent()).toMatch(
      /1\s+from\s+ha-south \(198\.51\.100\.2\)/,
    );
    // The Outcomes table: site-wide, per access point, per home and foreign agent seen.
    expect(await page.locator('table:has(caption:text("Outcomes")) tbody tr').count()).toBe(1 + 3 + 2 + 1);
    expect(await page.locator('body').textContent()).toContain(
      "Denied by home agent counts verified denials received by access points; the home agent's own count also includes denials whose reply failed authentication at the access point (wrong key): see Unauthenticated.",
    );
  });

  it('filters the Mobile Clients page with the form', async () => {
    await page.goto(`${server.url}/clients`);
    await page.selectOption('select[name="access_point"]', 'ap-cafe');
    await page.selectOption('select[name="state"]', 'isolated');
    await Promise.all([page.waitForURL(/state=isolated/), page.click('button[type="submit"]')]);
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr').first().textContent()).toContain('131 ha_mn_failed_authentication');
    expect(await page.locator('tbody tr').first().textContent()).toContain('ha-south (198.51.100.2)');
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

/** A key for 127.202.0.250 at the access points that the lab's ha-lab-2 does not hold. */
const WRONG_KEY = `bad0c0ffee${'0'.repeat(19)}131`;
const WRONG_KEY_CLIENT: AttachRequest = {
  mac: '02:00:00:00:02:fa',
  address: '127.202.0.250',
  accessPoint: 'ap-west',
};
/** Ten more clients of ha-lab-1 on ap-east, half of them with an NAI. */
const WARD = Array.from({ length: 10 }, (_, n): AttachRequest => ({
  mac: `02:00:00:00:03:${String(n).padStart(2, '0')}`,
  address: `127.201.0.${100 + n}`,
  accessPoint: 'ap-east',
  ...(n % 2 === 0 ? { nai: `nurse${n}@Ward.example` } : {}),
}));

interface ApiClients {
  total: number;
  clients: Array<{ mac: string; address: string; nai: string | null; homeAgentName: string | null }>;
}

describe.skipIf(!chromiumPath())('a real two-process site in chromium', () => {
  let lab: TwoProcessSite;
  let browser: LaunchedChromium;
  let page: Page;
  let stopped = false;
  const api = async <T>(p: string): Promise<T> => (await (await fetch(lab.site.url + p)).json()) as T;
  const macsOf = async (p: string) => (await api<ApiClients>(p)).clients.map((c) => c.mac);
  const shownMacs = () =>
    page.$$eval('tbody tr[data-mac]', (rows) => rows.map((r) => r.getAttribute('data-mac')));
  const until = async (what: string, ok: () => Promise<boolean>, timeoutMs: number, stepMs = 250) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, stepMs));
    }
  };

  beforeAll(async () => {
    lab = await startTwoProcessSite({
      // The site signs 127.202.0.250 with a key of its own: ha-lab-2 answers 131 in a reply the
      // access point cannot verify (a single-address binding wins over the range).
      site: (doc) => {
        doc.securityAssociations.local.push({
          address: WRONG_KEY_CLIENT.address,
          spi: 301,
          key: WRONG_KEY,
          algorithm: 'hmac-md5',
        });
      },
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const c of [...LAB_CLIENTS, ...WARD, WRONG_KEY_CLIENT])
      expect((await lab.attach(c)).status, c.mac).toBe(201);
    await until(
      'twelve clients registered',
      async () => (await api<ApiClients>('/api/v1/clients?state=registered')).total === 12,
      20_000,
    );
  }, 60_000);
  afterAll(async () => {
    if (stopped) process.kill(lab.lab.pid, 'SIGCONT');
    await browser?.close();
    await lab?.stop();
  });

  it('shows 131 on the Statistics page: claimed by replies from ha-lab-2 that failed authentication', async () => {
    type Stats = {
      homeAgentsSeen: Record<string, { unauthenticatedByClaimedCode: Record<string, number> }>;
    };
    await until(
      'an unauthenticated 131 from ha-lab-2',
      async () =>
        ((await api<Stats>('/api/v1/statistics')).homeAgentsSeen['127.202.0.1']?.unauthenticatedByClaimedCode[
          '131'
        ] ?? 0) > 0,
      40_000,
      500,
    );
    await page.goto(`${lab.site.url}/statistics`);
    const row = page.locator('table:has(caption:text("Denials by reply code")) tr[data-code="131"]');
    expect(await row.textContent()).toContain('ha_mn_failed_authentication');
    expect(await row.textContent()).toMatch(/\d+\s+from\s+ha-lab-2 \(127\.202\.0\.1\)/);
    const outcomes = page.locator('table:has(caption:text("Outcomes")) tr', {
      hasText: 'Home agent ha-lab-2 (127.202.0.1)',
    });
    expect(
      Number(await outcomes.locator('[data-stat$=\',"unauthenticated"]\']').textContent()),
    ).toBeGreaterThan(0);
    // The client's row says it in words.
    await page.goto(`${lab.site.url}/clients?outcome=unauthenticated`);
    expect(await shownMacs()).toEqual([WRONG_KEY_CLIENT.mac]);
    expect(await page.locator('tbody tr').first().textContent()).toContain(
      'reply failed authentication (claims 131 ha_mn_failed_authentication): check the SPI and key',
    );
  });

  it('searches, sorts and pages the Mobile Clients page as the API does', async () => {
    // Paging: 5 a page.
    await page.goto(`${lab.site.url}/clients?limit=5`);
    expect(await shownMacs()).toEqual(await macsOf('/api/v1/clients?limit=5'));
    expect(await page.locator('#rows-range').textContent()).toBe('rows 1–5 of 13');
    await Promise.all([page.waitForURL(/offset=5/), page.click('#page-next')]);
    expect(await shownMacs()).toEqual(await macsOf('/api/v1/clients?limit=5&offset=5'));
    expect(await page.locator('#rows-range').textContent()).toBe('rows 6–10 of 13');
    await Promise.all([page.waitForURL(/offset=10/), page.click('#page-next')]);
    expect(await shownMacs()).toHaveLength(3);
    expect(await page.locator('#page-next').count()).toBe(0);
    await Promise.all([page.waitForURL(/offset=5/), page.click('#page-previous')]);

    // Sorting: the Address header, then again for descending.
    const address = page.locator('th[data-sort-key="address"] a');
    await Promise.all([page.waitForURL(/sort=address/), address.click()]);
    expect(await address.textContent()).toContain('▲');
    expect(page.url()).not.toContain('offset=');
    expect(await shownMacs()).toEqual(await macsOf('/api/v1/clients?sort=address&limit=5'));
    await Promise.all([page.waitForURL(/order=desc/), address.click()]);
    expect(await address.textContent()).toContain('▼');
    expect(await shownMacs()).toEqual(await macsOf('/api/v1/clients?sort=address&order=desc&limit=5'));
    expect(await page.locator('tbody tr td:nth-child(2)').first().textContent()).toBe('127.202.0.250');

    // Search, case-insensitive on the NAI, keeping the sort.
    await page.fill('input[name="q"]', 'WARD.EXAMPLE');
    await Promise.all([page.waitForURL(/q=WARD\.EXAMPLE/), page.click('button[type="submit"]')]);
    expect(page.url()).toContain('sort=address');
    const ward = await macsOf('/api/v1/clients?q=ward.example&sort=address&order=desc&limit=5');
    expect(ward).toHaveLength(5);
    expect(await shownMacs()).toEqual(ward);
    expect(await page.locator('#rows-range').textContent()).toBe('rows 1–5 of 5');
    for (const nai of await page.locator('tbody tr td:nth-child(3)').allTextContents())
      expect(nai.toLowerCase()).toMatch(/^nurse\d@ward\.example$/);

    // Filter by home agent, named "name (address)".
    await page.fill('input[name="q"]', '');
    await page.selectOption('select[name="home_agent"]', 'ha-lab-2');
    await Promise.all([page.waitForURL(/home_agent=ha-lab-2/), page.click('button[type="submit"]')]);
    expect((await shownMacs()).sort()).toEqual([LAB_CLIENTS[1].mac, WRONG_KEY_CLIENT.mac].sort());
    for (const cell of await page.locator('tbody tr td:nth-child(7)').allTextContents())
      expect(cell.trim()).toBe('ha-lab-2 (127.202.0.1)');
  });

  it('names the stopped home agent down on the overview with the cause, then ok again; the charts have data', async () => {
    const statusOf = async (name: string) => {
      await page.goto(`${lab.site.url}/`);
      return page.locator(`tr[data-kind="home-agent"][data-name="${name}"]`).getAttribute('data-status');
    };
    expect(await statusOf('ha-lab-1')).toBe('ok');

    // New clients keep coming to ha-lab-1 (through fa-east): attempts that the health window sees.
    let next = 0;
    const attaching: Array<Promise<unknown>> = [];
    const arrivals = setInterval(() => {
      const n = next++;
      attaching.push(
        lab.attach({
          mac: `02:00:00:00:04:${String(n).padStart(2, '0')}`,
          address: `127.201.0.${150 + n}`,
          accessPoint: 'ap-east',
        }),
      );
    }, 3000);
    try {
      process.kill(lab.lab.pid, 'SIGSTOP');
      stopped = true;
      const since = Date.now();
      await until(
        'ha-lab-1 down on the overview',
        async () => (await statusOf('ha-lab-1')) === 'down',
        50_000,
        1000,
      );
      const tookMs = Date.now() - since;
      expect(tookMs).toBeLessThan(50_000);

      // The first screen names it and the cause.
      const headline = (await page.locator('#headline').textContent())!.replace(/\s+/g, ' ');
      expect(headline).toMatch(
        /Home agent ha-lab-1 \(127\.201\.0\.1\) is down: \d+ timeouts? \(no reply\) of \d+/,
      );
      expect(headline).toMatch(/last reply [\w ]+ ago: is it running and reachable\?/);
      const row = page.locator('tr[data-kind="home-agent"][data-name="ha-lab-1"]');
      expect(await row.locator('.status').textContent()).toBe('down');
      expect(await row.textContent()).toContain('timeout');
      const health = await api<{ homeAgents: Array<{ name: string; status: string }> }>('/api/v1/health');
      expect(health.homeAgents.find((h) => h.name === 'ha-lab-1')?.status).toBe('down');
      mkdirSync(path.join(repoRoot, '.scratch'), { recursive: true });
      await page.screenshot({ path: path.join(repoRoot, '.scratch/overview-outage.png') });

      // The charts: outcomes per minute (timeouts among them) and round trips, as data-carrying rects.
      expect(await page.locator('#chart-outcomes rect[data-series="outcomes"]').count()).toBeGreaterThan(0);
      expect(
        await page.locator('#chart-outcomes rect[data-series="outcomes"][data-outcome="timeout"]').count(),
      ).toBeGreaterThan(0);
      expect(await page.locator('#chart-round-trip rect[data-series="round-trip"]').count()).toBeGreaterThan(
        0,
      );
      expect(await page.locator('#chart-outcomes svg title').first().textContent()).toContain(
        'outcomes per minute',
      );

      process.kill(lab.lab.pid, 'SIGCONT');
      stopped = false;
      await until('ha-lab-1 ok again', async () => (await statusOf('ha-lab-1')) === 'ok', 90_000, 1000);
      expect(await page.locator('#headline').textContent()).not.toContain('ha-lab-1 (127.201.0.1) is down');
    } finally {
      clearInterval(arrivals);
      await Promise.allSettled(attaching);
    }
  }, 240_000);

  it('never puts a key of either configuration in the DOM of any page', async () => {
    const keys = [...readFileSync(lab.site.config, 'utf8').matchAll(/key: "?([0-9a-f]{32})/g)].map(
      (m) => m[1]!,
    );
    expect(keys).toContain(WRONG_KEY);
    const forbidden = keys.flatMap(keyForms);
    for (const p of PAGES) {
      await page.goto(lab.site.url + p);
      const dom = ((await page.evaluate('document.documentElement.outerHTML')) as string).toLowerCase();
      for (const f of forbidden) expect(dom.includes(f.toLowerCase()), `${p} contains ${f}`).toBe(false);
    }
  });
});
