import { test as baseTest, type TestAPI } from 'vitest';
import { FakeScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import { EventRecorder as EventLog } from '../../support/event-recorder.ts';
import { freeUdpPort } from '../../support/lab-site.ts';
import { UdpEndpoint, type Peer } from '../../../src/pmip/runtime/udp.ts';
import { AapServer, type AapTiming, type AapServerConfig } from '../../../src/pmip/aap/server.ts';
import { AapClient, type ClientTiming, type AapClientConfig } from '../../../src/pmip/aap/client.ts';
import type { AapPeerConfig, BindDatagramSocket } from '../../../src/pmip/aap/endpoint.ts';
import { SubnetMapTable } from '../../../src/pmip/subnet-map/table.ts';
import { seededRandom } from '../../../src/pmip/wire/identification.ts';
import { drive, flushIo } from '../../support/wait.ts';

/**
 * A subnet map site on loopback for the tests: AAPs at 127.65.N.1, .2, .3 and access points at
 * 127.65.N.101 and up (N per test file, so files running in parallel never share an address),
 * all on real UDP sockets, all driven by one fake clock.
 */
export const GROUP_KEY = 'placeholder-group-key-for-tests';
export const WRONG_GROUP_KEY = 'some-other-group-key-not-ours';

/** Short timers so that tests run in fake seconds. */
export const FAST_AAP_TIMING: Partial<AapTiming> = {
  pushTimeoutMs: 200,
  pushRetries: 2,
  pushBackoff: 2,
  pushMaxTimeoutMs: 1000,
  handoverTimeoutMs: 200,
  handoverRetries: 1,
  reconcileIntervalMs: 1000,
  pullTimeoutMs: 500,
  initialSyncTimeoutMs: 500,
  apExpiryMs: 5000,
  maintenanceIntervalMs: 1000,
  probeIntervalMs: 5000,
};

export const FAST_CLIENT_TIMING: ClientTiming = {
  reportIntervalMs: 1000,
  responseTimeoutMs: 200,
  attempts: 2,
};

/** A network cable in front of a node's socket: unplug it and nothing gets in or out. Records traffic. */
export class Cable {
  plugged = true;
  readonly sent: Array<{ payload: Buffer; to: Peer }> = [];
  readonly received: Array<{ payload: Buffer; from: Peer }> = [];

  readonly bind: BindDatagramSocket = async (options) => {
    const inner = await UdpEndpoint.bind({
      ...options,
      onDatagram: (payload, from) => {
        if (!this.plugged) return;
        this.received.push({ payload: Buffer.from(payload), from });
        options.onDatagram(payload, from);
      },
    });
    return {
      address: inner.address,
      port: inner.port,
      send: (payload, to) => {
        if (!this.plugged) return;
        this.sent.push({ payload: Buffer.from(payload), to });
        inner.send(payload, to);
      },
      close: () => inner.close(),
    };
  };
}

export { EventLog };

export interface AccessPointHandle {
  client: AapClient;
  table: SubnetMapTable;
  cable: Cable;
}

export interface SiteOptions {
  aapTiming?: Partial<AapTiming>;
  clientTiming?: Partial<ClientTiming>;
  aapConfig?: (index: number) => Partial<AapServerConfig>;
}

export class Site {
  readonly scheduler = new FakeScheduler(Date.UTC(2026, 10, 28, 12, 0, 0));
  readonly log = new EventLog();
  readonly aaps: Array<AapServer | undefined> = [];
  readonly aps = new Map<string, AccessPointHandle>();
  private seed = 1;

  private constructor(
    readonly net: number,
    readonly aapPeers: AapPeerConfig[],
    readonly options: SiteOptions,
  ) {}

  /** A site with `aapCount` AAPs (not started) on free ports of 127.65.net.1, .2, ... */
  static async create(net: number, aapCount: number, options: SiteOptions = {}): Promise<Site> {
    const peers: AapPeerConfig[] = [];
    for (let i = 0; i < aapCount; i++) {
      const address = `127.65.${net}.${i + 1}`;
      peers.push({ id: `aap-${i + 1}`, address, port: await freeUdpPort(address) });
    }
    return new Site(net, peers, options);
  }

  aap(i: number): AapServer {
    const a = this.aaps[i];
    if (!a) throw new Error(`AAP ${i} is not running`);
    return a;
  }

  ap(id: string): AccessPointHandle {
    const a = this.aps.get(id);
    if (!a) throw new Error(`no access point ${id}`);
    return a;
  }

  async startAap(i: number, overrides: Partial<AapServerConfig> = {}): Promise<AapServer> {
    const peer = this.aapPeers[i]!;
    const aap = await AapServer.start(
      {
        id: peer.id!,
        address: peer.address,
        port: peer.port,
        groupKey: GROUP_KEY,
        aaps: this.aapPeers,
        timing: { ...FAST_AAP_TIMING, ...this.options.aapTiming },
        ...this.options.aapConfig?.(i),
        ...overrides,
      },
      { scheduler: this.scheduler, random: seededRandom(this.seed++), emit: this.log.emit },
    );
    this.aaps[i] = aap;
    return aap;
  }

  async stopAap(i: number): Promise<void> {
    await this.aaps[i]?.stop();
    this.aaps[i] = undefined;
  }

  /** Starts all AAPs and waits until each has finished its initial sync. */
  async startAaps(): Promise<void> {
    for (let i = 0; i < this.aapPeers.length; i++) await this.startAap(i);
    await this.drive(() => this.aaps.every((a) => a?.isSynced === true), 2000, 'AAPs synced');
  }

  async startAp(
    id: string,
    number: number,
    homeAgent: { address: string; mask: string } | undefined,
    overrides: Partial<AapClientConfig> = {},
  ): Promise<AccessPointHandle> {
    const table = this.aps.get(id)?.table ?? new SubnetMapTable();
    const cable = this.aps.get(id)?.cable ?? new Cable();
    const client = new AapClient(
      {
        id,
        address: `127.65.${this.net}.${100 + number}`,
        aaps: this.aapPeers,
        groupKey: GROUP_KEY,
        ...(homeAgent ? { homeAgent } : {}),
        timing: { ...FAST_CLIENT_TIMING, ...this.options.clientTiming },
        ...overrides,
      },
      {
        scheduler: this.scheduler,
        random: seededRandom(this.seed++),
        emit: this.log.emit,
        table,
        bind: cable.bind,
      },
    );
    await client.start();
    const handle = { client, table, cable };
    this.aps.set(id, handle);
    return handle;
  }

  drive(predicate: () => boolean, maxMs: number, what: string, stepMs = 10): Promise<number> {
    return drive(this.scheduler, predicate, { maxMs, what, stepMs });
  }

  /** Sorted "homeAgent/prefix" strings of a table, for comparisons. */
  static rowsOf(table: SubnetMapTable): string[] {
    return table
      .rows()
      .map((r) => `${r.homeAgent}/${r.prefixLength}`)
      .sort();
  }

  async close(): Promise<void> {
    for (const { client } of this.aps.values()) await client.stop();
    for (let i = 0; i < this.aaps.length; i++) await this.stopAap(i);
    await flushIo();
  }
}

export interface SiteFixtures {
  /**
   * Creates this test's site: `aapCount` AAPs (not started) on the file's network. Every site a
   * test created is closed after it.
   */
  createSite: (aapCount: number, options?: SiteOptions) => Promise<Site>;
}

/**
 * `it` with the `createSite` fixture (vitest test context) for the tests of one file: its sites
 * live on 127.65.`net`.x, so files running in parallel never share an address.
 */
export function siteTest(net: number): TestAPI<SiteFixtures> {
  return baseTest.extend<SiteFixtures>({
    // eslint-disable-next-line no-empty-pattern -- vitest reads the fixtures a fixture needs from this pattern
    createSite: async ({}, use) => {
      const sites: Site[] = [];
      await use(async (aapCount, options) => {
        const site = await Site.create(net, aapCount, options);
        sites.push(site);
        return site;
      });
      for (const site of sites) await site.close();
    },
  });
}
