import type { ExporterViews } from '../exporters/api.ts';
import { udpPortBindable } from '../pmip/runtime/udp.ts';
import type { Logger } from 'pino';
import { startHost, type Host } from '../app/host.ts';
import { HomeAgent, type HomeAgentConfig } from '../pmip/agents/home-agent.ts';
import { ForeignAgent, type ForeignAgentConfig } from '../pmip/agents/foreign-agent.ts';
import type { AccessPointConfig } from '../pmip/proxy/access-point.ts';
import {
  realScheduler,
  skewedScheduler,
  type Scheduler,
  type TimerHandle,
} from '../pmip/runtime/scheduler.ts';
import { LocalSecurityAssociations, type LocalBinding } from '../pmip/security/store.ts';
import { SubnetMapTable } from '../pmip/subnet-map/table.ts';
import { AapServer } from '../pmip/aap/server.ts';
import { AapClient } from '../pmip/aap/client.ts';
import { seededRandom } from '../pmip/wire/identification.ts';
import type { PmipEvent } from '../pmip/events.ts';

/**
 * The embedded demo site: subnets with a home agent and a foreign agent each, access points,
 * and roaming clients on a seeded random walk, all speaking real Mobile IP over UDP on loopback
 * (every node on its own 127.x address, one port for all). It also shows what goes wrong in real
 * networks, on purpose, each fault labelled in `DEMO_FAULTS` and in the logs.
 */
export interface DemoOptions {
  accessPoints: number;
  clients: number;
  seed: number;
  /** Stop after this many seconds (undefined: run until stopped). */
  durationSeconds?: number;
  listen: { host: string; port: number };
  /** Mobile IP registration port of every agent (undefined: 434 if it can be bound, else 4340). */
  mipPort?: number;
  /** AAP protocol port. */
  aapPort: number;
  logger: Logger;
  /** Requested registration lifetime, seconds. */
  lifetime?: number;
  /** Mean time a client stays on one access point, seconds. */
  meanDwellSeconds?: number;
  scheduler?: Scheduler;
  subscribers?: Array<(e: PmipEvent) => void>;
  /** The exporter's own parts (the InfluxDB writer), shown on /metrics, the pages and the JSON. */
  views?: ExporterViews;
}

/** The deliberate faults of the demo, as shown in its log and documented in docs/demo.md. */
export const DEMO_FAULTS = {
  /** Every client whose index % 25 == 7 is configured with the wrong key on the access points: 131. */
  wrongKeyEvery: 25,
  wrongKeyOffset: 7,
  /** Access point ap-2's clock is this far ahead: 133 then a resync. */
  skewedAccessPoint: 'ap-2',
  skewHours: 3,
  /** Home agent ha-2 goes silent for this long, first after this delay, then every period. */
  silentHomeAgent: 'ha-2',
  silentSeconds: 60,
  silentAfterSeconds: 45,
  silentEverySeconds: 600,
  /** Foreign agent fa-3 accepts at most this lifetime, and its access points ask for more: 69, then a retry. */
  shortLifetimeForeignAgent: 'fa-3',
  shortLifetimeSeconds: 40,
  /**
   * Foreign agent fa-1 restarts (an empty visitor list, advertisements numbered from 0 again:
   * its access points see the restart and register their clients again), first after this delay,
   * then every period.
   */
  restartingForeignAgent: 'fa-1',
  restartAfterSeconds: 115,
  restartEverySeconds: 600,
} as const;

export const UNPRIVILEGED_MIP_PORT = 4340;
const KEY = '5f4dcc3b5aa765d61d8327deb882cf99';
const WRONG_KEY = '0badc0de0badc0de0badc0de0badc0de';

export interface DemoSite {
  host: Host;
  mipPort: number;
  aapPort: number;
  subnets: number;
  url: string;
  stop(): Promise<void>;
}

/** 434 when this process may bind it, else the documented unprivileged default. */
export async function chooseMipPort(address: string): Promise<number> {
  return (await udpPortBindable(address, 434)) ? 434 : UNPRIVILEGED_MIP_PORT;
}

const subnetOctet = (i: number): number => 100 + i; // subnet i is 127.(100+i).0.0/16
const haAddress = (i: number): string => `127.${subnetOctet(i)}.0.1`;
const faAddress = (i: number): string => `127.${subnetOctet(i)}.0.2`;
const apAddress = (i: number, j: number): string => `127.${subnetOctet(i)}.0.${10 + j}`;
const clientAddress = (i: number, k: number): string =>
  `127.${subnetOctet(i)}.${1 + Math.floor(k / 250)}.${1 + (k % 250)}`;

export async function startDemo(o: DemoOptions): Promise<DemoSite> {
  if (o.accessPoints < 3) throw new Error('demo: --aps must be at least 3');
  if (o.clients < 1) throw new Error('demo: --clients must be at least 1');
  const log = o.logger;
  const scheduler = o.scheduler ?? realScheduler;
  const random = seededRandom(o.seed);
  const subnets = Math.max(3, Math.ceil(o.accessPoints / 2));
  if (subnets > 150) throw new Error('demo: at most 300 access points');
  const mipPort = o.mipPort ?? (await chooseMipPort(haAddress(0)));
  const lifetime = o.lifetime ?? 120;

  // Access points spread round-robin over the subnets.
  const apSubnet: number[] = [];
  for (let j = 0; j < o.accessPoints; j++) apSubnet.push(j % subnets);
  const apIds = apSubnet.map((_s, j) => `ap-${j + 1}`);
  const perSubnetIndex = new Map<number, number>();
  const apAddresses = apSubnet.map((s) => {
    const n = perSubnetIndex.get(s) ?? 0;
    perSubnetIndex.set(s, n + 1);
    return apAddress(s, n);
  });

  // Clients: home subnet round-robin; a few with the wrong key on the access point side.
  const clients = Array.from({ length: o.clients }, (_v, k) => {
    const home = k % subnets;
    const index = Math.floor(k / subnets);
    return {
      mac: `02:de:${((k >> 16) & 0xff).toString(16).padStart(2, '0')}:${((k >> 8) & 0xff).toString(16).padStart(2, '0')}:${(k & 0xff).toString(16).padStart(2, '0')}:01`,
      address: clientAddress(home, index),
      home,
      wrongKey: k % DEMO_FAULTS.wrongKeyEvery === DEMO_FAULTS.wrongKeyOffset,
      at: -1,
    };
  });

  const bindings = (key: string): LocalBinding[] =>
    Array.from({ length: subnets }, (_v, i) => ({
      address: `127.${subnetOctet(i)}.1.1`,
      rangeEnd: `127.${subnetOctet(i)}.255.254`,
      spi: 256 + i,
      keyHex: key,
      algorithm: i % 2 === 0 ? ('prefix-suffix' as const) : ('hmac-md5' as const),
      replay: 'timestamp' as const,
      replayWindowSeconds: 7,
    }));
  const haSas = new LocalSecurityAssociations(bindings(KEY));
  const apSas = new LocalSecurityAssociations(bindings(KEY));
  for (const c of clients) {
    if (!c.wrongKey) continue;
    // One address, not the subnet's range: the wrong key for this client only.
    const { rangeEnd: _range, ...b } = bindings(WRONG_KEY)[c.home]!;
    apSas.add({ ...b, address: c.address }, `demo wrong-key client ${c.address}`);
  }

  // Each access point keeps its own subnet map, filled over the AAP protocol from two AAPs
  // (hosted on ap-1 and ap-2): every access point reports its home agent, the AAPs distribute.
  const tables = new Map<string, SubnetMapTable>();
  for (const id of apIds) tables.set(id, new SubnetMapTable());
  const subnetMap = tables.get(apIds[0]!)!;
  const aapIds = ['aap-1', 'aap-2'];

  const homeAgents: HomeAgentConfig[] = Array.from({ length: subnets }, (_v, i) => ({
    id: `ha-${i + 1}`,
    address: haAddress(i),
    port: mipPort,
    subnet: `127.${subnetOctet(i)}.0.0/16`,
    maxLifetime: 1800,
    securityAssociations: haSas,
  }));
  const shortFa = Number(DEMO_FAULTS.shortLifetimeForeignAgent.slice(3)) - 1;
  const foreignAgents: ForeignAgentConfig[] = Array.from({ length: subnets }, (_v, i) => ({
    id: `fa-${i + 1}`,
    address: faAddress(i),
    port: mipPort,
    maxLifetime: i === shortFa ? DEMO_FAULTS.shortLifetimeSeconds : 600,
    homeAgentPort: mipPort,
    advertisements: { intervalMs: 5000, peers: [] },
  }));
  const accessPoints: AccessPointConfig[] = apIds.map((id, j) => {
    const s = apSubnet[j]!;
    const cfg: AccessPointConfig = {
      id,
      address: apAddresses[j]!,
      subnet: `127.${subnetOctet(s)}.0.0/16`,
      ssids: [{ name: 'demo-corp', pmip: true }],
      aaps: [apAddresses[0]!, apAddresses[1]!],
      homeAgentPort: mipPort,
      foreignAgentPort: mipPort,
      lifetime,
      retryAfterFailureMs: 10_000,
      retryMaxMs: 60_000,
    };
    // The short-lifetime foreign agent's access points are configured statically (no advertised
    // maximum), so they ask for the full lifetime and get 69 first.
    if (s === shortFa) cfg.foreignAgent = { address: faAddress(s), port: mipPort };
    return cfg;
  });

  const skewMs = DEMO_FAULTS.skewHours * 3600_000;
  const host = await startHost({
    accessPoints,
    homeAgents,
    foreignAgents,
    securityAssociations: apSas,
    subnetMap,
    subnetMapFor: (id) => tables.get(id),
    actions: {
      refreshSubnetMap: async () => {
        await Promise.all(subnetMapClients.map((c) => c.refresh()));
      },
    },
    scheduler,
    schedulerFor: (id) =>
      id === DEMO_FAULTS.skewedAccessPoint ? skewedScheduler(scheduler, skewMs) : undefined,
    random,
    exporter: { host: o.listen.host, port: o.listen.port },
    logger: log,
    collector: { clientIdleSeconds: 3600, aaps: aapIds },
    ...(o.subscribers ? { subscribers: o.subscribers } : {}),
    ...(o.views ? { views: o.views } : {}),
  });

  // The two AAPs, then one subnet map client per access point.
  const groupKey = 'demo-group-key-not-a-secret';
  const aapPeers = aapIds.map((id, n) => ({ id, address: apAddresses[n]!, port: o.aapPort }));
  const aapServers: AapServer[] = [];
  const subnetMapClients: AapClient[] = [];
  const aapDeps = { scheduler, random, emit: host.bus.emit };
  for (const peer of aapPeers) {
    aapServers.push(
      await AapServer.start(
        {
          id: peer.id,
          address: peer.address,
          port: peer.port,
          groupKey,
          aaps: aapPeers,
          probe: { port: mipPort },
        },
        aapDeps,
      ),
    );
  }
  for (const [j, id] of apIds.entries()) {
    const client = new AapClient(
      {
        id,
        address: apAddresses[j]!,
        aaps: aapPeers,
        groupKey,
        homeAgent: { address: haAddress(apSubnet[j]!), mask: '255.255.0.0' },
      },
      { ...aapDeps, table: tables.get(id)! },
    );
    await client.start();
    subnetMapClients.push(client);
  }

  // Let the AAPs fill every access point's table before the clients start moving (at most 5 s).
  const tablesDeadline = Date.now() + 5000;
  while ([...tables.values()].some((t) => t.size < subnets) && Date.now() < tablesDeadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  log.info({ rows: subnetMap.size, version: subnetMap.version }, 'subnet map distributed by the AAPs');

  // Foreign agents advertise to the access points of their subnet.
  const advertiseToSubnet = (faId: string): void => {
    const fa = host.foreignAgents.get(faId);
    accessPoints.forEach((cfg, j) => {
      if (`fa-${apSubnet[j]! + 1}` !== faId) return;
      const port = host.accessPoints.get(cfg.id)!.ports.advertisement;
      if (fa?.advertiser && port !== undefined) fa.advertiser.addPeer({ address: cfg.address, port });
    });
    fa?.advertiser?.advertise();
  };
  for (const id of host.foreignAgents.keys()) advertiseToSubnet(id);

  log.info(
    {
      subnets,
      accessPoints: o.accessPoints,
      clients: o.clients,
      seed: o.seed,
      mipPort,
      faults: DEMO_FAULTS,
    },
    'demo site started: deliberate faults are labelled in `faults`',
  );

  // ---- the random walk -----------------------------------------------------------------------
  const timers = new Set<TimerHandle>();
  let stopped = false;
  const after = (ms: number, fn: () => void): void => {
    const t = scheduler.after(ms, () => {
      timers.delete(t);
      if (!stopped) fn();
    });
    timers.add(t);
  };
  const meanDwell = (o.meanDwellSeconds ?? 30) * 1000;
  const dwell = (): number => Math.max(3000, -Math.log(1 - random.float()) * meanDwell);
  const apsOfSubnet = (s: number): number[] => apSubnet.flatMap((x, j) => (x === s ? [j] : []));
  const move = (k: number): void => {
    const c = clients[k]!;
    // One move in three goes home; the others to any access point.
    const target =
      random.float() < 1 / 3
        ? apsOfSubnet(c.home)[Math.floor(random.float() * apsOfSubnet(c.home).length)]!
        : Math.floor(random.float() * o.accessPoints);
    if (c.at >= 0) host.accessPoints.get(apIds[c.at]!)?.disassociate(c.mac);
    c.at = target;
    host.accessPoints.get(apIds[target]!)?.associate({ mac: c.mac, address: c.address, ssid: 'demo-corp' });
    after(dwell(), () => move(k));
  };
  // Spread the first associations over the first seconds.
  clients.forEach((_c, k) =>
    after(Math.floor((k / clients.length) * Math.min(10_000, clients.length * 5)), () => move(k)),
  );

  // ---- the silent home agent -------------------------------------------------------------------
  const silentId = DEMO_FAULTS.silentHomeAgent;
  const silentCfg = homeAgents.find((h) => h.id === silentId);
  const silence = (): void => {
    const ha = host.homeAgents.get(silentId);
    if (!ha || !silentCfg) return;
    log.warn(
      { homeAgent: silentId, seconds: DEMO_FAULTS.silentSeconds },
      'injected fault: home agent goes silent',
    );
    void ha.stop().then(() => {
      after(DEMO_FAULTS.silentSeconds * 1000, () => {
        void HomeAgent.start(silentCfg, { scheduler, random, emit: host.bus.emit }).then(
          (restarted) => {
            host.homeAgents.set(silentId, restarted);
            log.warn({ homeAgent: silentId }, 'injected fault over: home agent answers again');
          },
          (e: unknown) => log.error({ homeAgent: silentId, err: String(e) }, 'home agent could not restart'),
        );
      });
    });
    after(DEMO_FAULTS.silentEverySeconds * 1000, silence);
  };
  after(DEMO_FAULTS.silentAfterSeconds * 1000, silence);

  // ---- the restarting foreign agent ------------------------------------------------------------
  const restartId = DEMO_FAULTS.restartingForeignAgent;
  const restartCfg = foreignAgents.find((f) => f.id === restartId);
  const restart = (): void => {
    const fa = host.foreignAgents.get(restartId);
    if (!fa || !restartCfg) return;
    log.warn({ foreignAgent: restartId }, 'injected fault: foreign agent restarts');
    // The same advertisement port: the access points know an agent by address and port (the
    // loopback advertisement link), and a rebooted router keeps its address.
    const port = fa.advertiser?.port;
    const cfg =
      port !== undefined && restartCfg.advertisements
        ? { ...restartCfg, advertisements: { ...restartCfg.advertisements, port } }
        : restartCfg;
    void fa
      .stop()
      .then(() => ForeignAgent.start(cfg, { scheduler, random, emit: host.bus.emit }))
      .then(
        (restarted) => {
          host.foreignAgents.set(restartId, restarted);
          if (stopped) return void restarted.stop();
          advertiseToSubnet(restartId);
          log.warn(
            { foreignAgent: restartId },
            'injected fault over: foreign agent restarted with an empty visitor list',
          );
        },
        (e: unknown) =>
          log.error({ foreignAgent: restartId, err: String(e) }, 'foreign agent could not restart'),
      );
    after(DEMO_FAULTS.restartEverySeconds * 1000, restart);
  };
  after(DEMO_FAULTS.restartAfterSeconds * 1000, restart);

  // ---- a periodic summary at info level --------------------------------------------------------
  const summary = (): void => {
    const doc = host.collector.snapshot();
    const clientsByState: Record<string, number> = {};
    for (const c of host.collector.clients()) clientsByState[c.state] = (clientsByState[c.state] ?? 0) + 1;
    log.info({ clientsByState, eventsIngested: doc.self.eventsIngested }, 'demo summary');
    after(10_000, summary);
  };
  after(10_000, summary);

  let stopping: Promise<void> | undefined;
  const site: DemoSite = {
    host,
    mipPort,
    aapPort: o.aapPort,
    subnets,
    url: host.url,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        for (const t of timers) t.cancel();
        timers.clear();
        await Promise.allSettled(subnetMapClients.map((c) => c.stop()));
        await Promise.allSettled(aapServers.map((a) => a.stop()));
        await host.stop(500);
      })();
      return stopping;
    },
  };
  if (o.durationSeconds !== undefined) after(o.durationSeconds * 1000, () => void site.stop());
  return site;
}
