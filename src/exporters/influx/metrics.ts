/**
 * The InfluxDB exporter's self-metrics on /metrics (docs/metrics.md), registered on the exporter's
 * prom-client registry only when `exporters.influxdb` is configured: a site without it keeps the
 * exposition it had. Values are read from the writer at scrape time.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { DROP_REASONS, WRITE_FAILURE_CAUSES } from './writer.ts';
import type { InfluxWriterStatus } from './writer.ts';

export function registerInfluxMetrics(registry: Registry, status: () => InfluxWriterStatus): void {
  new Counter({
    name: 'pmip_influxdb_points_written_total',
    help: 'Points the InfluxDB server accepted (2xx).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(status().pointsWritten);
    },
  });
  new Counter({
    name: 'pmip_influxdb_write_failures_total',
    help: 'InfluxDB write requests that failed, by cause (unauthorized, not_found, bad_request, throttled, server_error, timeout, unreachable, other).',
    labelNames: ['cause'] as const,
    registers: [registry],
    collect() {
      const s = status();
      this.reset();
      for (const c of WRITE_FAILURE_CAUSES) this.inc({ cause: c }, s.writeFailures[c]);
    },
  });
  new Counter({
    name: 'pmip_influxdb_points_dropped_total',
    help: 'Points given up, by reason: buffer_full (the retry buffer dropped its oldest batch), rejected (a 4xx answer), retries_exhausted, shutdown (still unwritten at exit).',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      const s = status();
      this.reset();
      for (const r of DROP_REASONS) this.inc({ reason: r }, s.pointsDropped[r]);
    },
  });
  new Gauge({
    name: 'pmip_influxdb_buffered_points',
    help: 'Points queued or waiting for a retry, not yet accepted by the InfluxDB server.',
    registers: [registry],
    collect() {
      this.set(status().pointsBuffered);
    },
  });
  new Gauge({
    name: 'pmip_influxdb_last_write_duration_seconds',
    help: 'How long the last InfluxDB write request took, seconds (successful or not); 0 before the first.',
    registers: [registry],
    collect() {
      const d = status().lastWriteDurationSeconds;
      this.reset();
      if (d !== null) this.set(d);
    },
  });
  new Gauge({
    name: 'pmip_influxdb_last_success_timestamp_seconds',
    help: 'When the InfluxDB server last accepted a write, Unix seconds; 0 before the first.',
    registers: [registry],
    collect() {
      const t = status().lastSuccessAt;
      this.reset();
      if (t !== null) this.set(t / 1000);
    },
  });
}
