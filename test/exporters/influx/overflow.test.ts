/**
 * A retry buffer smaller than the outage needs: the client drops the oldest batches, and the drop
 * counter equals exactly the number of points missing at the server; the newest are kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotLines } from '../../../src/exporters/influx/schema.ts';
import { InfluxWriter } from '../../../src/exporters/influx/writer.ts';
import { hasInfluxd, startInfluxdb } from '../../support/influxdb.ts';
import type { InfluxdbServer } from '../../support/influxdb.ts';
import { countPoints, snapshotTimes } from './count.ts';
import { capturedLogger, influxConfig, scriptedCollector, until } from './helpers.ts';

describe.skipIf(!hasInfluxd())('InfluxDB retry buffer overflow (influxd found)', () => {
  let influx: InfluxdbServer;
  beforeAll(async () => {
    influx = await startInfluxdb();
  }, 30_000);
  afterAll(async () => {
    await influx?.destroy();
  });

  it('drops the oldest points when the buffer is full, and counts exactly the ones missing', async () => {
    const { collector } = await scriptedCollector();
    const perSnapshot = snapshotLines(collector.snapshot(), 'north').length;
    const writer = new InfluxWriter({
      config: influxConfig({
        url: influx.url,
        database: 'pmip',
        intervalSeconds: 0.25 * 4,
        batchSize: perSnapshot,
        bufferPoints: perSnapshot * 4,
        flushIntervalSeconds: 0.1,
        timeoutSeconds: 1,
        minRetryDelaySeconds: 0.3,
        maxRetryDelaySeconds: 1,
        maxRetries: 100,
      }),
      site: 'north',
      logger: capturedLogger().logger,
    });
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
    await new Promise((r) => setTimeout(r, 9000));
    expect(writer.status().pointsDropped.buffer_full).toBeGreaterThan(0);
    await influx.start();
    await until(
      'the buffer drained',
      async () => (writer.status().pointsBuffered === 0 ? true : undefined),
      20_000,
    );
    await writer.close();
    const st = writer.status();
    const atServer = await countPoints(influx);
    expect(st.pointsDropped.buffer_full).toBeGreaterThan(0);
    expect(st.pointsDropped.buffer_full).toBe(st.pointsQueued - atServer);
    expect(st.pointsWritten).toBe(atServer);
    expect(st.pointsDropped.rejected + st.pointsDropped.retries_exhausted + st.pointsDropped.shutdown).toBe(
      0,
    );
    // Whole snapshots were dropped (batch = one snapshot), the oldest of the outage: every missing
    // snapshot is older than every kept snapshot taken during the outage.
    expect(st.pointsDropped.buffer_full % perSnapshot).toBe(0);
    const kept = new Set(await snapshotTimes(influx));
    const missing = taken.filter((t) => !kept.has(t));
    expect(missing.length).toBe(st.pointsDropped.buffer_full / perSnapshot);
    const keptDuringOutage = taken.filter((t) => kept.has(t) && t >= outageStart);
    expect(keptDuringOutage.length).toBeGreaterThan(0);
    expect(Math.max(...missing)).toBeLessThan(Math.min(...keptDuringOutage));
    expect(Math.min(...missing)).toBeGreaterThanOrEqual(outageStart - 1000);
  }, 60_000);
});
