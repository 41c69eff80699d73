/**
 * `pmip-exporter run --config` with `exporters.influxdb` against a real InfluxDB 1.6.7 with auth
 * enabled, as an operator runs it (a child process on a copy of examples/site.yaml). Snapshots are
 * held in the batch (a long flush interval) until SIGTERM: the shutdown writes every one of them.
 * The self-metrics, the statistics JSON and the Statistics page show the writer; with a wrong
 * password the site keeps serving, the failure is reported, and the password is nowhere.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { MEASUREMENTS } from '../../../src/exporters/influx/schema.ts';
import { hasInfluxd, startInfluxdb } from '../../support/influxdb.ts';
import type { InfluxdbServer } from '../../support/influxdb.ts';
import { freePort } from '../../support/prometheus.ts';
import { countPoints } from './count.ts';
import { until } from './helpers.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const dir = mkdtempSync(path.join(tmpdir(), 'pmip-run-influx-'));
const WRONG_PASSWORD = 'wrong-Passw0rd-never-logged';

interface Child {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  exited: Promise<number | null>;
}

const children: Child[] = [];
afterEach(() => {
  for (const c of children.splice(0))
    if (c.child.exitCode === null && c.child.signalCode === null && c.child.pid)
      process.kill(c.child.pid, 'SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runWith(influxdb: Record<string, unknown>): Promise<{ c: Child; url: string }> {
  const doc = parse(readFileSync(path.join(repoRoot, 'examples/site.yaml'), 'utf8')) as {
    exporters: Record<string, unknown> & { prometheus: { listen: string } };
    associations: { http: { listen: string } };
  };
  doc.exporters.prometheus.listen = `127.0.0.1:${await freePort()}`;
  doc.associations.http.listen = `127.0.0.1:${await freePort()}`;
  doc.exporters.influxdb = influxdb;
  const file = path.join(dir, `site-${children.length}.yaml`);
  writeFileSync(file, stringify(doc));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', '--config', file], {
    cwd: repoRoot,
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const c: Child = { child, out: () => out, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
  children.push(c);
  const line = await until('the ready line', async () => {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${out}`);
    return /pmip-exporter ready: metrics (http:\/\/[^/]+)\/metrics/.exec(out)?.[1];
  });
  return { c, url: line };
}

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series}`);
  return Number(line.slice(series.length + 1));
}

describe.skipIf(!hasInfluxd())('run --config with exporters.influxdb (influxd found)', () => {
  let influx: InfluxdbServer;
  beforeAll(async () => {
    influx = await startInfluxdb({ auth: true });
  }, 30_000);
  afterAll(async () => {
    await influx?.destroy();
  });

  it('holds the snapshots in the batch, and SIGTERM writes every one of them before exiting 0', async () => {
    const { c, url } = await runWith({
      url: influx.url,
      database: 'pmip',
      username: influx.admin!.username,
      password: influx.admin!.password,
      intervalSeconds: 1,
      flushIntervalSeconds: 60,
    });
    const metrics = await until('three snapshots buffered', async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return metric(text, 'pmip_influxdb_buffered_points') >= 3 ? text : undefined;
    });
    expect(metric(metrics, 'pmip_influxdb_points_written_total')).toBe(0);
    expect(metric(metrics, 'pmip_influxdb_write_failures_total{cause="unauthorized"}')).toBe(0);
    const stats = (await (await fetch(`${url}/api/v1/statistics`)).json()) as {
      influxdb?: { api: string; target: string; pointsBuffered: number };
    };
    expect(stats.influxdb).toMatchObject({ api: 'v1', target: `${influx.url}/write?db=pmip` });
    expect(stats.influxdb!.pointsBuffered).toBeGreaterThan(0);
    const page = await (await fetch(`${url}/statistics`)).text();
    expect(page).toContain('InfluxDB exporter');
    expect(page).toContain(`${influx.url}/write?db=pmip`);

    const t0 = Date.now();
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    const stopped = c
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; pointsQueued?: number; pointsWritten?: number })
      .find((l) => l.msg === 'InfluxDB exporter stopped');
    expect(stopped).toBeDefined();
    expect(stopped!.pointsWritten).toBe(stopped!.pointsQueued);
    expect(await countPoints(influx)).toBe(stopped!.pointsQueued);
    const sites = await influx.query(`SELECT count(clients) FROM ${MEASUREMENTS.site}`, 'pmip');
    expect(Number(sites[0]!.values[0]![1])).toBeGreaterThanOrEqual(4);
    expect(c.out()).not.toContain(influx.admin!.password);
  }, 40_000);

  it('wrong credentials: the site keeps serving, the failure is in the log and the metrics, the password nowhere', async () => {
    const { c, url } = await runWith({
      url: influx.url,
      database: 'pmip',
      username: influx.admin!.username,
      password: WRONG_PASSWORD,
      intervalSeconds: 1,
      flushIntervalSeconds: 0.2,
    });
    const text = await until('an unauthorized failure', async () => {
      const t = await (await fetch(`${url}/metrics`)).text();
      return metric(t, 'pmip_influxdb_write_failures_total{cause="unauthorized"}') >= 2 ? t : undefined;
    });
    expect(metric(text, 'pmip_influxdb_points_dropped_total{reason="rejected"}')).toBeGreaterThan(0);
    expect(metric(text, 'pmip_influxdb_points_written_total')).toBe(0);
    expect((await fetch(`${url}/statistics`)).status).toBe(200);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    const out = c.out();
    // One line for the cause in the window, not one per request.
    expect(out.split('\n').filter((l) => l.includes('InfluxDB write failed')).length).toBe(1);
    expect(out).toContain('"cause":"unauthorized"');
    expect(out).not.toContain(WRONG_PASSWORD);
    expect(out).not.toContain(Buffer.from(`admin:${WRONG_PASSWORD}`).toString('base64'));
    const stats = await fetch(`${url}/api/v1/statistics`).catch(() => undefined);
    expect(stats).toBeUndefined(); // stopped
  }, 40_000);

  it('the demo with --influx-url: points arrive while it runs, and --duration ends it with the last ones written', async () => {
    const open = await startInfluxdb();
    try {
      const port = await freePort();
      const mipPort = 20000 + Math.floor(Math.random() * 20000);
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'demo',
          '--listen',
          `127.0.0.1:${port}`,
          '--mip-port',
          String(mipPort),
          '--aap-port',
          String(mipPort + 1),
          '--clients',
          '50',
          '--duration',
          '8',
          '--log-level',
          'warn',
          '--influx-url',
          open.url,
          '--influx-interval',
          '1',
          '--influx-outcomes',
        ],
        { cwd: repoRoot },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      const c: Child = {
        child,
        out: () => out,
        exited: new Promise((r) => child.on('exit', (code) => r(code))),
      };
      children.push(c);
      await until('the ready line', async () =>
        out.includes('pmip-exporter demo ready') ? true : undefined,
      );
      expect(out).toContain(`; InfluxDB ${open.url}/write?db=pmip every 1 s`);
      const whileRunning = await until('points while running', async () => {
        const n = await countPoints(open);
        return n > 0 ? n : undefined;
      });
      expect(await c.exited).toBe(0);
      const after = await countPoints(open);
      expect(after).toBeGreaterThan(whileRunning);
      const aps = await open.query(`SELECT count(attempts) FROM ${MEASUREMENTS.accessPoint}`, 'pmip');
      // 6 access points per snapshot, one snapshot a second for about 8 s (plus the last one).
      expect(Number(aps[0]!.values[0]![1]) % 6).toBe(0);
      expect(Number(aps[0]!.values[0]![1])).toBeGreaterThanOrEqual(6 * 5);
      const site = await open.query(
        `SELECT last(attempts) FROM ${MEASUREMENTS.site} WHERE site = 'demo'`,
        'pmip',
      );
      expect(Number(site[0]!.values[0]![1])).toBeGreaterThan(0);
    } finally {
      await open.destroy();
    }
  }, 40_000);
});
