/**
 * The InfluxDB writer's figures as the statistics JSON (`influxdb` in /api/v1/statistics) and the
 * Statistics page show them: the same numbers as the `pmip_influxdb_*` self-metrics, times as ISO
 * strings. The target is the URL without credentials; the token and password never appear.
 */
import type { InfluxWriterStatus } from './writer.ts';

export interface InfluxdbStatistics {
  /** `v2`: /api/v2/write (InfluxDB 2.x, 3.x, 1.8+); `v1`: /write (InfluxDB 1.x before 1.8). */
  api: 'v2' | 'v1';
  target: string;
  intervalSeconds: number;
  outcomes: boolean;
  pointsQueued: number;
  pointsWritten: number;
  pointsBuffered: number;
  /** Keyed by the `reason` label of pmip_influxdb_points_dropped_total. */
  pointsDropped: Record<string, number>;
  /** Keyed by the `cause` label of pmip_influxdb_write_failures_total. */
  writeFailures: Record<string, number>;
  lastWriteDurationSeconds: number | null;
  lastSuccessAt: string | null;
  lastFailure: { cause: string; status: number | null; message: string; at: string } | null;
}

export function influxdbStatistics(s: InfluxWriterStatus): InfluxdbStatistics {
  return {
    api: s.api,
    target: s.target,
    intervalSeconds: s.intervalSeconds,
    outcomes: s.outcomes,
    pointsQueued: s.pointsQueued,
    pointsWritten: s.pointsWritten,
    pointsBuffered: s.pointsBuffered,
    pointsDropped: { ...s.pointsDropped },
    writeFailures: { ...s.writeFailures },
    lastWriteDurationSeconds: s.lastWriteDurationSeconds,
    lastSuccessAt: s.lastSuccessAt === null ? null : new Date(s.lastSuccessAt).toISOString(),
    lastFailure:
      s.lastFailure === null ? null : { ...s.lastFailure, at: new Date(s.lastFailure.at).toISOString() },
  };
}
