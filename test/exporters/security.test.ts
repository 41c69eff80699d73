/**
 * Key material never leaves the SA store: not in /metrics, any page, any JSON response, any
 * header, nor the logs, even when the SA view hands over objects that carry the key.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { startExporterServer } from '../../src/exporters/http-server.ts';
import type { ExporterServer } from '../../src/exporters/http-server.ts';
import type { SiteUnderTest } from '../support/event-script.ts';
import { scriptedSite } from '../support/event-script.ts';
import { keyForms } from './key-forms.ts';

const PATHS = [
  '/',
  '/metrics',
  '/statistics',
  '/clients',
  '/clients?state=isolated',
  '/clients?state=bogus',
  '/subnet-map',
  '/security-associations',
  '/aaps',
  '/api/v1/statistics',
  '/api/v1/clients',
  '/api/v1/subnet-map',
  '/api/v1/security-associations',
  '/api/v1/aaps',
  '/api/v1/bindings',
  '/api/v1/visitors',
  '/api/v1/clients?limit=-1',
  '/nowhere',
  '/api/v1/nowhere',
  '/-/healthy',
  '/-/ready',
];

describe('no key material in any output', () => {
  let site: SiteUnderTest;
  let server: ExporterServer;
  let logs = '';
  const leakyKey = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

  beforeAll(async () => {
    site = await scriptedSite();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const base = site.collectorConfig.views!.securityAssociations!;
    const collector = new Collector({
      ...site.collectorConfig,
      views: {
        ...site.collectorConfig.views,
        // A careless provider: descriptions with the key attached, as hex and as bytes.
        securityAssociations: () =>
          base().map((d) => Object.assign(d, { key: Buffer.from(leakyKey, 'hex'), keyHex: leakyKey })),
      },
    });
    await site.run(collector.ingest);
    server = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      actions: {
        refreshSubnetMap: async () => {
          throw new Error('AAP unreachable');
        },
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await site.stop();
  });

  it('keeps every key out of /metrics, pages, JSON, headers and logs', async () => {
    const forbidden = [...site.secretKeysHex, leakyKey].flatMap(keyForms);
    const outputs: Array<[string, string]> = [];
    for (const path of PATHS) {
      const res = await fetch(server.url + path);
      outputs.push([path, `${JSON.stringify([...res.headers])}\n${await res.text()}`]);
    }
    const failed = await fetch(`${server.url}/subnet-map/refresh`, { method: 'POST', redirect: 'manual' });
    expect(failed.status).toBe(500);
    outputs.push(['refresh', await failed.text()]);
    outputs.push(['logs', logs]);
    expect(logs).toContain('exporter listening');
    expect(logs).toContain('AAP unreachable');
    for (const [where, text] of outputs) {
      for (const f of forbidden)
        expect(text.toLowerCase().includes(f.toLowerCase()), `${where} contains ${f}`).toBe(false);
    }
    // And the SA page still shows what it may.
    const page = outputs.find(([p]) => p === '/security-associations')![1];
    expect(page).toContain('198.51.100.128-198.51.100.191');
    expect(page).toContain('hmac-md5');
  });
});
