/**
 * `pmip-exporter run --config FILE`: a real deployment. The access points configured for this host,
 * the home and foreign agents it hosts (a lab), their SA source and static subnet map, the exporter
 * (/metrics and the pages) and, when configured, the association HTTP API. One ready line on
 * stdout; structured logs (pino) at the configured level, never a key or a token, with the engine's
 * problems (failed registrations, security violations, ...) rate-limited per cause
 * (src/app/event-log.ts); SIGTERM or SIGINT stops gracefully and exits 0 within 5 s.
 */
import { HomeAgentLearner } from '../app/home-agent-learning.ts';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import type { Logger } from 'pino';
import { createEventLog } from '../app/event-log.ts';
import { startHost, type Host } from '../app/host.ts';
import { sitePlan } from '../app/site-config.ts';
import { startAssociationsServer, type AssociationsServer } from '../associations/http-api.ts';
import { ConfigError, loadSiteConfig } from '../config/load.ts';
import type { SiteConfig } from '../config/schema.ts';
import { WebConfigError } from '../exporters/web-config.ts';
import { PmipRuleError } from '../pmip/proxy/rules.ts';
import { CliError } from './errors.ts';
import { AapClient } from '../pmip/aap/client.ts';
import { AapServer } from '../pmip/aap/server.ts';
import { installShutdown } from './shutdown.ts';
import { skewedScheduler } from '../pmip/runtime/scheduler.ts';
import { InfluxWriter } from '../exporters/influx/writer.ts';

/** How long in-flight registrations get to finish on shutdown (the whole stop must end within 5 s). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 2000;
const MAX_SHUTDOWN_GRACE_MS = 3500;

/** Field names whose values never reach a log line, wherever they appear. */
const REDACT = [
  'key',
  'keyHex',
  'token',
  'secret',
  'password',
  'groupKey',
  '*.key',
  '*.keyHex',
  '*.token',
  '*.secret',
  '*.password',
  '*.groupKey',
  'headers.authorization',
  '*.headers.authorization',
];

export interface RunOptions {
  config: string;
  shutdownGrace: number;
  /** Lab use: the access points' clocks run this many seconds off (0: the real clock). */
  clockOffset?: number;
}

/** `--clock-offset` bound, seconds: a day either way covers every time-mismatch experiment. */
export const MAX_CLOCK_OFFSET_SECONDS = 86_400;

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run a real deployment from a site configuration: the access points on this host, /metrics, the pages and the association API',
    )
    .requiredOption('--config <file>', 'YAML site configuration (see docs/configuration.md)')
    .option(
      '--shutdown-grace <ms>',
      `on SIGTERM/SIGINT, let in-flight registrations finish for this long (0-${MAX_SHUTDOWN_GRACE_MS})`,
      (value: string) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > MAX_SHUTDOWN_GRACE_MS)
          throw new CliError(
            `--shutdown-grace: "${value}" must be an integer from 0 to ${MAX_SHUTDOWN_GRACE_MS}`,
          );
        return n;
      },
      DEFAULT_SHUTDOWN_GRACE_MS,
    )
    .option(
      '--clock-offset <seconds>',
      `lab use: run the access points' clocks this many seconds off the real one, to reproduce a ` +
        `time-mismatch denial (133) and its resynchronisation against a home agent ` +
        `(-${MAX_CLOCK_OFFSET_SECONDS} to ${MAX_CLOCK_OFFSET_SECONDS})`,
      (value: string) => {
        const n = Number(value);
        if (!Number.isInteger(n) || Math.abs(n) > MAX_CLOCK_OFFSET_SECONDS)
          throw new CliError(
            `--clock-offset: "${value}" must be an integer number of seconds from -${MAX_CLOCK_OFFSET_SECONDS} to ${MAX_CLOCK_OFFSET_SECONDS}`,
          );
        return n;
      },
      0,
    )
    .action(async (o: RunOptions) => {
      await runSite(o);
    });
}

function loadOrExplain(file: string): SiteConfig {
  try {
    return loadSiteConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
}

export async function runSite(o: RunOptions): Promise<void> {
  const site = loadOrExplain(o.config);
  const logger: Logger = pino({
    level: site.logging.level,
    base: { app: 'pmip-exporter', site: site.site.name },
    redact: { paths: REDACT, censor: '[redacted]' },
  });
  const plan = sitePlan(site, { logger, configDir: dirname(resolve(o.config)) });
  for (const w of plan.warnings) logger.warn(w);
  const radius = site.securityAssociations.radius;
  if (radius)
    // Server names only: never the secret or the password.
    logger.info(
      {
        radiusServers: (plan.host.collector?.radiusServers ?? []).join(','),
        order: radius.order,
        attributeStyle: radius.attributeStyle,
        localBindings: site.securityAssociations.local.length,
      },
      'security associations from RADIUS',
    );
  for (const id of plan.disabledAccessPoints)
    logger.info({ accessPoint: id }, 'PMIP is disabled on this access point: not started');
  const eventLog = createEventLog({
    logger,
    scheduler: plan.host.scheduler,
    lines: site.logging.rateLimit.lines,
    windowMs: site.logging.rateLimit.windowSeconds * 1000,
    names: plan.knownAgents,
  });
  plan.host.subscribers = [...(plan.host.subscribers ?? []), eventLog.handle];
  // The InfluxDB exporter (docs/influxdb.md): snapshots on its own timer once the collector runs.
  const influx = site.exporters.influxdb
    ? new InfluxWriter({ config: site.exporters.influxdb, site: site.site.name, logger })
    : undefined;
  if (influx) {
    plan.host.views = { ...plan.host.views, influxdb: () => influx.status() };
    plan.host.subscribers.push(influx.handle);
  }

  if (o.clockOffset) {
    // Only the access points' clocks: the hosted agents and the exporter keep the real one.
    const skewed = skewedScheduler(plan.host.scheduler, o.clockOffset * 1000);
    plan.host.schedulerFor = () => skewed;
    logger.warn(
      { clockOffsetSeconds: o.clockOffset },
      "--clock-offset: the access points' clocks run off the real one (lab use)",
    );
  }

  let host: Host;
  try {
    host = await startHost(plan.host);
  } catch (e) {
    throw startError(e);
  }
  // The AAP role: an access point of this host whose address is in the AAP lists is an
  // authoritative access point, serving the table on that endpoint. Its id is `address:port`, the
  // label the collector, the pages and the access points' receiver ids use for it.
  const aapServers: AapServer[] = [];
  const aapPeers = [
    ...new Map(
      plan.subnetMapClients.flatMap((c) => c.aaps).map((a) => [`${a.address}:${a.port}`, a]),
    ).values(),
  ].map((a) => ({ id: `${a.address}:${a.port}`, address: a.address, port: a.port }));
  for (const peer of aapPeers) {
    const ap = [...host.accessPoints.values()].find((x) => x.config.address === peer.address);
    if (!ap || !site.aap) continue;
    try {
      aapServers.push(
        await AapServer.start(
          {
            id: peer.id,
            address: peer.address,
            port: peer.port,
            groupKey: site.aap.groupKey,
            aaps: aapPeers,
            rows: site.subnetMap.map((r) => ({ homeAgent: r.homeAgent, mask: r.mask })),
          },
          { scheduler: plan.host.scheduler, random: plan.host.random, emit: host.bus.emit },
        ),
      );
    } catch (e) {
      await Promise.allSettled(aapServers.map((x) => x.stop()));
      await host.stop(0);
      throw startError(e);
    }
    logger.info({ accessPoint: ap.id, aap: peer.id }, 'authoritative access point started');
  }

  // The AAP protocol: one subnet map client per access point. Its own home agent (the row it
  // reports) is learnt by agent discovery: an advertisement with the H flag from its subnet.
  const subnetMapClients: AapClient[] = [];
  for (const c of plan.subnetMapClients) {
    const client = new AapClient(
      { id: c.accessPoint, address: c.address, aaps: c.aaps, groupKey: c.groupKey },
      { scheduler: plan.host.scheduler, random: plan.host.random, emit: host.bus.emit, table: c.table },
    );
    const ap = host.accessPoints.get(c.accessPoint);
    // One forged advertisement must not move the row the AAP hands to every access point.
    const learner = new HomeAgentLearner();
    host.bus.subscribe((e) => {
      if (e.type !== 'advertisement-received' || !e.homeAgent || e.node !== c.accessPoint) return;
      if (!ap?.isHomeAddress(e.agent)) return;
      const verdict = learner.observe(e);
      if (verdict.kind === 'learnt') client.setHomeAgent(verdict.homeAgent, c.mask);
      else if (verdict.kind === 'refused')
        logger.warn(
          { accessPoint: c.accessPoint, homeAgent: verdict.homeAgent, advertised: verdict.advertised },
          'another home agent advertised on the subnet while the learnt one is alive: ignored',
        );
    });
    try {
      await client.start();
    } catch (e) {
      await Promise.allSettled(subnetMapClients.map((x) => x.stop()));
      await Promise.allSettled(aapServers.map((x) => x.stop()));
      await host.stop(0);
      throw startError(e);
    }
    subnetMapClients.push(client);
    plan.refreshHooks.push(() => client.refresh());
    logger.info(
      { accessPoint: c.accessPoint, aaps: c.aaps.map((a) => `${a.address}:${a.port}`) },
      'subnet map client started',
    );
  }

  let associations: AssociationsServer | undefined;
  if (plan.associationsHttp) {
    try {
      associations = await startAssociationsServer({
        listen: plan.associationsHttp.listen,
        token: plan.associationsHttp.token,
        accessPoints: host.accessPoints.values(),
        logger,
      });
    } catch (e) {
      await host.stop(0);
      throw startError(e);
    }
  }

  for (const ap of host.accessPoints.values())
    logger.info(
      {
        accessPoint: ap.id,
        address: ap.config.address,
        subnet: ap.config.subnet,
        ssids: ap.config.ssids.filter((s) => s.pmip).map((s) => s.name),
        aaps: ap.config.aaps,
        ports: ap.ports,
      },
      'access point started',
    );
  for (const ha of host.homeAgents.values())
    logger.info(
      {
        homeAgent: ha.id,
        address: ha.address,
        port: ha.port,
        subnet: `${ha.subnet.network}/${ha.subnet.prefixLength}`,
        ...(ha.advertiser ? { advertisementPort: ha.advertiser.port } : {}),
      },
      'home agent started',
    );
  for (const fa of host.foreignAgents.values())
    logger.info(
      {
        foreignAgent: fa.id,
        address: fa.config.address,
        port: fa.port,
        careOfAddress: fa.careOfAddress,
        ...(fa.advertiser ? { advertisementPort: fa.advertiser.port } : {}),
      },
      'foreign agent started',
    );
  if (influx) {
    influx.start(host.collector);
    logger.info(
      {
        target: influx.target,
        intervalSeconds: site.exporters.influxdb!.intervalSeconds,
        outcomes: site.exporters.influxdb!.outcomes,
      },
      'InfluxDB exporter started',
    );
  }
  const url = host.url.replace(/\/$/, '');
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const agents =
    host.homeAgents.size + host.foreignAgents.size > 0
      ? `, ${count(host.homeAgents.size, 'home agent')}, ${count(host.foreignAgents.size, 'foreign agent')}`
      : '';
  // The signal handlers before the ready line: whoever waits for the line may signal at once, and
  // a signal that comes before `process.on` takes Node's default action (the process ends by the
  // signal, no clean stop, no exit code): seen as a rare failure of the SIGINT test under load.
  const stopped = installShutdown(logger, async () => {
    // Stop taking associations first, then let registrations in flight finish, then close.
    await associations?.close(500);
    await Promise.allSettled(subnetMapClients.map((c) => c.stop()));
    await Promise.allSettled(aapServers.map((a) => a.stop()));
    await host.stop(o.shutdownGrace);
    // The last snapshot and everything buffered go out now (within what the 4.5 s stop leaves).
    await influx?.close(influxCloseBudgetMs(o.shutdownGrace));
    // The summaries of windows still open: what was suppressed is said before the end.
    eventLog.stop();
  });
  console.log(
    `pmip-exporter ready: metrics ${url}/metrics, pages ${url}/` +
      (associations ? `, associations ${associations.url}/api/v1/associations` : '') +
      ` (site ${site.site.name}, ${count(host.accessPoints.size, 'access point')}${agents})`,
  );

  await stopped;
}

/** Time the InfluxDB flush gets on shutdown: what the 4.5 s stop leaves after the grace, at least 0.3 s. */
export function influxCloseBudgetMs(graceMs: number): number {
  return Math.max(300, Math.min(2000, 3900 - graceMs));
}

/** A start-up failure the user can act on: which address could not be bound, and why. */
function startError(e: unknown): unknown {
  if (e instanceof CliError) return e;
  if (e instanceof PmipRuleError) return new CliError(e.message, 2);
  if (e instanceof WebConfigError) return new CliError(`exporters.prometheus.webConfigFile: ${e.message}`, 2);
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE')
    return new CliError(`cannot listen: ${err.message} (the address and port are taken; choose others)`, 1);
  if (err.code === 'EADDRNOTAVAIL')
    return new CliError(
      `cannot bind: ${err.message} (an access point's address and every listen address must be configured on this host)`,
      1,
    );
  if (err.code === 'EACCES')
    return new CliError(`cannot bind: ${err.message} (ports below 1024 need privileges)`, 1);
  return e;
}
