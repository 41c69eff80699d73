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
import { SubnetMapTable, prefixLengthToMask } from '../pmip/subnet-map/table.ts';
import { uint32ToIpv4 } from '../pmip/wire/ipv4.ts';
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
  /** Per access point: its subnet map client (the AAP protocol), when `aap` is configured. */
  subnetMapClients: Array<{
    accessPoint: string;
    address: string;
    /** The access point's subnet mask: its home agent's row. */
    mask: string;
    aaps: Array<{ address: string; port: number }>;
    groupKey: string;
    table: SubnetMapTable;
  }>;
  /** Filled by `run` once the clients are started: what the pages' Refresh button calls. */
  refreshHooks: Array<() => Promise<unknown>>;
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
  if (!site.aap && site.accessPoints.some((ap) => ap.pmip && ap.aaps.length > 0)) {
    warnings.push(
      'aap: no group key configured, so the access points cannot talk to their AAPs; the subnet map holds the configured rows only',
    );
  }

  const seeded = (): SubnetMapTable => {
    const t = new SubnetMapTable();
    for (const row of site.subnetMap) t.upsert(row.homeAgent, row.mask, 'config', scheduler.now());
    return t;
  };
  const subnetMap = seeded();
  const subnetMapClients: SitePlan['subnetMapClients'] = [];
  if (site.aap) {
    for (const ap of site.accessPoints) {
      if (!ap.pmip || ap.aaps.length === 0) continue;
      const prefix = Number(ap.subnet.split('/')[1]);
      subnetMapClients.push({
        accessPoint: ap.id,
        address: ap.address,
        mask: uint32ToIpv4(prefixLengthToMask(prefix)),
        aaps: ap.aaps.map((a) => parseEndpoint(a, site.aap!.port)),
        groupKey: site.aap.groupKey,
        table: seeded(),
      });
    }
  }
  const refreshHooks: SitePlan['refreshHooks'] = [];

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
    subnetMapFor: (id) => subnetMapClients.find((c) => c.accessPoint === id)?.table,
    actions: {
      refreshSubnetMap: async () => {
        await Promise.all(refreshHooks.map((h) => h()));
      },
    },
  };
  // The AAPs are labelled `address:port` in events, metrics and pages.
  const aapLabels = [
    ...new Set(subnetMapClients.flatMap((c) => c.aaps.map((a) => `${a.address}:${a.port}`))),
  ];
  if (aapLabels.length > 0) host.collector = { aaps: aapLabels };
  // The pages show the first access point's table when each keeps its own.
  if (subnetMapClients[0]) host.subnetMap = subnetMapClients[0].table;
  const plan: SitePlan = {
    host,
    disabledAccessPoints: site.accessPoints.filter((ap) => !ap.pmip).map((ap) => ap.id),
    warnings,
    subnetMapClients,
    refreshHooks,
  };
  const http = site.associations.http;
  if (http) plan.associationsHttp = { listen: parseListen(http.listen), token: http.token };
  return plan;
}

function resolveFrom(dir: string, file: string): string {
  return isAbsolute(file) ? file : resolve(dir, file);
}
