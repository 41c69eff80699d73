/**
 * From the validated site configuration (src/config/schema.ts) to what `startHost` needs for a real
 * deployment (`pmip-exporter run --config FILE`): the access points on this host, the home and
 * foreign agents it hosts, the SA source, the static subnet map rows, the agents the collector
 * knows by name, the exporter listener, and the association HTTP API listener.
 * Pure apart from reading nothing: key material goes straight into the SA store.
 */
import { perNodeSecurityAssociation } from '../pmip/security/per-node.ts';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ForeignAgentSiteConfig, HomeAgentSiteConfig, SiteConfig } from '../config/schema.ts';
import { FOREIGN_AGENT_DEFAULTS } from '../config/defaults.ts';
import type { HomeAgentConfig } from '../pmip/agents/home-agent.ts';
import type { ForeignAgentConfig } from '../pmip/agents/foreign-agent.ts';
import { resolveSubnet } from '../pmip/agents/common.ts';
import type { AccessPointConfig } from '../pmip/proxy/access-point.ts';
import { realScheduler, type Scheduler } from '../pmip/runtime/scheduler.ts';
import type { Peer } from '../pmip/runtime/udp.ts';
import { LocalSecurityAssociations, type SecurityAssociationProvider } from '../pmip/security/store.ts';
import { SubnetMapTable } from '../pmip/subnet-map/table.ts';
import { prefixMask, uint32ToIpv4 } from '../pmip/wire/ipv4.ts';
import { cryptoRandom, type RandomSource } from '../pmip/wire/identification.ts';
import type { HostOptions } from './host.ts';
import { localBindings, siteSecurityAssociations } from './security-associations.ts';

export interface Listen {
  host: string;
  port: number;
}

export interface SitePlan {
  host: HostOptions;
  /** The agents known by name (also given to the collector): the logs name them too. */
  knownAgents: KnownAgents;
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
  subnetMapExchange = true,
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
    subnetMapExchange,
    registrationPort: ap.registrationPort,
    advertisementPort: ap.advertisementPort,
    homeAgentPort: ap.homeAgentPort,
    foreignAgentPort: ap.foreignAgentPort,
    solicitTo: ap.solicitTo.map((t) => parseEndpoint(t, ap.advertisementPort)),
    ...(ap.allowedAgents !== undefined ? { allowedAgents: [...ap.allowedAgents] } : {}),
    lifetime: ap.lifetime,
    retransmitInitialMs: ap.retransmitInitialMs,
    retransmitMaxMs: ap.retransmitMaxMs,
    maxRetransmissions: ap.maxRetransmissions,
    renewFraction: ap.renewFraction,
    reverseTunnel: ap.reverseTunnel,
    gre: ap.gre,
    ...(ap.colocatedCareOfAddress ? { colocatedCareOfAddress: true } : {}),
    ...(ap.discovery === 'icmp' ? { discoveryTransport: 'icmp' as const } : {}),
    ...(ap.icmpSolicitTo ? { icmpSolicitTo: [...ap.icmpSolicitTo] } : {}),
    radius: sa.radius !== undefined,
    localBindings: sa.local.length,
  };
  const perNode = new Map(
    (sa.perNode ?? []).map((b, i) => [
      b.homeAgent,
      perNodeSecurityAssociation({ ...b, keyHex: b.key }, `securityAssociations.perNode[${i}]`),
    ]),
  );
  if (perNode.size > 0) cfg.perNodeSecurityAssociation = (homeAgent) => perNode.get(homeAgent);
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

/** The SA store of the local bindings. The key goes in (hex or text) and never comes back out. */
export function localSecurityAssociations(
  sa: Pick<SiteConfig['securityAssociations'], 'local'>,
): LocalSecurityAssociations {
  return new LocalSecurityAssociations(localBindings(sa.local));
}

/** A hosted home agent: its own SA bindings when it lists them, else the file's (`shared`). */
export function homeAgentConfig(
  h: HomeAgentSiteConfig,
  shared: SecurityAssociationProvider,
): HomeAgentConfig {
  const cfg: HomeAgentConfig = {
    id: h.id,
    address: h.address,
    port: h.port,
    subnet: h.subnet,
    maxLifetime: h.maxLifetime,
    simultaneousBindings: h.simultaneousBindings,
    maxSimultaneousBindings: h.maxSimultaneousBindings,
    encapsulations: { gre: h.encapsulations.gre, minimal: h.encapsulations.minimal },
    reverseTunnel: h.reverseTunnel,
    securityAssociations: h.securityAssociations
      ? localSecurityAssociations({ local: h.securityAssociations })
      : shared,
  };
  if (h.perNodeSecurityAssociations && h.perNodeSecurityAssociations.length > 0)
    cfg.perNodeSecurityAssociations = h.perNodeSecurityAssociations.map((b, i) =>
      perNodeSecurityAssociation(
        { ...b, keyHex: b.key },
        `homeAgents[${h.id}].perNodeSecurityAssociations[${i}]`,
      ),
    );
  // Loopback has no broadcast: receive on the subnet's broadcast address explicitly (the AAP probe).
  if (h.listenOnBroadcast)
    cfg.extraListen = [resolveSubnet(h.subnet, h.address, `homeAgents[${h.id}].subnet`).broadcast];
  if (h.advertisements) cfg.advertisements = advertisementConfig(h.advertisements);
  return cfg;
}

export function foreignAgentConfig(f: ForeignAgentSiteConfig): ForeignAgentConfig {
  const cfg: ForeignAgentConfig = {
    id: f.id,
    address: f.address,
    port: f.port,
    maxLifetime: f.maxLifetime,
    encapsulations: { gre: f.encapsulations.gre, minimal: f.encapsulations.minimal },
    reverseTunnel: f.reverseTunnel,
    homeAgentPort: f.homeAgentPort,
    pendingTimeoutMs: f.pendingTimeoutMs,
    maxPending: f.maxPending,
    maxVisitors: f.maxVisitors,
  };
  if (f.maxPendingPerSource !== undefined) cfg.maxPendingPerSource = f.maxPendingPerSource;
  if (f.maxPendingPerHomeAgent !== undefined) cfg.maxPendingPerHomeAgent = f.maxPendingPerHomeAgent;
  if (f.servedHomeAgents !== undefined) cfg.servedHomeAgents = [...f.servedHomeAgents];
  const r = f.relayRateLimit;
  if (r !== undefined) {
    // Each bucket: the file's rate and burst over the defaults (docs/configuration.md).
    const bucket = (
      rate: number | undefined,
      burst: number | undefined,
      defaults: { ratePerSecond: number; burst: number },
    ) =>
      rate === undefined && burst === undefined
        ? undefined
        : {
            ratePerSecond: rate ?? defaults.ratePerSecond,
            burst: burst ?? (rate !== undefined ? Math.max(1, Math.ceil(rate)) : defaults.burst),
          };
    const d = FOREIGN_AGENT_DEFAULTS.relayRateLimit;
    const perSource = bucket(r.perSourcePerSecond, r.perSourceBurst, {
      ratePerSecond: d.perSourcePerSecond,
      burst: d.perSourceBurst,
    });
    const overall = bucket(r.overallPerSecond, r.overallBurst, {
      ratePerSecond: d.overallPerSecond,
      burst: d.overallBurst,
    });
    cfg.relayRateLimit = { ...(perSource ? { perSource } : {}), ...(overall ? { overall } : {}) };
  }
  if (f.careOfAddress !== undefined) cfg.careOfAddress = f.careOfAddress;
  const adv = f.advertisements;
  if (adv)
    cfg.advertisements = {
      ...advertisementConfig(adv),
      registrationRequired: adv.registrationRequired,
      busy: adv.busy,
      ...(adv.transport === 'icmp' ? { transport: 'icmp' as const } : {}),
      ...(adv.icmpTo ? { icmpTo: [...adv.icmpTo] } : {}),
    };
  return cfg;
}

/** The advertisement settings both kinds of agent share, from the file's form. */
function advertisementConfig(adv: NonNullable<HomeAgentSiteConfig['advertisements']>) {
  return {
    intervalMs: adv.intervalMs,
    peers: adv.peers.map((p) => parseEndpoint(p, 0)),
    port: adv.port,
    initialSequence: adv.initialSequence,
  };
}

/** An agent as the collector knows it: its name (the label value) and its address. */
export interface KnownAgent {
  id: string;
  address: string;
}

export interface KnownAgents {
  homeAgents: KnownAgent[];
  foreignAgents: KnownAgent[];
}

/**
 * The agents this site knows by name, for the collector's labels and the logs: the hosted agents
 * (id and address), the subnet map rows that name their home agent, and the access points' static
 * foreign agents that have a name (access points with PMIP enabled). One entry per address, first
 * source first (the schema refuses two names for one address, or one name for two addresses).
 */
export function knownAgents(
  site: Pick<SiteConfig, 'homeAgents' | 'foreignAgents' | 'subnetMap' | 'accessPoints'>,
): KnownAgents {
  const unique = (entries: Array<{ id: string | undefined; address: string }>): KnownAgent[] => {
    const out: KnownAgent[] = [];
    const ids = new Set<string>();
    const addresses = new Set<string>();
    for (const { id, address } of entries) {
      if (id === undefined || ids.has(id) || addresses.has(address)) continue;
      ids.add(id);
      addresses.add(address);
      out.push({ id, address });
    }
    return out;
  };
  return {
    homeAgents: unique([
      ...site.homeAgents.map((h) => ({ id: h.id, address: h.address })),
      ...site.subnetMap.map((r) => ({ id: r.name, address: r.homeAgent })),
    ]),
    foreignAgents: unique([
      ...site.foreignAgents.map((f) => ({ id: f.id, address: f.address })),
      ...site.accessPoints
        .filter((ap) => ap.pmip)
        .flatMap((ap) =>
          ap.foreignAgent ? [{ id: ap.foreignAgent.name, address: ap.foreignAgent.address }] : [],
        ),
    ]),
  };
}

export function sitePlan(site: SiteConfig, deps: SitePlanDeps): SitePlan {
  const scheduler = deps.scheduler ?? realScheduler;
  const warnings: string[] = [];
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
        mask: uint32ToIpv4(prefixMask(prefix)),
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
  // Home agents use the local bindings; the access points ask local and RADIUS in the configured order.
  const sas = siteSecurityAssociations(site.securityAssociations, scheduler);
  const securityAssociations = sas.local;
  const host: HostOptions = {
    accessPoints: enabled.map((ap) =>
      accessPointConfig(ap, site.securityAssociations, site.aap !== undefined),
    ),
    homeAgents: site.homeAgents.map((h) => homeAgentConfig(h, securityAssociations)),
    foreignAgents: site.foreignAgents.map(foreignAgentConfig),
    securityAssociations: sas.accessPoints,
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
  const known = knownAgents(site);
  // Agent-side counters are shown for the hosted agents only; the others are seen from the access points.
  const hostedHa = new Set(site.homeAgents.map((h) => h.address));
  const hostedFa = new Set(site.foreignAgents.map((f) => f.address));
  host.collector = {
    homeAgents: known.homeAgents.map((a) => ({ ...a, hosted: hostedHa.has(a.address) })),
    foreignAgents: known.foreignAgents.map((a) => ({ ...a, hosted: hostedFa.has(a.address) })),
  };
  if (aapLabels.length > 0) host.collector.aaps = aapLabels;
  // Proxy mode (RFC 5563) towards some home agents: say which mode each known home agent gets.
  const perNode = new Set((site.securityAssociations.perNode ?? []).map((b) => b.homeAgent));
  if (perNode.size > 0) {
    const names = new Map(known.homeAgents.map((a) => [a.address, a.id]));
    const addresses = [...new Set([...site.subnetMap.map((r) => r.homeAgent), ...perNode])];
    host.collector.homeAgentAuthentication = addresses.map((address) => ({
      homeAgent: names.get(address) ?? address,
      mode: perNode.has(address) ? 'per-node' : 'mobile-home',
    }));
  }
  if (sas.radius) host.collector.radiusServers = sas.radius.servers.map((r) => r.name);
  // The pages show the first access point's table when each keeps its own.
  if (subnetMapClients[0]) host.subnetMap = subnetMapClients[0].table;
  const plan: SitePlan = {
    host,
    knownAgents: known,
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
