/**
 * A scripted site: a realistic sequence of PmipEvents from three access points, two home agents
 * and a foreign agent, with real SA and subnet-map stores behind the injected views. Tests get
 * their event source from one call, `scriptedSite()`; a variant driven by the real engine can
 * return the same `SiteUnderTest` shape.
 */
import type { CollectorConfig } from '../../src/collector/config.ts';
import type { EventSink, PmipEvent } from '../../src/pmip/events.ts';
import { LocalSecurityAssociations } from '../../src/pmip/security/store.ts';
import { SubnetMapTable } from '../../src/pmip/subnet-map/table.ts';

export interface SiteUnderTest {
  /** Label values and injected views for the collector (add a clock if the test needs one). */
  collectorConfig: CollectorConfig;
  /** Delivers the site's events to the sink; resolves when all are delivered. */
  run(sink: EventSink): Promise<void>;
  /** The action behind the Subnet Map page's Refresh button. */
  refreshSubnetMap(): Promise<void>;
  /** Key material the site holds, in hex: must never appear in any output. */
  secretKeysHex: string[];
  stop(): Promise<void>;
}

export const SCRIPT_START = Date.UTC(2026, 0, 1, 8, 0, 0);

export const SITE = {
  accessPoints: ['ap-lobby', 'ap-lab', 'ap-cafe'],
  homeAgents: [
    { id: 'ha-north', address: '198.51.100.1' },
    { id: 'ha-south', address: '198.51.100.2' },
  ],
  foreignAgents: [{ id: 'fa-east', address: '203.0.113.1' }],
  aaps: ['ap-lobby', 'ap-cafe'],
};

export const SCRIPT_KEYS_HEX = ['00112233445566778899aabbccddeeff', 'f0e1d2c3b4a5968778695a4b3c2d1e0f'];

interface Client {
  mac: string;
  address: string;
}

const c1: Client = { mac: '02:00:00:00:00:01', address: '198.51.100.11' };
const c2: Client = { mac: '02:00:00:00:00:02', address: '198.51.100.12' };
const c3: Client = { mac: '02:00:00:00:00:03', address: '198.51.100.13' };
const c4: Client = { mac: '02:00:00:00:00:04', address: '198.51.100.14' };
const c5: Client = { mac: '02:00:00:00:00:05', address: '198.51.100.140' };
const c6: Client = { mac: '02:00:00:00:00:06', address: '198.51.100.141' };

/** The scripted events, in order; times start at `start` and advance 100 ms per event. */
export function scriptedSiteEvents(start = SCRIPT_START): PmipEvent[] {
  const events: PmipEvent[] = [];
  let t = start;
  const at = (): number => (t += 100);
  const ap = (node: string) => ({ node, nodeKind: 'access-point' as const });
  const ha = (node: string) => ({ node, nodeKind: 'home-agent' as const });
  const fa = (node: string) => ({ node, nodeKind: 'foreign-agent' as const });
  const HA1 = '198.51.100.1';
  const HA2 = '198.51.100.2';

  const register = (
    node: string,
    client: Client,
    homeAgent: string,
    coa: string,
    kind: 'initial' | 'renewal',
    rtt: number,
  ) => {
    events.push({
      type: 'registration-sent',
      time: at(),
      ...ap(node),
      client,
      kind,
      retransmission: false,
      homeAgent,
      careOfAddress: coa,
      lifetime: 600,
      toBroadcast: false,
    });
    events.push({
      type: 'reply-received',
      time: at(),
      ...ap(node),
      client,
      kind,
      homeAgent,
      code: 0,
      reason: 'accepted',
      accepted: true,
      issuer: 'home-agent',
      lifetime: 600,
      roundTripSeconds: rtt,
    });
    events.push({
      type: 'client-state',
      time: at(),
      ...ap(node),
      client,
      ssid: 'corp',
      state: 'registered',
      homeAgent,
      careOfAddress: coa,
      expiresAt: t + 600_000,
      lastCode: 0,
    });
  };

  // Discovery and the subnet map.
  events.push({ type: 'solicitation-sent', time: at(), ...ap('ap-lobby') });
  events.push({
    type: 'advertisement-received',
    time: at(),
    ...ap('ap-lobby'),
    agent: '203.0.113.1',
    sequence: 1,
    registrationLifetime: 1800,
    homeAgent: false,
    foreignAgent: true,
    careOfAddresses: ['203.0.113.1'],
  });
  events.push({
    type: 'subnet-map-updated',
    time: at(),
    ...ap('ap-lobby'),
    rows: 2,
    version: 3,
    source: 'aap',
  });
  events.push({ type: 'aap-reachability', time: at(), ...ap('ap-lab'), aap: 'ap-lobby', reachable: true });
  events.push({ type: 'aap-reachability', time: at(), ...ap('ap-lab'), aap: 'ap-cafe', reachable: false });

  // Clients arrive and register.
  for (const [node, client, homeAgent, coa] of [
    ['ap-lobby', c1, HA1, '192.0.2.10'],
    ['ap-lab', c2, HA1, '192.0.2.20'],
    ['ap-cafe', c5, HA2, '192.0.2.30'],
  ] as const) {
    events.push({ type: 'client-state', time: at(), ...ap(node), client, ssid: 'corp', state: 'pending' });
    register(node, client, homeAgent, coa, 'initial', 0.004);
  }
  // The home agent's side of one of them, and a foreign agent relaying another.
  events.push({
    type: 'request-received',
    time: at(),
    ...ha('ha-north'),
    kind: 'initial',
    homeAddress: c1.address,
    careOfAddress: '192.0.2.10',
  });
  events.push({
    type: 'reply-sent',
    time: at(),
    ...ha('ha-north'),
    code: 0,
    reason: 'accepted',
    homeAddress: c1.address,
    relayed: false,
  });
  events.push({
    type: 'binding-created',
    time: at(),
    ...ha('ha-north'),
    homeAddress: c1.address,
    careOfAddress: '192.0.2.10',
    lifetime: 600,
  });
  events.push({
    type: 'request-received',
    time: at(),
    ...fa('fa-east'),
    kind: 'initial',
    homeAddress: c2.address,
    careOfAddress: '203.0.113.1',
  });
  events.push({
    type: 'request-relayed',
    time: at(),
    ...fa('fa-east'),
    homeAddress: c2.address,
    homeAgent: HA1,
  });
  events.push({
    type: 'visitor-added',
    time: at(),
    ...fa('fa-east'),
    homeAddress: c2.address,
    homeAgent: HA1,
    lifetime: 600,
  });
  events.push({
    type: 'reply-sent',
    time: at(),
    ...fa('fa-east'),
    code: 0,
    reason: 'accepted',
    homeAddress: c2.address,
    relayed: true,
  });

  // c3: identification mismatch (133), time sync, then accepted.
  events.push({
    type: 'client-state',
    time: at(),
    ...ap('ap-lab'),
    client: c3,
    ssid: 'corp',
    state: 'pending',
  });
  events.push({
    type: 'registration-sent',
    time: at(),
    ...ap('ap-lab'),
    client: c3,
    kind: 'initial',
    retransmission: false,
    homeAgent: HA1,
    careOfAddress: '192.0.2.20',
    lifetime: 600,
    toBroadcast: false,
  });
  events.push({
    type: 'reply-received',
    time: at(),
    ...ap('ap-lab'),
    client: c3,
    kind: 'initial',
    homeAgent: HA1,
    code: 133,
    reason: 'ha_identification_mismatch',
    accepted: false,
    issuer: 'home-agent',
    lifetime: 0,
    roundTripSeconds: 0.012,
  });
  events.push({
    type: 'request-denied',
    time: at(),
    ...ha('ha-north'),
    code: 133,
    reason: 'ha_identification_mismatch',
    homeAddress: c3.address,
  });
  events.push({
    type: 'time-sync',
    time: at(),
    ...ap('ap-lab'),
    homeAgent: HA1,
    mode: 'timestamp',
    offsetSeconds: 2.5,
  });
  register('ap-lab', c3, HA1, '192.0.2.20', 'initial', 0.02);

  // c4: the home agent fails the authenticator (131): a denial and a security violation.
  events.push({
    type: 'client-state',
    time: at(),
    ...ap('ap-cafe'),
    client: c4,
    ssid: 'corp',
    state: 'pending',
  });
  events.push({
    type: 'registration-sent',
    time: at(),
    ...ap('ap-cafe'),
    client: c4,
    kind: 'initial',
    retransmission: false,
    homeAgent: HA2,
    careOfAddress: '192.0.2.30',
    lifetime: 600,
    toBroadcast: false,
  });
  events.push({
    type: 'reply-received',
    time: at(),
    ...ap('ap-cafe'),
    client: c4,
    kind: 'initial',
    homeAgent: HA2,
    code: 131,
    reason: 'ha_mn_failed_authentication',
    accepted: false,
    issuer: 'home-agent',
    lifetime: 0,
    roundTripSeconds: 0.3,
  });
  events.push({
    type: 'security-violation',
    time: at(),
    ...ap('ap-cafe'),
    reason: 'bad-authenticator',
    peer: HA2,
    client: c4,
  });
  // A later attempt of the same client: only a reply that failed authentication (claims 131).
  events.push({
    type: 'registration-outcome',
    time: at(),
    ...ap('ap-cafe'),
    client: c4,
    kind: 'initial',
    outcome: 'unauthenticated',
    homeAgent: HA2,
    code: 131,
    reason: 'bad-authenticator',
    transmissions: 4,
  });
  events.push({
    type: 'client-state',
    time: at(),
    ...ap('ap-cafe'),
    client: c4,
    ssid: 'corp',
    state: 'isolated',
    homeAgent: HA2,
    lastCode: 131,
  });

  // Moves, renewals, a retransmission, a deregistration.
  events.push({
    type: 'client-moved',
    time: at(),
    ...ap('ap-lobby'),
    client: c1,
    movement: 'home-to-foreign',
    careOfAddress: '192.0.2.10',
  });
  register('ap-lobby', c1, HA1, '192.0.2.10', 'renewal', 0.006);
  events.push({
    type: 'client-moved',
    time: at(),
    ...ap('ap-lab'),
    client: c2,
    movement: 'foreign-to-foreign',
    careOfAddress: '192.0.2.21',
  });
  events.push({
    type: 'registration-sent',
    time: at(),
    ...ap('ap-lab'),
    client: c2,
    kind: 'renewal',
    retransmission: false,
    homeAgent: HA1,
    careOfAddress: '192.0.2.21',
    lifetime: 600,
    toBroadcast: false,
  });
  register('ap-lab', c2, HA1, '192.0.2.21', 'renewal', 0.8);
  events[events.length - 3] = {
    ...(events[events.length - 3] as Extract<PmipEvent, { type: 'registration-sent' }>),
    retransmission: true,
  };
  events.push({
    type: 'client-moved',
    time: at(),
    ...ap('ap-cafe'),
    client: c5,
    movement: 'foreign-to-home',
  });
  events.push({
    type: 'registration-sent',
    time: at(),
    ...ap('ap-cafe'),
    client: c5,
    kind: 'deregistration',
    retransmission: false,
    homeAgent: HA2,
    careOfAddress: '198.51.100.140',
    lifetime: 0,
    toBroadcast: false,
  });
  events.push({
    type: 'reply-received',
    time: at(),
    ...ap('ap-cafe'),
    client: c5,
    kind: 'deregistration',
    homeAgent: HA2,
    code: 0,
    reason: 'accepted',
    accepted: true,
    issuer: 'home-agent',
    lifetime: 0,
    roundTripSeconds: 0.05,
  });
  events.push({
    type: 'client-state',
    time: at(),
    ...ap('ap-cafe'),
    client: c5,
    ssid: 'corp',
    state: 'home',
    homeAgent: HA2,
    lastCode: 0,
  });
  events.push({ type: 'arp-sent', time: at(), ...ap('ap-cafe'), kind: 'gratuitous', address: c5.address });

  // c6: nobody answers; a foreign agent denial; a reply nobody asked for.
  events.push({
    type: 'client-state',
    time: at(),
    ...ap('ap-lobby'),
    client: c6,
    ssid: 'guest',
    state: 'pending',
  });
  for (const retransmission of [false, true, true]) {
    events.push({
      type: 'registration-sent',
      time: at(),
      ...ap('ap-lobby'),
      client: c6,
      kind: 'initial',
      retransmission,
      homeAgent: HA2,
      careOfAddress: '192.0.2.10',
      lifetime: 600,
      toBroadcast: false,
    });
  }
  events.push({
    type: 'registration-outcome',
    time: at(),
    ...ap('ap-lobby'),
    client: c6,
    kind: 'initial',
    outcome: 'timeout',
    homeAgent: HA2,
    transmissions: 3,
  });
  events.push({ type: 'ha-probe', time: at(), ...ap('ap-lobby'), homeAgent: HA2, outcome: 'sent' });
  events.push({ type: 'ha-probe', time: at(), ...ap('ap-lobby'), homeAgent: HA2, outcome: 'timed-out' });
  events.push({
    type: 'registration-sent',
    time: at(),
    ...ap('ap-lobby'),
    client: c6,
    kind: 'initial',
    retransmission: false,
    homeAgent: HA2,
    careOfAddress: '203.0.113.1',
    lifetime: 9000,
    toBroadcast: false,
  });
  events.push({
    type: 'reply-received',
    time: at(),
    ...ap('ap-lobby'),
    client: c6,
    kind: 'initial',
    homeAgent: HA2,
    code: 69,
    reason: 'fa_lifetime_too_long',
    accepted: false,
    issuer: 'foreign-agent',
    lifetime: 0,
    roundTripSeconds: 0.002,
  });
  events.push({
    type: 'request-denied',
    time: at(),
    ...fa('fa-east'),
    code: 69,
    reason: 'fa_lifetime_too_long',
    homeAddress: c6.address,
  });
  events.push({
    type: 'client-state',
    time: at(),
    ...ap('ap-lobby'),
    client: c6,
    ssid: 'guest',
    state: 'unknown',
    lastCode: 69,
  });
  events.push({
    type: 'reply-discarded',
    time: at(),
    ...ap('ap-lab'),
    reason: 'invalid-identification',
    peer: HA1,
  });
  events.push({
    type: 'malformed-datagram',
    time: at(),
    ...ap('ap-lab'),
    socket: 'registration',
    errorKind: 'truncated',
    peer: '192.0.2.99',
  });
  return withOutcomes(events);
}

/**
 * The engine's contract, applied to the script: a request through a foreign agent names it (the
 * script's care-of address is the foreign agent's), and every reply concludes its attempt.
 */
function withOutcomes(events: PmipEvent[]): PmipEvent[] {
  const out: PmipEvent[] = [];
  const via = new Map<string, string | undefined>();
  for (const e of events) {
    if (e.type === 'registration-sent') {
      const foreignAgent =
        e.kind === 'deregistration' ? undefined : FOREIGN_AGENT_ADDRESSES.get(e.careOfAddress);
      via.set(e.client.mac, foreignAgent);
      out.push(foreignAgent === undefined ? e : { ...e, foreignAgent });
      continue;
    }
    if (e.type === 'reply-received') {
      const foreignAgent = via.get(e.client.mac);
      const fa = foreignAgent === undefined ? {} : { foreignAgent };
      out.push({ ...e, ...fa });
      out.push({
        type: 'registration-outcome',
        time: e.time,
        node: e.node,
        nodeKind: e.nodeKind,
        client: e.client,
        kind: e.kind,
        outcome: e.accepted ? 'accepted' : 'denied',
        homeAgent: e.homeAgent,
        ...fa,
        code: e.code,
        reason: e.reason,
        issuer: e.issuer,
        transmissions: 1,
        roundTripSeconds: e.roundTripSeconds,
      });
      continue;
    }
    out.push(e);
  }
  return out;
}

/** Care-of address -> the foreign agent (its registration address) in the scripted site. */
const FOREIGN_AGENT_ADDRESSES = new Map([['203.0.113.1', '203.0.113.1']]);

/** The scripted site: real SA and subnet-map stores behind the views, the events above. */
export async function scriptedSite(start = SCRIPT_START): Promise<SiteUnderTest> {
  const sas = new LocalSecurityAssociations([
    { address: '198.51.100.11', spi: 256, keyHex: SCRIPT_KEYS_HEX[0]! },
    {
      address: '198.51.100.128',
      rangeEnd: '198.51.100.191',
      spi: 300,
      keyHex: SCRIPT_KEYS_HEX[1]!,
      algorithm: 'hmac-md5',
      replay: 'nonce',
    },
  ]);
  const subnetMap = new SubnetMapTable();
  subnetMap.upsert('198.51.100.1', '255.255.255.128', 'aap', start);
  subnetMap.upsert('198.51.100.2', '255.255.255.192', 'config', start);
  let sink: EventSink | undefined;
  return {
    collectorConfig: {
      ...SITE,
      views: { securityAssociations: () => sas.describe(), subnetMap: () => subnetMap.rows() },
    },
    async run(s) {
      sink = s;
      for (const e of scriptedSiteEvents(start)) s(e);
    },
    async refreshSubnetMap() {
      // What a re-fetch from the AAP does: a new row arrives and the table's version moves.
      subnetMap.upsert('203.0.113.1', '255.255.255.0', 'aap', Date.now());
      sink?.({
        type: 'subnet-map-updated',
        time: Date.now(),
        node: 'ap-lobby',
        nodeKind: 'access-point',
        rows: subnetMap.size,
        version: subnetMap.version,
        source: 'aap',
      });
    },
    secretKeysHex: [...SCRIPT_KEYS_HEX],
    async stop() {
      sas.clear();
    },
  };
}
