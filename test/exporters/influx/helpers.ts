/**
 * What the InfluxDB exporter tests share: a collector fed by the scripted site (events dated just
 * before now, so servers with a retention window keep them), a pino logger whose lines the test
 * can read, and the Prometheus exposition of the same collector as the independent account of
 * every figure (a field written to InfluxDB must equal its Prometheus sample).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from 'pino';
import { Collector } from '../../../src/collector/collector.ts';
import { influxdbSchema } from '../../../src/config/influxdb.ts';
import type { InfluxdbConfig } from '../../../src/config/influxdb.ts';
import { createPrometheusExporter } from '../../../src/exporters/prometheus.ts';
import type { PmipEvent } from '../../../src/pmip/events.ts';
import { scriptedSite, scriptedSiteEvents } from '../../support/event-script.ts';

export function influxConfig(input: Record<string, unknown>): InfluxdbConfig {
  return influxdbSchema.parse(input);
}

export interface CapturedLog {
  logger: Logger;
  lines: string[];
  text(): string;
}

export function capturedLogger(): CapturedLog {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return { logger, lines, text: () => lines.join('\n') };
}

export interface ScriptedCollector {
  collector: Collector;
  events: PmipEvent[];
  start: number;
}

/** The scripted site's events, dated from `start` (default: two minutes ago), through a collector. */
export async function scriptedCollector(
  start = Date.now() - 120_000,
  subscriber?: (e: PmipEvent) => void,
): Promise<ScriptedCollector> {
  const site = await scriptedSite(start);
  const collector = new Collector({ ...site.collectorConfig });
  const events = scriptedSiteEvents(start);
  await site.run((e) => {
    collector.ingest(e);
    subscriber?.(e);
  });
  return { collector, events, start };
}

/** `name{labels} value` samples of the collector's exposition, keyed by `name{labels}` as printed. */
export async function exposition(collector: Collector): Promise<Map<string, number>> {
  const text = await createPrometheusExporter({ collector, defaultMetrics: false }).render();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** One Prometheus sample; throws when the series is absent (a wrong name must not read as 0). */
export function sample(samples: Map<string, number>, series: string): number {
  const v = samples.get(series);
  if (v === undefined) throw new Error(`no sample ${series}`);
  return v;
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
