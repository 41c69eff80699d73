/** Counting the points an InfluxDB 1.x server holds, measurement by measurement. */
import { MEASUREMENTS } from '../../../src/exporters/influx/schema.ts';
import type { InfluxdbServer } from '../../support/influxdb.ts';

/** A field every point of the measurement has: count(field) is the number of points. */
export const ALWAYS_PRESENT: Record<string, string> = {
  [MEASUREMENTS.accessPoint]: 'attempts',
  [MEASUREMENTS.homeAgent]: 'attempts',
  [MEASUREMENTS.foreignAgent]: 'attempts',
  [MEASUREMENTS.homeAgentDenials]: 'count',
  [MEASUREMENTS.foreignAgentDenials]: 'count',
  [MEASUREMENTS.denials]: 'count',
  [MEASUREMENTS.timeOffset]: 'offset_seconds',
  [MEASUREMENTS.site]: 'clients',
  [MEASUREMENTS.aap]: 'reachable',
  [MEASUREMENTS.registration]: 'transmissions',
};

export async function countPoints(server: InfluxdbServer, db = 'pmip'): Promise<number> {
  let total = 0;
  for (const [m, field] of Object.entries(ALWAYS_PRESENT)) {
    const series = await server.query(`SELECT count(${field}) FROM ${m}`, db);
    total += Number(series[0]?.values[0]?.[1] ?? 0);
  }
  return total;
}

/** The distinct times (ms) of the `pmip_site` points: one per snapshot. */
export async function snapshotTimes(server: InfluxdbServer, db = 'pmip'): Promise<number[]> {
  const series = await server.query(`SELECT clients FROM ${MEASUREMENTS.site}`, db);
  return (series[0]?.values ?? []).map((v) => Number(v[0]));
}
