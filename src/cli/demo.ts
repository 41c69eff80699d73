import { Option, type Command } from 'commander';
import pino from 'pino';
import { createEventLog } from '../app/event-log.ts';
import { startDemo, UNPRIVILEGED_MIP_PORT } from '../sim/demo.ts';
import { CliError } from './errors.ts';
import { checkLogLevel, hostPort, int } from './options.ts';
import { installShutdown } from './shutdown.ts';
import type { Logger } from 'pino';
import { influxdbSchema } from '../config/influxdb.ts';
import { InfluxWriter } from '../exporters/influx/writer.ts';

/** Where the demo serves /metrics and the pages unless --listen says otherwise. */
export const DEMO_LISTEN = '127.0.0.1:9434';

/**
 * The demo's faults deny registrations all the time: its engine log allows a few lines a minute
 * per cause (3 per 60 s, then one "suppressed K similar messages" line), so `npm start` stays readable.
 */
export const DEMO_EVENT_LOG = { lines: 3, windowMs: 60_000 } as const;

/** The demo's --influx-* options, as commander hands them over. */
interface DemoInfluxOptions {
  influxUrl?: string;
  influxDatabase: string;
  influxBucket?: string;
  influxOrg: string;
  influxInterval: number;
  influxOutcomes?: boolean;
}

/**
 * The demo's InfluxDB writer from its options: `/write` on 1.x by default, `/api/v2/write` with
 * --influx-bucket; the token, if any, comes from the environment (PMIP_INFLUX_TOKEN), never from
 * the command line where every user of the machine can read it.
 */
function demoInfluxWriter(o: DemoInfluxOptions, logger: Logger): InfluxWriter {
  const token = process.env.PMIP_INFLUX_TOKEN;
  const parsed = influxdbSchema.safeParse({
    url: o.influxUrl,
    ...(o.influxBucket !== undefined
      ? { bucket: o.influxBucket, org: o.influxOrg, ...(token ? { token } : {}) }
      : { database: o.influxDatabase }),
    intervalSeconds: o.influxInterval,
    outcomes: o.influxOutcomes === true,
  });
  if (!parsed.success) {
    const option: Record<string, string> = {
      url: '--influx-url',
      database: '--influx-database',
      bucket: '--influx-bucket',
      org: '--influx-org',
      token: 'PMIP_INFLUX_TOKEN',
    };
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? 'url');
    throw new CliError(`${option[field] ?? `--influx-${field}`}: ${issue.message}`);
  }
  return new InfluxWriter({ config: parsed.data, site: 'demo', logger });
}

/** `pmip-exporter demo`: the embedded demo site (what `npm start` runs). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the embedded demo site: access points, agents and roaming clients speaking real Mobile IP on loopback',
    )
    .option('--aps <n>', 'access points (>= 3)', int('aps', 3, 300), 6)
    .option('--clients <n>', 'roaming clients', int('clients', 1, 100_000), 300)
    .option('--seed <n>', 'random walk seed', int('seed', 0, 2 ** 31), 1)
    .option(
      '--duration <seconds>',
      'stop after this many seconds (default: run until stopped)',
      int('duration', 1, 10 ** 7),
    )
    // The default is parsed like a given value and shown as typed (commander would print the object).
    .addOption(
      new Option('--listen <host:port>', 'HTTP listen address for /metrics and the pages')
        .argParser(hostPort)
        .default(hostPort(DEMO_LISTEN), DEMO_LISTEN),
    )
    .option(
      '--mip-port <n>',
      `Mobile IP port of every agent (default 434 if it can be bound, else ${UNPRIVILEGED_MIP_PORT})`,
      int('mip-port', 1, 65535),
    )
    .option('--aap-port <n>', 'AAP protocol port', int('aap-port', 1, 65535), 6500)
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option(
      '--influx-url <url>',
      'also write the statistics to InfluxDB at this URL (docs/influxdb.md); 1.x /write unless --influx-bucket',
    )
    .option('--influx-database <name>', 'InfluxDB 1.x database (/write)', 'pmip')
    .option('--influx-bucket <bucket>', 'write to /api/v2/write with this bucket (InfluxDB 2.x, 3.x, 1.8+)')
    .option('--influx-org <org>', 'organisation for --influx-bucket', 'pmip')
    .option(
      '--influx-interval <seconds>',
      'seconds between statistics snapshots',
      int('influx-interval', 1, 3600),
      10,
    )
    .option('--influx-outcomes', 'also write one point per registration attempt')
    .action(
      async (
        o: {
          aps: number;
          clients: number;
          seed: number;
          duration?: number;
          listen: { host: string; port: number };
          mipPort?: number;
          aapPort: number;
          logLevel: string;
        } & DemoInfluxOptions,
      ) => {
        checkLogLevel(o.logLevel);
        const logger = pino({ level: o.logLevel, base: { app: 'pmip-exporter' } });
        const eventLog = createEventLog({ logger, ...DEMO_EVENT_LOG });
        const influx = o.influxUrl !== undefined ? demoInfluxWriter(o, logger) : undefined;
        let site;
        try {
          site = await startDemo({
            accessPoints: o.aps,
            clients: o.clients,
            seed: o.seed,
            ...(o.duration !== undefined ? { durationSeconds: o.duration } : {}),
            listen: o.listen,
            ...(o.mipPort !== undefined ? { mipPort: o.mipPort } : {}),
            aapPort: o.aapPort,
            logger,
            subscribers: [eventLog.handle, ...(influx ? [influx.handle] : [])],
            ...(influx ? { views: { influxdb: () => influx.status() } } : {}),
          });
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          if (err.code === 'EADDRINUSE')
            throw new CliError(
              `cannot listen: ${err.message} (choose another --listen, --mip-port or --aap-port)`,
              1,
            );
          throw e;
        }
        influx?.start(site.host.collector);
        const url = site.url.replace(/\/$/, '');
        // Signal handlers before the ready line (see run.ts): a signal right after it must stop cleanly.
        const stopped = installShutdown(
          logger,
          async () => {
            await site.stop();
            await influx?.close(1500);
            eventLog.stop();
          },
          o.duration,
        );
        console.log(
          `pmip-exporter demo ready: metrics ${url}/metrics, pages ${url}/ (${o.aps} access points, ${site.subnets} subnets, ${o.clients} clients; Mobile IP UDP port ${site.mipPort}, AAP UDP port ${site.aapPort})` +
            (influx ? `; InfluxDB ${influx.target} every ${o.influxInterval} s` : ''),
        );
        await stopped;
      },
    );
}
