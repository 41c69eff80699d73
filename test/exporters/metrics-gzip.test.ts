/**
 * /metrics is gzip-compressed when the scraper asks for it (`Accept-Encoding: gzip`, as Prometheus
 * sends) and plain otherwise; the inflated body is the plain body. A real Prometheus scrapes
 * through a recording pass-through proxy, so the test sees that it asked for gzip, got gzip, and
 * still stored what the collector counted.
 */
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { startExporterServer } from '../../src/exporters/http-server.ts';
import type { ExporterServer } from '../../src/exporters/http-server.ts';
import type { SiteUnderTest } from '../support/event-script.ts';
import { scriptedSite } from '../support/event-script.ts';
import { hasPrometheus, startPrometheus } from '../support/prometheus.ts';
import type { PrometheusServer } from '../support/prometheus.ts';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One GET with exactly the given headers (fetch would add and undo gzip by itself). */
function rawGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The exposition without the lines that change between two renders (self-metrics of the process). */
function stable(text: string): string {
  return text
    .split('\n')
    .filter(
      (l) =>
        !/^(process_|nodejs_|pmip_exporter_render_duration_seconds|pmip_exporter_section_duration_seconds)/.test(
          l,
        ),
    )
    .join('\n');
}

describe('/metrics with gzip', () => {
  let site: SiteUnderTest;
  let collector: Collector;
  let server: ExporterServer;

  beforeAll(async () => {
    site = await scriptedSite();
    collector = new Collector(site.collectorConfig);
    await site.run(collector.ingest);
    server = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await server?.close();
    await site?.stop();
  });

  it('answers gzip when asked, and the inflated body equals the plain one', async () => {
    const plain = await rawGet(`${server.url}/metrics`, {});
    const gzipped = await rawGet(`${server.url}/metrics`, { 'Accept-Encoding': 'gzip' });
    expect(plain.status).toBe(200);
    expect(gzipped.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toMatch(/accept-encoding/i);
    expect(gzipped.headers['content-type']).toBe(plain.headers['content-type']);
    // gzip magic number, and a body several times smaller than the text
    expect(gzipped.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gzipped.body.length * 3).toBeLessThan(plain.body.length);
    const inflated = gunzipSync(gzipped.body).toString('utf8');
    expect(inflated).toContain('pmip_mn_registrations_accepted_total{access_point="ap-lab"} 3\n');
    expect(stable(inflated)).toBe(stable(plain.body.toString('utf8')));
  });

  it('answers identity when gzip is not acceptable', async () => {
    for (const accept of ['identity', 'gzip;q=0', 'br;q=0, gzip;q=0, identity']) {
      const res = await rawGet(`${server.url}/metrics`, { 'Accept-Encoding': accept });
      expect(res.status, accept).toBe(200);
      expect(res.headers['content-encoding'], accept).toBeUndefined();
      expect(res.body.toString('utf8'), accept).toContain(
        'pmip_mn_registrations_accepted_total{access_point="ap-lab"} 3\n',
      );
    }
  });

  it('keeps the pages uncompressed (only /metrics is compressed)', async () => {
    const res = await rawGet(`${server.url}/statistics`, { 'Accept-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});

describe.skipIf(!hasPrometheus())('a real Prometheus scraping /metrics with gzip', () => {
  let site: SiteUnderTest;
  let collector: Collector;
  let server: ExporterServer;
  let proxy: Server;
  let prom: PrometheusServer;
  const seen: Array<{ acceptEncoding: string | undefined; contentEncoding: string | undefined }> = [];

  beforeAll(async () => {
    site = await scriptedSite();
    collector = new Collector(site.collectorConfig);
    await site.run(collector.ingest);
    server = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger: pino({ level: 'silent' }),
    });
    const upstream = new URL(server.url);
    // Pass-through: forwards the scrape as it came and the answer as it went, bytes untouched.
    proxy = createServer((req, res) => {
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (up) => {
          seen.push({
            acceptEncoding: req.headers['accept-encoding'],
            contentEncoding: up.headers['content-encoding'],
          });
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    prom = await startPrometheus([{ job: 'pmip', target: `127.0.0.1:${port}` }]);
    await prom.waitForSample('pmip_exporter_events_ingested_total{job="pmip"}', 40_000);
  });
  afterAll(async () => {
    await prom?.stop();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await server?.close();
    await site?.stop();
  });

  it('asks for gzip, gets gzip, and stores what the collector counted', async () => {
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.acceptEncoding).toMatch(/gzip/);
      expect(s.contentEncoding).toBe('gzip');
    }
    const [sample] = await prom.query('pmip_mn_registrations_accepted_total{access_point="ap-lab"}');
    expect(Number(sample?.value[1])).toBe(3);
    const [up] = await prom.query('up{job="pmip"}');
    expect(up?.value[1]).toBe('1');
  });
});
