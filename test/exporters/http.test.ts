import { rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { sectionFailureLog, startExporterServer } from '../../src/exporters/http-server.ts';
import type { ExporterServer } from '../../src/exporters/http-server.ts';
import { WebConfigError, loadWebConfig } from '../../src/exporters/web-config.ts';
import type { SiteUnderTest } from '../support/event-script.ts';
import { SITE, scriptedSite } from '../support/event-script.ts';
import { makeWebConfig } from './web-fixtures.ts';

const logger = pino({ level: 'silent' });

describe('exporter HTTP server', () => {
  let site: SiteUnderTest;
  let collector: Collector;
  let server: ExporterServer;
  const refresh = vi.fn(async () => site.refreshSubnetMap());

  beforeAll(async () => {
    site = await scriptedSite();
    collector = new Collector(site.collectorConfig);
    await site.run(collector.ingest);
    server = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      actions: { refreshSubnetMap: refresh },
    });
  });
  afterAll(async () => {
    await server.close();
    await site.stop();
  });

  const get = (path: string, init?: RequestInit) => fetch(server.url + path, init);

  it('serves /metrics in the text format', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toContain('pmip_mn_registrations_accepted_total{access_point="ap-lab"} 3\n');
  });

  it('answers the health endpoints without rendering metrics', async () => {
    const snapshot = vi.spyOn(collector, 'snapshot');
    const render = vi.spyOn(server.exporter, 'render');
    for (const path of ['/-/healthy', '/-/ready']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^(Healthy|Ready)\n$/);
    }
    expect(snapshot).not.toHaveBeenCalled();
    expect(render).not.toHaveBeenCalled();
    snapshot.mockRestore();
    render.mockRestore();
  });

  it('links every page, the metrics, the health endpoints and the API from the landing page', async () => {
    const body = await (await get('/')).text();
    for (const href of [
      '/statistics',
      '/clients',
      '/subnet-map',
      '/security-associations',
      '/aaps',
      '/metrics',
      '/-/healthy',
      '/-/ready',
      '/api/v1/statistics',
      '/api/v1/clients',
      '/api/v1/subnet-map',
      '/api/v1/security-associations',
      '/api/v1/aaps',
    ]) {
      expect(body).toContain(`href="${href}"`);
    }
  });

  it('returns the JSON documents', async () => {
    const stats = (await (await get('/api/v1/statistics')).json()) as {
      registrations: { accepted: number };
      accessPoints: Record<string, unknown>;
    };
    expect(stats.registrations.accepted).toBe(7);
    expect(Object.keys(stats.accessPoints)).toEqual(['ap-lobby', 'ap-lab', 'ap-cafe']);
    const clients = (await (await get('/api/v1/clients?access_point=ap-cafe&state=isolated')).json()) as {
      total: number;
      clients: Array<{ mac: string; lastCode: number; lastReason: string }>;
    };
    expect(clients.total).toBe(1);
    expect(clients.clients[0]).toMatchObject({
      mac: '02:00:00:00:00:04',
      lastCode: 131,
      lastReason: 'ha_mn_failed_authentication',
    });
    const paged = (await (await get('/api/v1/clients?limit=2&offset=1')).json()) as {
      total: number;
      clients: unknown[];
    };
    expect(paged).toMatchObject({ total: 6, offset: 1, limit: 2 });
    expect(paged.clients).toHaveLength(2);
    const sas = (await (await get('/api/v1/security-associations')).json()) as {
      securityAssociations: unknown[];
    };
    expect(sas.securityAssociations).toEqual([
      {
        spi: 256,
        algorithm: 'prefix-suffix',
        replay: 'timestamp',
        replayWindowSeconds: 7,
        scope: '198.51.100.11',
        source: 'local',
      },
      {
        spi: 300,
        algorithm: 'hmac-md5',
        replay: 'nonce',
        replayWindowSeconds: 7,
        scope: '198.51.100.128-198.51.100.191',
        source: 'local',
      },
    ]);
    const aaps = (await (await get('/api/v1/aaps')).json()) as {
      aaps: Array<{ aap: string; reachable: boolean | null; lastVersion: number | null }>;
    };
    expect(aaps.aaps.map((a) => [a.aap, a.reachable, a.lastVersion])).toEqual([
      ['ap-lobby', true, 3],
      ['ap-cafe', false, null],
    ]);
    const map = (await (await get('/api/v1/subnet-map')).json()) as { rows: Array<{ homeAgent: string }> };
    expect(map.rows.map((r) => r.homeAgent)).toContain('198.51.100.1');
  });

  it.each([
    ['/api/v1/clients?state=lost', 'state: must be one of home, registered, pending, isolated, unknown'],
    ['/api/v1/clients?access_point=ap-nowhere', 'access_point: not a known access point'],
    ['/api/v1/clients?limit=0', 'limit: must be at least 1'],
    ['/api/v1/clients?limit=abc', 'limit: must be a number'],
    ['/api/v1/clients?offset=1.5', 'offset: must be an integer'],
    ['/api/v1/clients?colour=red', 'unknown query parameter: colour'],
    ['/api/v1/clients?state=home&state=pending', 'state: given 2 times, at most once'],
    ['/api/v1/clients?limit=1&limit=2&limit=3', 'limit: given 3 times, at most once'],
    ['/api/v1/clients?colour=red&colour=blue', 'unknown query parameter: colour'],
    ['/api/v1/statistics?x=1', 'unknown query parameter: x'],
    ['/api/v1/subnet-map?x=1', 'unknown query parameter: x'],
    ['/api/v1/security-associations?x=1', 'unknown query parameter: x'],
    ['/api/v1/aaps?x=1', 'unknown query parameter: x'],
    ['/api/v1/bindings?x=1', 'unknown query parameter: x'],
    ['/api/v1/visitors?x=1', 'unknown query parameter: x'],
  ])('refuses %s with 400 and the reason', async (path, reason) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: reason });
  });

  it.each([
    ['/?x=1', 'unknown query parameter: x'],
    ['/statistics?x=1', 'unknown query parameter: x'],
    ['/security-associations?sort=spi', 'unknown query parameter: sort'],
    ['/aaps?x=1', 'unknown query parameter: x'],
    ['/subnet-map?x=1', 'unknown query parameter: x'],
    ['/subnet-map?refreshed=yes', 'refreshed: must be 1'],
    ['/clients?state=home&state=pending', 'state: given 2 times, at most once'],
  ])('refuses the page %s with 400 naming the parameter', async (path, reason) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain(`<p>${reason}</p>`);
  });

  it('refuses a bad filter on the Mobile Clients page with 400 and the reason', async () => {
    const res = await get('/clients?state=lost');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('state: must be one of home');
  });

  it('filters the Mobile Clients page by access point and state', async () => {
    const body = await (await get('/clients?access_point=ap-lobby&state=registered')).text();
    expect(body).toContain('Showing 1 of 1 clients.');
    expect(body).toContain('data-mac="02:00:00:00:00:01"');
    expect(body).not.toContain('data-mac="02:00:00:00:00:06"');
  });

  it('runs the refresh action from the API and from the page form', async () => {
    const res = await get('/api/v1/subnet-map/refresh', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ refreshed: true });
    const form = await get('/subnet-map/refresh', { method: 'POST', redirect: 'manual' });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/subnet-map?refreshed=1');
    const cross = await get('/subnet-map/refresh', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(cross.status).toBe(403);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('refuses query parameters on the refresh action (form and API) without running it', async () => {
    refresh.mockClear();
    const api = await get('/api/v1/subnet-map/refresh?force=1', { method: 'POST' });
    expect(api.status).toBe(400);
    expect(await api.json()).toEqual({ error: 'unknown query parameter: force' });
    const form = await get('/subnet-map/refresh?force=1', { method: 'POST', redirect: 'manual' });
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('<p>unknown query parameter: force</p>');
    expect(refresh).not.toHaveBeenCalled();
  });

  it('refuses a cross-site refresh on the API as the form does, and runs a same-origin one', async () => {
    refresh.mockClear();
    for (const site of ['cross-site', 'same-site']) {
      const res = await get('/api/v1/subnet-map/refresh', {
        method: 'POST',
        headers: { 'sec-fetch-site': site },
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'cross-site request refused' });
    }
    expect(refresh).not.toHaveBeenCalled();
    for (const site of ['same-origin', 'none']) {
      const res = await get('/api/v1/subnet-map/refresh', {
        method: 'POST',
        headers: { 'sec-fetch-site': site },
      });
      expect(res.status).toBe(200);
    }
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  /** Every route of the server with the methods it serves. */
  const ROUTES: Array<[string, string]> = [
    ['/favicon.ico', 'GET, HEAD'],
    ['/-/healthy', 'GET, HEAD'],
    ['/-/ready', 'GET, HEAD'],
    ['/metrics', 'GET, HEAD'],
    ['/', 'GET, HEAD'],
    ['/statistics', 'GET, HEAD'],
    ['/clients', 'GET, HEAD'],
    ['/subnet-map', 'GET, HEAD'],
    ['/subnet-map/refresh', 'POST'],
    ['/security-associations', 'GET, HEAD'],
    ['/aaps', 'GET, HEAD'],
    ['/api/v1/statistics', 'GET, HEAD'],
    ['/api/v1/clients', 'GET, HEAD'],
    ['/api/v1/subnet-map', 'GET, HEAD'],
    ['/api/v1/subnet-map/refresh', 'POST'],
    ['/api/v1/security-associations', 'GET, HEAD'],
    ['/api/v1/aaps', 'GET, HEAD'],
    ['/api/v1/bindings', 'GET, HEAD'],
    ['/api/v1/visitors', 'GET, HEAD'],
  ];

  it.each(ROUTES)('answers a wrong method on %s with 405 and Allow: %s', async (path, allow) => {
    refresh.mockClear();
    const wrong = allow === 'POST' ? ['GET', 'PUT', 'DELETE'] : ['POST', 'PUT', 'DELETE', 'PATCH'];
    for (const method of wrong) {
      const res = await get(path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      const message = `method not allowed: ${method} ${path} (allowed: ${allow})`;
      if (path.startsWith('/api/')) expect(await res.json()).toEqual({ error: message });
      else expect(await res.text()).toContain(`<p>${message}</p>`);
    }
    const options = await get(path, { method: 'OPTIONS' });
    expect(options.status).toBe(200); // as the router answers OPTIONS itself under /api/v1
    expect(options.headers.get('allow')).toBe(allow);
    expect(await options.text()).toBe(allow);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('answers 404 for unknown paths, as JSON under /api', async () => {
    expect((await get('/nope', { method: 'PUT' })).status).toBe(404);
    expect((await get('/api/v1/nope', { method: 'DELETE' })).status).toBe(404);
    expect((await get('/nope')).status).toBe(404);
    const res = await get('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });
});

describe('web configuration (exporter-toolkit format)', () => {
  it('serves HTTPS with basic auth: 401 without or with wrong credentials, 200 with them', async () => {
    const web = makeWebConfig({ tls: true, auth: true });
    const server = await startExporterServer({
      collector: new Collector({ accessPoints: ['ap-1'] }),
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      webConfigFile: web.webConfigFile,
    });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const call = (auth?: string) =>
        new Promise<{ status: number; body: string; challenge?: string | undefined }>((resolve, reject) => {
          const req = httpsRequest(
            `${server.url}/metrics`,
            {
              rejectUnauthorized: false,
              headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
            },
            (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, body, challenge: res.headers['www-authenticate'] }),
              );
            },
          );
          req.on('error', reject);
          req.end();
        });
      const anonymous = await call();
      expect(anonymous.status).toBe(401);
      expect(anonymous.challenge).toMatch(/^Basic /);
      expect((await call(`${web.username}:wrong`)).status).toBe(401);
      expect((await call(`nobody:${web.password}`)).status).toBe(401);
      const ok = await call(`${web.username}:${web.password}`);
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('pmip_mn_registrations_accepted_total{access_point="ap-1"} 0');
      expect((await call(`${web.username}:${web.password}`)).status).toBe(200); // cached path
    } finally {
      await server.close();
      rmSync(web.dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown fields, bad hashes and missing files with the field named', async () => {
    const web = makeWebConfig({ tls: false, auth: false });
    const file = join(web.dir, 'bad.yml');
    const attempt = async (text: string) => {
      writeFileSync(file, text);
      return loadWebConfig(file).then(
        () => 'loaded',
        (e: unknown) =>
          e instanceof WebConfigError ? e.message.replace(`${file}: `, '') : `unexpected ${String(e)}`,
      );
    };
    expect(await attempt('basic_auth_users:\n  alice: plaintext\n')).toMatch(
      /^basic_auth_users\.alice: must be a bcrypt hash/,
    );
    expect(
      await attempt('tls_server_config:\n  cert_file: x.crt\n  key_file: x.key\n  cipher_suites: [a]\n'),
    ).toMatch(/^tls_server_config: /);
    expect(await attempt('tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n')).toMatch(
      /^tls_server_config\.cert_file: ENOENT/,
    );
    expect(await attempt('surprise: 1\n')).toMatch(/^\(top level\): /);
    expect(await attempt('')).toBe('loaded');
    rmSync(web.dir, { recursive: true, force: true });
  });
});

describe('a failing part of /metrics in the log', () => {
  it('is logged with what it threw, once a minute at most, the rest of the page served', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const captured = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const collector = new Collector({
      ...SITE,
      views: {
        subnetMap: () => {
          throw new Error('table gone');
        },
      },
    });
    const server = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger: captured,
    });
    try {
      let text = '';
      for (let i = 0; i < 3; i++) text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('pmip_exporter_collect_failures_total{collector="subnet_map"} 3\n');
      expect(text).toContain('pmip_exporter_section_success{section="subnet_map"} 0\n');
      expect(text).toContain('pmip_exporter_section_success{section="mobile_node"} 1\n');
      const failures = lines.filter((l) => l['collector'] !== undefined);
      expect(failures).toEqual([
        expect.objectContaining({
          level: 50,
          collector: 'subnet_map',
          err: expect.objectContaining({ name: 'Error', message: 'the subnet map view failed' }),
          msg: '/metrics: subnet_map failed and was left out of the scrape (pmip_exporter_collect_failures_total)',
        }),
      ]);
    } finally {
      await server.close();
    }
  });

  it('says how many failures went unlogged in the minute before', () => {
    const lines: Array<Record<string, unknown>> = [];
    const captured = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    let now = 0;
    const log = sectionFailureLog(captured, () => now);
    for (const t of [0, 1_000, 59_999]) {
      now = t;
      log('radius', new Error('boom'));
    }
    now = 30_000;
    log('site', new Error('other'));
    now = 60_000;
    log('radius', new Error('boom again'));
    expect(
      lines.map((l) => [l['collector'], (l['err'] as { message: string }).message, l['unloggedFailures']]),
    ).toEqual([
      ['radius', 'boom', undefined],
      ['site', 'other', undefined],
      ['radius', 'boom again', 2],
    ]);
  });
});
