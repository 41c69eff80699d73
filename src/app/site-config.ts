/**
 * From the validated site configuration (src/config/schema.ts) to what `startHost` needs for a real
 * deployment (`pmip-exporter run --config FILE`): the access points on this host, the SA source,
 * the static subnet map rows, the exporter listener, and the association HTTP API listener.
 * Pure apart from reading nothing: key material goes straight into the SA store.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { SiteConfig } from '../config/schema.ts';
import type { AccessPointConfig } from '../pmip/proxy/access-point.ts';
import { realScheduler, type Scheduler } from '../pmip/runtime/scheduler.ts';
import type { Peer } from '../pmip/runtime/udp.ts';
import { LocalSecurityAssociations } from '../pmip/security/store.ts';
import { SubnetMapTable } from '../pmip/subnet-map/table.ts';
import { cryptoRandom, type RandomSource } from '../pmip/wire/identification.ts';
import type { HostOptions } from './host.ts';

export interface Listen {
  host: string;
  port: number;
}

export interface SitePlan {
  host: HostOptions;
  /** The association HTTP API, when `associations.http` is configured. */
  associationsHttp?: { listen: Listen; token: string };
  /** Access points with PMIP disabled: configured, but nothing to run for them. */
  disabledAccessPoints: string[];
  /** Things configured that this process cannot do yet; `run` logs each as a warning. */
  warnings: string[];
}

export interface SitePlanDeps {
  logger: Logger;
  /** Directory of the configuration file: relative file names resolve against it. */
  configDir: string;
  scheduler?: Scheduler;
  random?: RandomSource;
}

/** `HOST:PORT` (validated by the schema) into its parts. */
export function parseListen(text: string): Listen {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i), port: Number(text.slice(i + 1)) };
}

/** `a.b.c.d[:port]` into a peer; the port defaults to `defaultPort`. */
function parseEndpoint(text: string, defaultPort: number): Peer {
  const [address, port] = text.split(':');
  return { address: address!, port: port === undefined ? defaultPort : Number(port) };
}

export function accessPointConfig(
  ap: SiteConfig['accessPoints'][number],
  sa: SiteConfig['securityAssociations'],
): AccessPointConfig {
  const cfg: AccessPointConfig = {
    id: ap.id,
    address: ap.address,
    subnet: ap.subnet,
    mode: ap.mode,
    ssids: ap.ssids.map((s) => ({
      name: s.name,
      pmip: s.pmip,
      ...(s.vlan !== undefined ? { vlan: s.vlan } : {}),
    })),
    aaps: [...ap.aaps],
    registrationPort: ap.registrationPort,
    advertisementPort: ap.advertisementPort,
    homeAgentPort: ap.homeAgentPort,
    foreignAgentPort: ap.foreignAgentPort,
    solicitTo: ap.solicitTo.map((t) => parseEndpoint(t, ap.advertisementPort)),
    lifetime: ap.lifetime,
    retransmitInitialMs: ap.retransmitInitialMs,
    retransmitMaxMs: ap.retransmitMaxMs,
    maxRetransmissions: ap.maxRetransmissions,
    renewFraction: ap.renewFraction,
    reverseTunnel: ap.reverseTunnel,
    gre: ap.gre,
    radius: sa.radius !== undefined,
    localBindings: sa.local.length,
  };
  if (ap.foreignAgent) {
    const fa = ap.foreignAgent;
    cfg.foreignAgent = {
      address: fa.address,
      port: fa.port,
      ...(fa.careOfAddress !== undefined ? { careOfAddress: fa.careOfAddress } : {}),
      ...(fa.maxLifetime !== undefined ? { maxLifetime: fa.maxLifetime } : {}),
    };
  }
  return cfg;
}

/** The SA store of the local bindings. The key goes in as hex and never comes back out. */
export function localSecurityAssociations(sa: SiteConfig['securityAssociations']): LocalSecurityAssociations {
  return new LocalSecurityAssociations(
    sa.local.map((b) => ({
      address: b.address,
      ...(b.rangeEnd !== undefined ? { rangeEnd: b.rangeEnd } : {}),
      spi: b.spi,
      keyHex: b.key,
      algorithm: b.algorithm,
      replay: b.replay,
      replayWindowSeconds: b.replayWindowSeconds,
    })),
  );
}

export function sitePlan(site: SiteConfig, deps: SitePlanDeps): SitePlan {
  const scheduler = deps.scheduler ?? realScheduler;
  const warnings: string[] = [];
  if (site.securityAssociations.radius) {
    warnings.push(
      `securityAssociations.radius: RADIUS lookups are not available yet; using the ${site.securityAssociations.local.length} local binding(s) only`,
    );
  }
  if (site.exporters.influxdb) {
    warnings.push(
      'exporters.influxdb: the InfluxDB exporter is not available yet; only Prometheus is served',
    );
  }
  if (site.accessPoints.some((ap) => ap.pmip && ap.aaps.length > 0)) {
    warnings.push(
      'accessPoints[].aaps: the AAP subnet map exchange is not wired into `run` yet; the subnet map holds the configured rows only',
    );
  }

  const subnetMap = new SubnetMapTable();
  for (const row of site.subnetMap) subnetMap.upsert(row.homeAgent, row.mask, 'config', scheduler.now());

  const enabled = site.accessPoints.filter((ap) => ap.pmip);
  const prometheus = site.exporters.prometheus;
  const listen = parseListen(prometheus.listen);
  const host: HostOptions = {
    accessPoints: enabled.map((ap) => accessPointConfig(ap, site.securityAssociations)),
    securityAssociations: localSecurityAssociations(site.securityAssociations),
    subnetMap,
    scheduler,
    random: deps.random ?? cryptoRandom(),
    exporter: {
      host: listen.host,
      port: listen.port,
      ...(prometheus.webConfigFile !== undefined
        ? { webConfigFile: resolveFrom(deps.configDir, prometheus.webConfigFile) }
        : {}),
    },
    logger: deps.logger,
  };
  const plan: SitePlan = {
    host,
    disabledAccessPoints: site.accessPoints.filter((ap) => !ap.pmip).map((ap) => ap.id),
    warnings,
  };
  const http = site.associations.http;
  if (http) plan.associationsHttp = { listen: parseListen(http.listen), token: http.token };
  return plan;
}

function resolveFrom(dir: string, file: string): string {
  return isAbsolute(file) ? file : resolve(dir, file);
}
