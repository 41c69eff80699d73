/**
 * InfluxDB down for 20 s while the site keeps writing a snapshot every second: the points wait in
 * the client's retry buffer (it had room), and after the server is back every one of them is
 * there, counted at the server. Nothing is dropped, and the self-metrics saw the outage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxWriter } from '../../../src/exporters/influx/writer.ts';
import { hasInfluxd, startInfluxdb } from '../../support/influxdb.ts';
import type { InfluxdbServer } from '../../support/influxdb.ts';
import { countPoints, snapshotTimes } from './count.ts';
import { capturedLogger, influxConfig, scriptedCollector, until } from './helpers.ts';

describe.skipIf(!hasInfluxd())('InfluxDB outage (influxd found)', () => {
  let influx: InfluxdbServer;
  beforeAll(async () => {
    influx = await startInfluxdb();
  }, 30_000);
  afterAll(async () => {
    await influx?.destroy();
  });

  it('loses nothing while the server is down for 20 s: every point is there after recovery', async () => {
    const log = capturedLogger();
    const writer = new InfluxWriter({
      config: influxConfig({
        url: influx.url,
        database: 'pmip',
        intervalSeconds: 1,
        flushIntervalSeconds: 0.2,
        timeoutSeconds: 1,
        minRetryDelaySeconds: 0.5,
        maxRetryDelaySeconds: 2,
        maxRetries: 100,
      }),
      site: 'north',
      logger: log.logger,
    });
    const { collector } = await scriptedCollector();
    const taken: number[] = [];
    writer.start({
      snapshot() {
        const s = collector.snapshot();
        taken.push(s.time);
        return s;
      },
    });
    await until('points written before the outage', async () =>
      writer.status().pointsWritten > 0 ? true : undefined,
    );
    await influx.stop();
    const outageStart = Date.now();
    await new Promise((r) => setTimeout(r, 20_000));
    const during = writer.status();
    expect(during.writeFailures.unreachable).toBeGreaterThan(0);
    expect(during.pointsBuffered).toBeGreaterThan(0);
    await influx.start();
    const outage = Date.now() - outageStart;
    // Back up: the retries drain the buffer.
    await until(
      'the buffer drained',
      async () => (writer.status().pointsBuffered === 0 ? true : undefined),
      20_000,
    );
    await writer.close();
    const st = writer.status();
    expect(st.pointsDropped).toEqual({ buffer_full: 0, rejected: 0, retries_exhausted: 0, shutdown: 0 });
    expect(st.pointsWritten).toBe(st.pointsQueued);
    expect(await countPoints(influx)).toBe(st.pointsQueued);
    // One point of pmip_site per snapshot, the ones taken during the outage included.
    const times = await snapshotTimes(influx);
    expect(new Set(times)).toEqual(new Set(taken));
    expect(taken.filter((t) => t >= outageStart && t <= outageStart + outage).length).toBeGreaterThanOrEqual(
      18,
    );
    // Rate-limited: far fewer failure lines than failed requests.
    const failureLines = log.lines.filter((l) => l.includes('InfluxDB write failed')).length;
    expect(failureLines).toBeGreaterThanOrEqual(1);
    expect(failureLines).toBeLessThan(st.writeFailures.unreachable + st.writeFailures.timeout);
    expect(log.text()).toContain('InfluxDB writes succeed again');
  }, 60_000);
});
