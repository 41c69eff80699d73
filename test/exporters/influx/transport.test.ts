/**
 * What goes over the wire, seen by a plain HTTP server standing in for InfluxDB: the `/write`
 * path and Basic auth for 1.x, the `/api/v2/write` path and `Token` header otherwise, gzip above
 * the threshold; how each server answer is classified and counted; the shutdown accounting when
 * the server is gone; and URLs fit for a log line.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { v1WritePath } from '../../../src/exporters/influx/transport.ts';
import { InfluxWriter, redactUrl } from '../../../src/exporters/influx/writer.ts';
import { freePort } from '../../support/prometheus.ts';
import { capturedLogger, influxConfig, scriptedCollector, until } from './helpers.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server that records each request and answers with `answer(n)` (status, body) for the n-th. */
async function fakeInflux(answer: (n: number) => [number, string] = () => [204, '']): Promise<{
  url: string;
  seen: Seen[];
}> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const [status, text] = answer(seen.length);
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('InfluxDB write requests', () => {
  it('1.x: /write?db=&rp= with Basic auth, nanosecond timestamps, no password in the URL', async () => {
    const influx = await fakeInflux();
    const writer = new InfluxWriter({
      config: influxConfig({
        url: influx.url,
        database: 'pmip',
        retentionPolicy: 'week',
        username: 'writer',
        password: 'pw-secret-1',
        gzipThresholdBytes: 100_000_000,
      }),
      site: 'north',
      logger: capturedLogger().logger,
    });
    const { collector } = await scriptedCollector();
    writer.writeSnapshot(collector.snapshot());
    await writer.close();
    expect(influx.seen.length).toBeGreaterThanOrEqual(1);
    const r = influx.seen[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/write?db=pmip&rp=week');
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from('writer:pw-secret-1').toString('base64')}`);
    expect(r.headers['content-encoding']).toBeUndefined();
    const first = r.body.split('\n')[0]!;
    expect(first).toMatch(/^pmip_access_point,site=north,access_point=ap-\w+ .* \d{19}$/);
    expect(writer.status().pointsWritten).toBe(r.body.split('\n').length * influx.seen.length);
  });

  it('v2: /api/v2/write?org&bucket&precision=ns with the Token header, gzipped above the threshold', async () => {
    const influx = await fakeInflux();
    const writer = new InfluxWriter({
      config: influxConfig({
        url: `${influx.url}/`,
        token: 'user:pass-for-1.8',
        org: 'ops',
        bucket: 'pmip/autogen',
        gzipThresholdBytes: 10,
      }),
      site: 'north',
      logger: capturedLogger().logger,
    });
    const { collector } = await scriptedCollector();
    writer.writeSnapshot(collector.snapshot());
    await writer.close();
    const r = influx.seen[0]!;
    expect(r.url).toBe('/api/v2/write?org=ops&bucket=pmip%2Fautogen&precision=ns');
    expect(r.headers.authorization).toBe('Token user:pass-for-1.8');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.body).toContain('pmip_site,site=north ');
  });

  it('a 500 is retried and counted as server_error; the retry succeeds and nothing is dropped', async () => {
    const influx = await fakeInflux((n) => (n === 1 ? [500, '{"error":"engine busy"}'] : [204, '']));
    const log = capturedLogger();
    const writer = new InfluxWriter({
      config: influxConfig({
        url: influx.url,
        database: 'pmip',
        minRetryDelaySeconds: 0.05,
        maxRetryDelaySeconds: 0.1,
      }),
      site: 'north',
      logger: log.logger,
    });
    const { collector } = await scriptedCollector();
    writer.writeSnapshot(collector.snapshot());
    await until('the retry', async () => (writer.status().pointsWritten > 0 ? true : undefined));
    await writer.close();
    const st = writer.status();
    expect(st.writeFailures.server_error).toBe(1);
    expect(st.pointsWritten).toBe(st.pointsQueued);
    expect(Object.values(st.pointsDropped).every((n) => n === 0)).toBe(true);
    expect(st.lastFailure).toMatchObject({ cause: 'server_error', status: 500 });
    expect(log.text()).toContain('InfluxDB write failed; retrying');
    expect(log.text()).toContain('InfluxDB writes succeed again');
  });

  it('a 400 is not retried: bad_request, the batch counted as rejected', async () => {
    const influx = await fakeInflux(() => [400, '{"error":"unable to parse"}']);
    const writer = new InfluxWriter({
      config: influxConfig({ url: influx.url, database: 'pmip' }),
      site: 'north',
      logger: capturedLogger().logger,
    });
    const { collector } = await scriptedCollector();
    writer.writeSnapshot(collector.snapshot());
    await writer.close();
    const st = writer.status();
    expect(influx.seen).toHaveLength(1);
    expect(st.writeFailures.bad_request).toBe(1);
    expect(st.pointsDropped.rejected).toBe(st.pointsQueued);
  });

  it('the server gone at shutdown: the points still unwritten are counted as dropped (shutdown), within the timeout', async () => {
    const port = await freePort(); // nothing listens there
    const log = capturedLogger();
    const writer = new InfluxWriter({
      config: influxConfig({
        url: `http://127.0.0.1:${port}`,
        database: 'pmip',
        minRetryDelaySeconds: 5,
        maxRetryDelaySeconds: 5,
      }),
      site: 'north',
      logger: log.logger,
    });
    const { collector } = await scriptedCollector();
    writer.writeSnapshot(collector.snapshot());
    const t0 = Date.now();
    await writer.close(500);
    expect(Date.now() - t0).toBeLessThan(1500);
    const st = writer.status();
    expect(st.writeFailures.unreachable).toBeGreaterThanOrEqual(1);
    expect(st.pointsDropped.shutdown).toBe(st.pointsQueued);
    expect(st.pointsBuffered).toBe(0);
    expect(log.text()).toContain('points still unwritten at shutdown were dropped');
  });

  it('path and URL helpers: the 1.x path keeps the precision; log URLs carry no credentials', () => {
    expect(v1WritePath('/api/v2/write?org=&bucket=x&precision=ms', { database: 'd b' })).toBe(
      '/write?db=d+b&precision=ms',
    );
    expect(
      v1WritePath('/api/v2/write?org=&bucket=x&precision=ns', { database: 'd', retentionPolicy: 'r' }),
    ).toBe('/write?db=d&rp=r');
    expect(redactUrl('http://u:secret@host:8086/write?db=x&u=u&p=secret')).toBe(
      'http://host:8086/write?db=x',
    );
  });
});
