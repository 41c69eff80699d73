import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { CollectorConfigError } from '../../src/collector/config.ts';
import type { AdvertisementReceivedEvent, PmipEvent } from '../../src/pmip/events.ts';
import { renderSections } from '../../src/exporters/families/index.ts';
import { statisticsDocument } from '../../src/exporters/statistics.ts';
import { SITE, scriptedSite, scriptedSiteEvents } from '../support/event-script.ts';
import { changes } from './changes.ts';

const T = Date.UTC(2026, 0, 1);
const client = { mac: '02:00:00:00:00:01', address: '198.51.100.11' };
const AP = { time: T, node: 'ap-lobby', nodeKind: 'access-point' } as const;
const HA = { time: T, node: 'ha-north', nodeKind: 'home-agent' } as const;
const FA = { time: T, node: 'fa-east', nodeKind: 'foreign-agent' } as const;
const sent = {
  ...AP,
  type: 'registration-sent',
  client,
  kind: 'initial',
  retransmission: false,
  homeAgent: '198.51.100.1',
  foreignAgent: '203.0.113.1',
  careOfAddress: '192.0.2.10',
  lifetime: 600,
  toBroadcast: false,
} as const;
/** The request sent straight to the home agent: no foreign agent. */
const { foreignAgent: _foreignAgent, ...direct } = sent;
const reply = {
  ...AP,
  type: 'reply-received',
  client,
  kind: 'initial',
  homeAgent: '198.51.100.1',
  foreignAgent: '203.0.113.1',
  code: 0,
  reason: 'accepted',
  accepted: true,
  issuer: 'home-agent',
  lifetime: 600,
  roundTripSeconds: 0.004,
} as const;

function collector(now = T): Collector {
  return new Collector({ ...SITE, clock: () => now });
}

const outcome = {
  ...AP,
  type: 'registration-outcome',
  client,
  kind: 'initial',
  homeAgent: '198.51.100.1',
  foreignAgent: '203.0.113.1',
  transmissions: 1,
} as const;
const SENT = ['haSeen[ha-north].requestsSent=1', 'faSeen[fa-east].requestsSent=1'];
const REPLY = [
  'faSeen[fa-east].lastReplyAt=set',
  'faSeen[fa-east].repliesReceived=1',
  'faSeen[fa-east].roundTrip.count=1',
  'haSeen[ha-north].lastReplyAt=set',
  'haSeen[ha-north].repliesReceived=1',
  'haSeen[ha-north].roundTrip.count=1',
];

const cases: Array<[string, PmipEvent, string[]]> = [
  ['initial request', sent, ['ap[ap-lobby].requestsSent.initial=1', ...SENT]],
  ['renewal request', { ...sent, kind: 'renewal' }, ['ap[ap-lobby].requestsSent.renewal=1', ...SENT]],
  [
    'deregistration (straight to the home agent)',
    { ...direct, kind: 'deregistration', lifetime: 0 },
    ['ap[ap-lobby].requestsSent.deregistration=1', 'haSeen[ha-north].requestsSent=1'],
  ],
  [
    'retransmission',
    { ...sent, retransmission: true },
    ['ap[ap-lobby].requestsSent.initial=1', 'ap[ap-lobby].retransmissions=1', ...SENT],
  ],
  [
    'to broadcast',
    { ...sent, toBroadcast: true },
    ['ap[ap-lobby].requestsSent.initial=1', 'ap[ap-lobby].requestsToBroadcast=1', ...SENT],
  ],
  [
    'request to an unconfigured home agent (admitted under its address)',
    { ...direct, homeAgent: '192.0.2.99' },
    ['ap[ap-lobby].requestsSent.initial=1', 'haSeen[other].requestsSent=1'],
  ],
  [
    'accepted reply',
    reply,
    ['ap[ap-lobby].accepted=1', 'ap[ap-lobby].repliesReceived=1', 'roundTrip.count=1', ...REPLY],
  ],
  [
    'code 1 is accepted',
    { ...reply, code: 1 },
    ['ap[ap-lobby].accepted=1', 'ap[ap-lobby].repliesReceived=1', 'roundTrip.count=1', ...REPLY],
  ],
  [
    'home agent denial 133',
    { ...reply, code: 133, accepted: false },
    [
      'ap[ap-lobby].code133=1',
      'ap[ap-lobby].deniedByHomeAgent=1',
      'ap[ap-lobby].repliesReceived=1',
      'roundTrip.count=1',
      'site.code133=1',
      ...REPLY,
    ],
  ],
  [
    'foreign agent denial 69',
    { ...reply, code: 69, accepted: false, issuer: 'foreign-agent' },
    [
      'ap[ap-lobby].code69=1',
      'ap[ap-lobby].deniedByForeignAgent=1',
      'ap[ap-lobby].repliesReceived=1',
      'roundTrip.count=1',
      'site.code69=1',
      ...REPLY,
    ],
  ],
  [
    'unassigned code 20',
    { ...reply, code: 20, accepted: false, issuer: 'unknown' },
    [
      'ap[ap-lobby].code20=1',
      'ap[ap-lobby].deniedOther=1',
      'ap[ap-lobby].repliesReceived=1',
      'roundTrip.count=1',
      'site.code20=1',
      ...REPLY,
    ],
  ],
  [
    'outcome accepted',
    {
      ...outcome,
      outcome: 'accepted',
      code: 0,
      reason: 'accepted',
      issuer: 'home-agent',
      roundTripSeconds: 0.004,
    },
    [
      'ap[ap-lobby].outcome.accepted=1',
      'faSeen[fa-east].outcome.accepted=1',
      'haSeen[ha-north].outcome.accepted=1',
    ],
  ],
  [
    'outcome denied by the home agent (131)',
    { ...outcome, outcome: 'denied', code: 131, reason: 'ha_mn_failed_authentication', issuer: 'home-agent' },
    [
      'ap[ap-lobby].outcome.denied=1',
      'faSeen[fa-east].code131=1',
      'faSeen[fa-east].outcome.denied=1',
      'haSeen[ha-north].code131=1',
      'haSeen[ha-north].outcome.denied=1',
    ],
  ],
  [
    'outcome timeout: no reply counted, nothing but the timeout',
    { ...outcome, outcome: 'timeout', transmissions: 4 },
    [
      'ap[ap-lobby].outcome.timeout=1',
      'faSeen[fa-east].outcome.timeout=1',
      'haSeen[ha-north].outcome.timeout=1',
    ],
  ],
  [
    'outcome unauthenticated keeps the claimed code apart from denials, and is not a timeout',
    {
      ...outcome,
      outcome: 'unauthenticated',
      code: 131,
      reason: 'bad-authenticator',
      transmissions: 4,
      lastReplyAt: T - 8000,
    },
    [
      'ap[ap-lobby].outcome.unauthenticated=1',
      'faSeen[fa-east].lastReplyAt=set',
      'faSeen[fa-east].outcome.unauthenticated=1',
      'haSeen[ha-north].claimed131=1',
      'haSeen[ha-north].lastReplyAt=set',
      'haSeen[ha-north].outcome.unauthenticated=1',
    ],
  ],
  [
    'outcome discarded: replies dropped',
    { ...outcome, outcome: 'discarded', reason: 'invalid-identification', transmissions: 4 },
    [
      'ap[ap-lobby].outcome.discarded=1',
      'discardedAttempts.invalid-identification=1',
      'faSeen[fa-east].outcome.discarded=1',
      'haSeen[ha-north].outcome.discarded=1',
    ],
  ],
  [
    'outcome discarded before sending: no home agent known',
    {
      ...AP,
      type: 'registration-outcome',
      client,
      kind: 'initial',
      outcome: 'discarded',
      reason: 'no-home-agent',
      transmissions: 0,
    },
    ['ap[ap-lobby].outcome.discarded=1', 'discardedAttempts.no-home-agent=1'],
  ],
  [
    'time sync',
    { ...AP, type: 'time-sync', homeAgent: '198.51.100.1', mode: 'timestamp', offsetSeconds: -1.5 },
    [
      'ap[ap-lobby].timeSyncs=1',
      'ha[ha-north].offset=-1.5',
      'ha[ha-north].timeSyncs=1',
      'offset[ap-lobby,ha-north]=-1.5',
    ],
  ],
  ...(
    [
      'no-mobility-security-association',
      'bad-authenticator',
      'bad-identifier',
      'bad-spi',
      'missing-security-extension',
      'other',
    ] as const
  ).map((reason): [string, PmipEvent, string[]] => [
    `violation ${reason}`,
    { ...AP, type: 'security-violation', reason, peer: '198.51.100.1' },
    [`ap[ap-lobby].securityViolations.${reason}=1`],
  ]),
  [
    'violation at a home agent',
    { ...HA, type: 'security-violation', reason: 'bad-spi', peer: '192.0.2.10' },
    ['ha[ha-north].securityViolations.bad-spi=1'],
  ],
  [
    'reply discarded',
    { ...AP, type: 'reply-discarded', reason: 'unknown-home-agent', peer: '192.0.2.1' },
    ['ap[ap-lobby].discarded.unknown-home-agent=1'],
  ],
  [
    'move home to foreign',
    { ...AP, type: 'client-moved', client, movement: 'home-to-foreign' },
    ['ap[ap-lobby].movesHomeToForeign=1'],
  ],
  [
    'move foreign to foreign',
    { ...AP, type: 'client-moved', client, movement: 'foreign-to-foreign' },
    ['ap[ap-lobby].movesForeignToForeign=1'],
  ],
  [
    'move foreign to home',
    { ...AP, type: 'client-moved', client, movement: 'foreign-to-home' },
    ['ap[ap-lobby].movesForeignToHome=1'],
  ],
  [
    'client state',
    { ...AP, type: 'client-state', client, ssid: 'corp', state: 'pending' },
    ['ap[ap-lobby].clients=1', 'clients.pending=1'],
  ],
  ['client removed (unknown client)', { ...AP, type: 'client-removed', client }, []],
  [
    'gratuitous ARP at an AP',
    { ...AP, type: 'arp-sent', kind: 'gratuitous', address: client.address },
    ['ap[ap-lobby].gratuitousArpsSent=1'],
  ],
  [
    'proxy ARP at a HA',
    { ...HA, type: 'arp-sent', kind: 'proxy', address: client.address },
    ['ha[ha-north].proxyArpsSent=1'],
  ],
  [
    'advertisement received',
    {
      ...AP,
      type: 'advertisement-received',
      agent: '203.0.113.1',
      sequence: 5,
      registrationLifetime: 600,
      homeAgent: false,
      foreignAgent: true,
      careOfAddresses: [],
    },
    ['ap[ap-lobby].advertisementsReceived=1'],
  ],
  [
    'agent reboot',
    { ...AP, type: 'agent-reboot-detected', agent: '203.0.113.1', previousSequence: 900, sequence: 2 },
    ['ap[ap-lobby].agentRebootsDetected=1'],
  ],
  [
    'advertisement to the link (observed): for its foreign agent, no access point',
    {
      ...AP,
      node: 'link',
      type: 'advertisement-received',
      agent: '203.0.113.1',
      sequence: 5,
      registrationLifetime: 600,
      homeAgent: true,
      foreignAgent: true,
      careOfAddresses: [],
      toLink: true,
    },
    ['faSeen[fa-east].linkAdvertisements=1'],
  ],
  [
    'advertisement to the link without the F flag: for its home agent',
    {
      ...AP,
      node: 'link',
      type: 'advertisement-received',
      agent: '198.51.100.1',
      sequence: 5,
      registrationLifetime: 600,
      homeAgent: true,
      foreignAgent: false,
      careOfAddresses: [],
      toLink: true,
    },
    ['haSeen[ha-north].linkAdvertisements=1'],
  ],
  [
    'agent reboot seen on the link: for its foreign agent',
    {
      ...AP,
      node: 'link',
      type: 'agent-reboot-detected',
      agent: '203.0.113.1',
      previousSequence: 900,
      sequence: 2,
      toLink: true,
      foreignAgent: true,
    },
    ['faSeen[fa-east].linkRebootsDetected=1'],
  ],
  [
    'agent reboot seen on the link without the F flag: for its home agent',
    {
      ...AP,
      node: 'link',
      type: 'agent-reboot-detected',
      agent: '198.51.100.1',
      previousSequence: 900,
      sequence: 2,
      toLink: true,
      foreignAgent: false,
    },
    ['haSeen[ha-north].linkRebootsDetected=1'],
  ],
  ['solicitation', { ...AP, type: 'solicitation-sent' }, ['ap[ap-lobby].solicitationsSent=1']],
  [
    'HA request received',
    {
      ...HA,
      type: 'request-received',
      kind: 'deregistration',
      homeAddress: client.address,
      careOfAddress: '192.0.2.10',
    },
    ['ha[ha-north].requestsReceived.deregistration=1'],
  ],
  [
    'FA request received',
    {
      ...FA,
      type: 'request-received',
      kind: 'renewal',
      homeAddress: client.address,
      careOfAddress: '203.0.113.1',
    },
    ['fa[fa-east].requestsReceived.renewal=1'],
  ],
  [
    'FA relays a request',
    { ...FA, type: 'request-relayed', homeAddress: client.address, homeAgent: '198.51.100.1' },
    ['fa[fa-east].requestsRelayed=1'],
  ],
  [
    'HA accepts',
    { ...HA, type: 'reply-sent', code: 0, reason: 'accepted', homeAddress: client.address, relayed: false },
    ['ha[ha-north].accepted=1', 'ha[ha-north].repliesSent=1'],
  ],
  [
    'HA replies with a denial',
    { ...HA, type: 'reply-sent', code: 131, reason: 'x', homeAddress: client.address, relayed: false },
    ['ha[ha-north].repliesSent=1'],
  ],
  [
    'FA relays a reply',
    { ...FA, type: 'reply-sent', code: 0, reason: 'accepted', homeAddress: client.address, relayed: true },
    ['fa[fa-east].repliesRelayed=1'],
  ],
  [
    'FA sends its own reply',
    { ...FA, type: 'reply-sent', code: 69, reason: 'x', homeAddress: client.address, relayed: false },
    ['fa[fa-east].repliesSent=1'],
  ],
  [
    'HA denies',
    { ...HA, type: 'request-denied', code: 135, reason: 'x', homeAddress: client.address },
    ['ha[ha-north].code135=1', 'ha[ha-north].denied=1'],
  ],
  [
    'FA denies',
    { ...FA, type: 'request-denied', code: 65, reason: 'x', homeAddress: client.address },
    ['fa[fa-east].code65=1', 'fa[fa-east].denied=1'],
  ],
  [
    'binding created',
    {
      ...HA,
      type: 'binding-created',
      homeAddress: client.address,
      careOfAddress: '192.0.2.10',
      lifetime: 600,
    },
    ['ha[ha-north].bindings=1', 'ha[ha-north].bindingsCreated=1'],
  ],
  [
    'binding renewed',
    {
      ...HA,
      type: 'binding-renewed',
      homeAddress: client.address,
      careOfAddress: '192.0.2.10',
      lifetime: 600,
    },
    ['ha[ha-north].bindings=1', 'ha[ha-north].bindingsRenewed=1'],
  ],
  [
    'binding removed',
    { ...HA, type: 'binding-removed', homeAddress: client.address, careOfAddress: '192.0.2.10', lifetime: 0 },
    ['ha[ha-north].bindingsRemoved=1'],
  ],
  [
    'binding expired',
    { ...HA, type: 'binding-expired', homeAddress: client.address, careOfAddress: '192.0.2.10', lifetime: 0 },
    ['ha[ha-north].bindingsExpired=1'],
  ],
  [
    'visitor added',
    { ...FA, type: 'visitor-added', homeAddress: client.address, homeAgent: '198.51.100.1', lifetime: 600 },
    ['fa[fa-east].visitors=1', 'fa[fa-east].visitorsAdded=1'],
  ],
  [
    'visitor removed',
    {
      ...FA,
      type: 'visitor-removed',
      homeAddress: client.address,
      homeAgent: '198.51.100.1',
      lifetime: 0,
      cause: 'expired',
    },
    ['fa[fa-east].visitorsRemoved=1'],
  ],
  [
    'FA drops a poorly formed reply',
    { ...FA, type: 'reply-dropped', reason: 'poorly-formed' },
    ['fa[fa-east].repliesDroppedPoorlyFormed=1'],
  ],
  [
    'FA drops an unexpected reply',
    { ...FA, type: 'reply-dropped', reason: 'no-pending-request' },
    ['fa[fa-east].repliesDroppedNoPendingRequest=1'],
  ],
  [
    'HA advertises',
    { ...HA, type: 'advertisement-sent', sequence: 1 },
    ['ha[ha-north].advertisementsSent=1'],
  ],
  ['FA advertises', { ...FA, type: 'advertisement-sent', sequence: 1 }, ['fa[fa-east].advertisementsSent=1']],
  [
    'malformed datagram',
    { ...AP, type: 'malformed-datagram', socket: 'registration', errorKind: 'truncated', peer: '192.0.2.9' },
    ['malformed.access-point.registration.truncated=1'],
  ],
  [
    'subnet map updated by an AAP',
    { ...AP, type: 'subnet-map-updated', rows: 4, version: 9, source: 'aap' },
    ['aap[ap-lobby].version=9', 'subnetMap.rows=4', 'subnetMap.updates.aap=1'],
  ],
  [
    'subnet map updated at a plain AP',
    { ...AP, node: 'ap-lab', type: 'subnet-map-updated', rows: 4, version: 9, source: 'discovery' },
    ['subnetMap.rows=4', 'subnetMap.updates.discovery=1'],
  ],
  [
    'AAP reachable',
    { ...AP, type: 'aap-reachability', aap: 'ap-cafe', reachable: false },
    ['aap[ap-cafe].reachable=false'],
  ],
  ['AAP failover', { ...AP, type: 'aap-failover', from: 'ap-lobby', to: 'ap-cafe' }, ['aap.failovers=1']],
  [
    'AAP push retried',
    { ...AP, type: 'aap-push-retried', accessPoint: 'ap-lab', attempt: 2 },
    ['aap.pushRetries=1'],
  ],
  [
    'AP handed over',
    { ...AP, type: 'aap-ap-handed-over', accessPoint: 'ap-lab', to: 'ap-cafe' },
    ['aap.handovers=1'],
  ],
  [
    'AAP reconciled',
    { ...AP, type: 'aap-reconciled', peer: 'ap-cafe', rowsChanged: 3 },
    ['aap.reconciledRows=3', 'aap.reconciliations=1'],
  ],
  [
    'HA probe answered',
    { ...AP, type: 'ha-probe', homeAgent: '198.51.100.2', outcome: 'answered' },
    ['ha[ha-south].probesAnswered=1'],
  ],
  [
    'AAP message refused',
    { ...AP, type: 'aap-message-refused', reason: 'stale', peer: '192.0.2.8' },
    ['aap.refused.stale=1'],
  ],
];

describe('collector ingest', () => {
  it.each(cases)('%s moves exactly its counters', (_name, event, expected) => {
    const c = collector();
    c.ingest(event);
    expect(changes(c.snapshot())).toEqual([...expected].sort());
    expect(c.snapshot().self).toMatchObject({ eventsIngested: 1, eventsDropped: 0 });
  });

  it('covers every event type of the PmipEvent union', () => {
    const covered = new Set(cases.map(([, e]) => e.type));
    // Keep in step with src/pmip/events.ts: a new event type needs a row above.
    expect([...covered].sort()).toEqual(
      [
        'registration-sent',
        'reply-received',
        'registration-outcome',
        'time-sync',
        'security-violation',
        'reply-discarded',
        'client-moved',
        'client-state',
        'client-removed',
        'arp-sent',
        'advertisement-received',
        'agent-reboot-detected',
        'solicitation-sent',
        'request-received',
        'request-relayed',
        'reply-sent',
        'request-denied',
        'binding-created',
        'binding-renewed',
        'binding-removed',
        'binding-expired',
        'visitor-added',
        'visitor-removed',
        'reply-dropped',
        'advertisement-sent',
        'malformed-datagram',
        'subnet-map-updated',
        'aap-reachability',
        'aap-failover',
        'aap-push-retried',
        'aap-ap-handed-over',
        'aap-reconciled',
        'ha-probe',
        'aap-message-refused',
      ].sort(),
    );
  });

  it('drops events it cannot use and counts them', () => {
    const c = collector();
    c.ingest({ ...reply, code: 300 });
    c.ingest({ ...reply, code: 1.5 });
    c.ingest({ ...AP, type: 'no-such-event' } as unknown as PmipEvent);
    c.ingest({ ...AP, type: 'client-state' } as unknown as PmipEvent); // no client: must not throw
    expect(changes(c.snapshot())).toEqual([]);
    expect(c.snapshot().self).toMatchObject({ eventsIngested: 0, eventsDropped: 4 });
  });

  it('counts the scripted site as its script says', async () => {
    const site = await scriptedSite();
    const c = new Collector(site.collectorConfig);
    await site.run(c.ingest);
    const doc = statisticsDocument(c.snapshot());
    expect(doc.registrations).toMatchObject({
      sent: { initial: 10, renewal: 3, deregistration: 1 },
      retransmissions: 3,
      repliesReceived: 10,
      accepted: 7,
      deniedByHomeAgent: 2,
      deniedByForeignAgent: 1,
      deniedByCode: { '69': 1, '131': 1, '133': 1 },
      timeouts: 1,
    });
    expect(doc.timeSync.resyncs).toBe(1);
    expect(doc.moves).toEqual({ homeToForeign: 1, foreignToForeign: 1, foreignToHome: 1 });
    expect(doc.securityViolations['bad-authenticator']).toBe(1);
    expect(doc.accessPoints['ap-lab']!.registrations.deniedByCode).toEqual({ '133': 1 });
    expect(doc.mobileClientsByState).toEqual({ home: 1, registered: 3, pending: 0, isolated: 1, unknown: 1 });
    expect(doc.homeAgents['ha-north']!.timeSync.lastOffsetSeconds).toBe(2.5);
    expect(c.snapshot().self.eventsDropped).toBe(0);
    expect(c.snapshot().self.eventsIngested).toBe(scriptedSiteEvents().length);
  });
});

describe('collector bounds', () => {
  it('folds unconfigured nodes into "other" once the admitted maximum is reached', () => {
    const c = new Collector({ accessPoints: ['ap-1'], maxUnconfiguredNodes: 1, clock: () => T });
    for (const node of ['ap-1', 'ap-x', 'ap-y', 'ap-z']) c.ingest({ ...direct, node });
    const s = c.snapshot();
    expect(s.accessPoints.ids).toEqual(['ap-1', 'ap-x', 'other']);
    expect(changes(s)).toEqual([
      'ap[ap-1].requestsSent.initial=1',
      'ap[ap-x].requestsSent.initial=1',
      'ap[other].requestsSent.initial=2',
      'haSeen[198.51.100.1].requestsSent=4',
    ]);
    expect(s.self.eventsFolded).toBe(2);
  });

  it('admits no access point "link" for advertisements to the link (observed site): their agent has them', () => {
    const c = new Collector({ accessPoints: [], maxUnconfiguredNodes: 16, mode: 'observed', clock: () => T });
    const advert: AdvertisementReceivedEvent = {
      ...AP,
      node: 'link',
      type: 'advertisement-received',
      agent: '192.0.2.254',
      sequence: 300,
      registrationLifetime: 60,
      homeAgent: true,
      foreignAgent: true,
      careOfAddresses: ['192.0.2.254'],
      toLink: true,
    };
    c.ingest(advert);
    c.ingest({ ...advert, sequence: 301 });
    c.ingest({
      ...AP,
      node: 'link',
      type: 'agent-reboot-detected',
      agent: '192.0.2.254',
      previousSequence: 301,
      sequence: 0,
      toLink: true,
      foreignAgent: true,
    });
    const { toLink: _toLink, ...unicast } = advert;
    c.ingest({ ...unicast, node: '192.0.2.20', sequence: 1 });
    const s = c.snapshot();
    expect(s.accessPoints.ids).toEqual(['192.0.2.20']);
    expect(s.homeAgentsSeen.ids).toEqual([]);
    const doc = statisticsDocument(s);
    expect(doc.accessPoints['192.0.2.20']?.discovery.advertisementsReceived).toBe(1);
    expect(doc.foreignAgentsSeen['192.0.2.254']?.link).toEqual({ advertisements: 2, rebootsDetected: 1 });
    const text = renderSections(s).text;
    expect(text).not.toContain('access_point="link"');
    expect(text).toContain('pmip_foreign_agent_link_advertisements_total{foreign_agent="192.0.2.254"} 2\n');
    expect(text).toContain('pmip_foreign_agent_link_reboots_detected_total{foreign_agent="192.0.2.254"} 1\n');
    expect(text).not.toContain('pmip_home_agent_link_advertisements_total');
    expect(s.self).toMatchObject({ eventsIngested: 4, eventsDropped: 0 });
  });

  it('keeps label values bounded by configuration however many clients come', () => {
    const c = new Collector({ accessPoints: ['ap-1'], clock: () => T });
    for (let i = 0; i < 5000; i++) {
      const mac = `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      c.ingest({
        ...AP,
        node: 'ap-1',
        type: 'client-state',
        client: { mac, address: `10.0.${i >> 8}.${i & 255}` },
        ssid: 's',
        state: 'registered',
      });
      c.ingest({
        ...AP,
        node: 'ap-1',
        type: 'ha-probe',
        homeAgent: `10.9.${i >> 8}.${i & 255}`,
        outcome: 'sent',
      });
    }
    const s = c.snapshot();
    expect(s.accessPoints.ids).toEqual(['ap-1']);
    expect(s.homeAgents.ids).toEqual([]); // no agent hosted: probes are what the access points saw
    expect(s.homeAgentsSeen.ids).toEqual(['other']);
    expect(s.self.clientsTracked).toBe(5000);
  });

  it('drops a client after the idle time, by the injected clock', () => {
    let now = T;
    const c = new Collector({ accessPoints: ['ap-lobby'], clientIdleSeconds: 60, clock: () => now });
    c.ingest({
      ...AP,
      type: 'client-state',
      client,
      ssid: 'corp',
      state: 'registered',
      expiresAt: T + 600_000,
    });
    c.ingest({
      ...AP,
      type: 'client-state',
      client: { mac: '02:00:00:00:00:09', address: '10.0.0.9' },
      ssid: 'corp',
      state: 'pending',
    });
    now += 50_000;
    c.ingest({
      ...AP,
      type: 'client-state',
      client,
      ssid: 'corp',
      state: 'registered',
      expiresAt: T + 600_000,
    }); // alive
    now += 30_000;
    const s = c.snapshot();
    expect(s.clientsByState).toMatchObject({ registered: 1, pending: 0 });
    expect(s.self).toMatchObject({ clientsTracked: 1, clientsExpired: 1 });
    expect(c.clients()).toEqual([
      expect.objectContaining({
        mac: client.mac,
        state: 'registered',
        lifetimeLeftSeconds: 520,
        accessPoint: 'ap-lobby',
      }),
    ]);
  });

  it('tracks no more clients than the configured maximum', () => {
    const c = new Collector({ accessPoints: ['ap-1'], maxClients: 10, clock: () => T });
    for (let i = 0; i < 25; i++) {
      c.ingest({
        ...AP,
        node: 'ap-1',
        type: 'client-state',
        client: { mac: `m${i}`, address: `10.0.0.${i}` },
        ssid: 's',
        state: 'pending',
      });
    }
    expect(c.snapshot().self).toMatchObject({ clientsTracked: 10, clientsUntracked: 15 });
  });

  it('moves a client between access points and states without double counting', () => {
    const c = collector();
    c.ingest({ ...AP, type: 'client-state', client, ssid: 'corp', state: 'pending' });
    c.ingest({
      ...AP,
      node: 'ap-lab',
      type: 'client-state',
      client,
      ssid: 'corp',
      state: 'registered',
      lastCode: 0,
    });
    expect(changes(c.snapshot())).toEqual(['ap[ap-lab].clients=1', 'clients.registered=1']);
    expect(c.clients({ accessPoint: 'ap-lab', state: 'registered' })).toHaveLength(1);
    expect(c.clients({ accessPoint: 'ap-lobby' })).toHaveLength(0);
    c.ingest({ ...AP, type: 'client-removed', client });
    expect(changes(c.snapshot())).toEqual([]);
  });

  it('counts a move and takes the row from the client-state sent with it', () => {
    const c = collector();
    const row = { ...AP, type: 'client-state', client, ssid: 'corp', state: 'registered' } as const;
    c.ingest({ ...row, careOfAddress: '192.0.2.10' });
    c.ingest({
      ...AP,
      type: 'client-moved',
      client,
      movement: 'foreign-to-foreign',
      careOfAddress: '192.0.2.20',
    });
    expect(changes(c.snapshot())).toContain('ap[ap-lobby].movesForeignToForeign=1');
    // The move alone leaves the row as its last client-state gave it ...
    expect(c.clients()[0]).toMatchObject({ careOfAddress: '192.0.2.10' });
    // ... which the client-state that comes with the move replaces.
    c.ingest({ ...row, state: 'pending', careOfAddress: '192.0.2.20' });
    expect(c.clients()).toEqual([expect.objectContaining({ careOfAddress: '192.0.2.20', state: 'pending' })]);
  });

  it('drops bindings whose lifetime ran out long ago even without a removal event', () => {
    let now = T;
    const c = new Collector({
      accessPoints: [],
      homeAgents: ['ha-north'],
      clientIdleSeconds: 60,
      clock: () => now,
    });
    c.ingest({
      ...HA,
      type: 'binding-created',
      homeAddress: '10.0.0.1',
      careOfAddress: '192.0.2.1',
      lifetime: 30,
    });
    expect(c.bindings()).toEqual([
      expect.objectContaining({ agent: 'ha-north', peer: '192.0.2.1', lifetimeLeftSeconds: 30 }),
    ]);
    now += 91_000;
    expect(c.snapshot().homeAgents.bindings[0]).toBe(0);
  });

  it('rejects a configuration that names "other" or repeats an id', () => {
    expect(() => new Collector({ accessPoints: ['other'] })).toThrow(CollectorConfigError);
    expect(() => new Collector({ accessPoints: ['a', 'a'] })).toThrow(/accessPoints\[1\]: duplicate id "a"/);
  });

  it('never hands out more of an SA than its description, whatever the view returns', () => {
    const c = new Collector({
      accessPoints: [],
      views: {
        securityAssociations: () => [
          Object.assign(
            {
              spi: 256,
              algorithm: 'prefix-suffix' as const,
              replay: 'timestamp' as const,
              replayWindowSeconds: 7,
              scope: '10.0.0.1',
              source: 'local' as const,
            },
            { key: Buffer.from('00112233445566778899aabbccddeeff', 'hex') },
          ),
        ],
      },
    });
    expect(c.securityAssociations()).toEqual([
      {
        spi: 256,
        algorithm: 'prefix-suffix',
        replay: 'timestamp',
        replayWindowSeconds: 7,
        scope: '10.0.0.1',
        source: 'local',
      },
    ]);
  });
});
