/**
 * The InfluxDB writer's figures as the statistics JSON (`influxdb` in /api/v1/statistics) and the
 * Statistics page show them: the same numbers as the `pmip_influxdb_*` self-metrics, times as ISO
 * strings. The target is the URL without credentials; the token and password never appear.
 */
import type { InfluxWriterStatus } from './writer.ts';

/**
 * The writer's status as shown: the same fields, times as ISO strings, the per-reason and per-cause
 * tables keyed by their label values. Derived from the writer's type, so a field added there is
 * one the compiler asks to be shown here.
 */
export type InfluxdbStatistics = Omit<
  InfluxWriterStatus,
  'pointsDropped' | 'writeFailures' | 'lastSuccessAt' | 'lastFailure'
> & {
  /** Keyed by the `reason` label of pmip_influxdb_points_dropped_total. */
  pointsDropped: Record<string, number>;
  /** Keyed by the `cause` label of pmip_influxdb_write_failures_total. */
  writeFailures: Record<string, number>;
  lastSuccessAt: string | null;
  lastFailure: (Omit<NonNullable<InfluxWriterStatus['lastFailure']>, 'at'> & { at: string }) | null;
};

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
