/**
 * The InfluxDB exporter's self-metrics on /metrics (docs/metrics.md), registered on the exporter's
 * prom-client registry only when `exporters.influxdb` is configured: a site without it keeps the
 * exposition it had. Values are read from the writer at scrape time.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { INFLUXDB as F, promOptions } from '../families/table.ts';
import { DROP_REASONS, WRITE_FAILURE_CAUSES } from './writer.ts';
import type { InfluxWriterStatus } from './writer.ts';

export function registerInfluxMetrics(registry: Registry, status: () => InfluxWriterStatus): void {
  new Counter({
    ...promOptions(F.pointsWritten),
    registers: [registry],
    collect() {
      this.reset();
      this.inc(status().pointsWritten);
    },
  });
  new Counter({
    ...promOptions<'cause'>(F.writeFailures),
    registers: [registry],
    collect() {
      const s = status();
      this.reset();
      for (const c of WRITE_FAILURE_CAUSES) this.inc({ cause: c }, s.writeFailures[c]);
    },
  });
  new Counter({
    ...promOptions<'reason'>(F.pointsDropped),
    registers: [registry],
    collect() {
      const s = status();
      this.reset();
      for (const r of DROP_REASONS) this.inc({ reason: r }, s.pointsDropped[r]);
    },
  });
  new Gauge({
    ...promOptions(F.bufferedPoints),
    registers: [registry],
    collect() {
      this.set(status().pointsBuffered);
    },
  });
  new Gauge({
    ...promOptions(F.lastWriteDuration),
    registers: [registry],
    collect() {
      const d = status().lastWriteDurationSeconds;
      this.reset();
      if (d !== null) this.set(d);
    },
  });
  new Gauge({
    ...promOptions(F.lastSuccess),
    registers: [registry],
    collect() {
      const t = status().lastSuccessAt;
      this.reset();
      if (t !== null) this.set(t / 1000);
    },
  });
}
