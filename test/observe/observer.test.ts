/**
 * The wire observer on captures built here, one behaviour each: matching, retransmissions, relay
 * legs, timeouts on capture time, denials the sender used or ignored, resyncs, moves, kinds,
 * advertisements and reboots, authenticators with and without an SA, and bad input that is
 * counted and skipped. Captures go through the incremental reader in small pieces, as a pipe
 * would deliver them.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CaptureStreamReader } from '../../src/capture/stream.ts';
import { readCaptureFrames } from '../../src/capture/pcap.ts';
import { PcapWriter, pcapFileHeader, pcapRecord } from '../../src/capture/writer.ts';
import { Collector } from '../../src/collector/collector.ts';
import { renderSections } from '../../src/exporters/families/index.ts';
import { snapshotLines } from '../../src/exporters/influx/schema.ts';
import { statisticsPage } from '../../src/exporters/pages/statistics.ts';
import { statisticsDocument, type StatisticsDocument } from '../../src/exporters/statistics.ts';
import type { PmipEvent } from '../../src/pmip/events.ts';
import { LocalSecurityAssociations } from '../../src/pmip/security/store.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  advertisementFlags,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  encodeRegistration,
  makeIdentification,
  requestFlags,
} from '../../src/pmip/wire/index.ts';
import { WireObserver } from '../../src/observe/observer.ts';
import { feedObserver } from '../../src/observe/source.ts';

const MN = '10.1.0.20'; // the sender (a proxying access point)
const FA = '10.1.0.2';
const HA = '10.9.0.1';
const HOME = '10.9.5.5';
const COA = '10.1.0.2';
const T0 = 1_700_000_000_000; // ms
const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const SA = { spi: 256, key: KEY, algorithm: 'hmac-md5' as const };

const ntp = (ms: number, low: number) =>
  makeIdentification(Math.floor(ms / 1000) + NTP_UNIX_OFFSET_SECONDS, low);

class Capture {
  readonly w = new PcapWriter();
  request(
    at: number,
    o: {
      id: bigint;
      lifetime?: number;
      coa?: string;
      home?: string;
      src?: string;
      dst?: string;
      key?: Buffer;
    },
  ): void {
    const payload = encodeRegistration(
      {
        type: 'registration-request',
        flags: requestFlags(),
        lifetime: o.lifetime ?? 120,
        homeAddress: o.home ?? HOME,
        homeAgent: HA,
        careOfAddress: o.coa ?? COA,
        identification: o.id,
        extensions: [],
      },
      { ...SA, key: o.key ?? KEY },
    );
    this.w.addUdp(
      { src: o.src ?? MN, dst: o.dst ?? FA, srcPort: 50000, dstPort: 434, payload },
      BigInt(at) * 1_000_000n,
    );
  }
  reply(
    at: number,
    o: {
      id: bigint;
      code?: number;
      lifetime?: number;
      home?: string;
      src?: string;
      dst?: string;
      key?: Buffer;
    },
  ): void {
    const payload = encodeRegistration(
      {
        type: 'registration-reply',
        code: o.code ?? 0,
        lifetime: o.lifetime ?? 120,
        homeAddress: o.home ?? HOME,
        homeAgent: HA,
        identification: o.id,
        extensions: [],
      },
      { ...SA, key: o.key ?? KEY },
    );
    this.w.addUdp(
      { src: o.src ?? FA, dst: o.dst ?? MN, srcPort: 434, dstPort: 50000, payload },
      BigInt(at) * 1_000_000n,
    );
  }
  /** A quiet packet later on, to move capture time (an advertisement). */
  tick(at: number, sequence = 300): void {
    this.advertise(at, { sequence });
  }
  /** An agent advertisement (default: the foreign agent's, to the limited broadcast). */
  advertise(
    at: number,
    o: { sequence: number; src?: string; dst?: string; flags?: Parameters<typeof advertisementFlags>[0] },
  ): void {
    const src = o.src ?? FA;
    this.w.addIcmp(
      {
        src,
        dst: o.dst ?? '255.255.255.255',
        icmp: encodeAgentAdvertisement({
          type: 'agent-advertisement',
          icmpCode: 0,
          routerLifetime: 1800,
          routerAddresses: [{ address: src, preference: 0 }],
          sequence: o.sequence,
          registrationLifetime: 600,
          flags: advertisementFlags(o.flags ?? { F: true, R: true }),
          careOfAddresses: [COA],
          padding: 0,
        }),
      },
      BigInt(at) * 1_000_000n,
    );
  }
  buffer(): Buffer {
    return this.w.toBuffer();
  }
}

interface Observed {
  doc: StatisticsDocument;
  events: PmipEvent[];
  observer: WireObserver;
  collector: Collector;
}

async function observe(
  file: Buffer,
  o: { timeoutSeconds?: number; sas?: LocalSecurityAssociations; chunk?: number } = {},
): Promise<Observed> {
  const events: PmipEvent[] = [];
  const observer = new WireObserver({
    emit: (e) => {
      events.push(e);
      collector.ingest(e);
    },
    timeoutSeconds: o.timeoutSeconds ?? 8,
    ...(o.sas ? { securityAssociations: o.sas } : {}),
  });
  const collector = new Collector({
    accessPoints: [],
    maxUnconfiguredNodes: 16,
    mode: 'observed',
    clock: () => observer.now(),
    views: { observation: () => observer.statistics() },
  });
  const size = o.chunk ?? 7;
  const pieces: Buffer[] = [];
  for (let i = 0; i < file.length; i += size) pieces.push(file.subarray(i, i + size));
  await feedObserver(Readable.from(pieces), observer);
  return { doc: statisticsDocument(collector.snapshot()), events, observer, collector };
}

const outcomes = (events: PmipEvent[]) =>
  events.flatMap((e) => (e.type === 'registration-outcome' ? [e] : []));

describe('matching requests and replies', () => {
  it('an accepted reply ends the attempt with the round trip from capture timestamps', async () => {
    const c = new Capture();
    const id = ntp(T0, 7);
    c.request(T0, { id });
    c.reply(T0 + 42, { id, lifetime: 100 });
    const { doc, events } = await observe(c.buffer());
    expect(doc.mode).toBe('observed');
    expect(doc.registrations.sent.initial).toBe(1);
    expect(doc.registrations.outcomes.accepted).toBe(1);
    const o = outcomes(events);
    expect(o).toHaveLength(1);
    expect(o[0]).toMatchObject({
      node: MN,
      outcome: 'accepted',
      homeAgent: HA,
      foreignAgent: FA,
      transmissions: 1,
    });
    expect(o[0]!.roundTripSeconds).toBeCloseTo(0.042, 6);
    expect(doc.accessPoints[MN]?.registrations.accepted).toBe(1);
    expect(doc.homeAgentsSeen[HA]?.accepted).toBe(1);
    expect(doc.foreignAgentsSeen[FA]?.attempts).toBe(1);
  });

  it('a reply matches on the low 32 bits: a 133 carries the home agent time in the high half', async () => {
    const c = new Capture();
    const skewed = T0 + 3 * 3600_000; // the sender's clock is 3 h ahead
    const id1 = ntp(skewed, 11);
    c.request(T0, { id: id1 });
    c.reply(T0 + 5, { id: ntp(T0, 11), code: 133, lifetime: 0 });
    const id2 = ntp(T0, 12); // corrected at once
    c.request(T0 + 8, { id: id2 });
    c.reply(T0 + 12, { id: id2 });
    const { doc, events } = await observe(c.buffer());
    expect(doc.registrations.deniedByCode).toEqual({ '133': 1 });
    expect(doc.registrations.outcomes).toMatchObject({ denied: 1, accepted: 1 });
    expect(doc.timeSync.resyncs).toBe(1);
    const sync = events.find((e) => e.type === 'time-sync');
    expect(sync).toMatchObject({ mode: 'timestamp', homeAgent: HA });
    expect(sync?.type === 'time-sync' && sync.offsetSeconds).toBe(-3 * 3600);
  });

  it('retransmissions with fresh identifications are one attempt; the relay legs are not requests', async () => {
    const c = new Capture();
    const ids = [ntp(T0, 1), ntp(T0 + 1000, 2), ntp(T0 + 3000, 3)];
    c.request(T0, { id: ids[0]! });
    c.request(T0 + 1, { id: ids[0]!, src: FA, dst: HA }); // the foreign agent relays it
    c.request(T0 + 1000, { id: ids[1]! });
    c.request(T0 + 3000, { id: ids[2]! });
    c.request(T0 + 3001, { id: ids[2]!, src: FA, dst: HA });
    c.reply(T0 + 3010, { id: ids[2]!, src: HA, dst: FA }); // home agent to foreign agent
    c.reply(T0 + 3011, { id: ids[2]! });
    const { doc, events } = await observe(c.buffer());
    expect(doc.registrations.sent.initial).toBe(3);
    expect(doc.registrations.retransmissions).toBe(2);
    expect(doc.registrations.repliesReceived).toBe(1);
    expect(doc.registrations.attempts).toBe(1);
    expect(outcomes(events)[0]).toMatchObject({ outcome: 'accepted', transmissions: 3 });
    expect(outcomes(events)[0]!.roundTripSeconds).toBeCloseTo(0.011, 6);
    const obs = doc.observation as { messages: Record<string, number> };
    expect(obs.messages).toMatchObject({ requests: 3, relayedRequests: 2, replies: 1, relayedReplies: 1 });
  });

  it('of ten transmissions a reply may answer the first or the last seven, not those between', async () => {
    const sent = (c: Capture) => {
      for (let i = 0; i < 10; i++) c.request(T0 + i * 1000, { id: ntp(T0 + i * 1000, i + 1) });
    };
    // A late reply to the first transmission: matched, its round trip from the first.
    const first = new Capture();
    sent(first);
    first.reply(T0 + 9500, { id: ntp(T0, 1) });
    const a = await observe(first.buffer());
    expect(outcomes(a.events)).toHaveLength(1);
    expect(outcomes(a.events)[0]).toMatchObject({ outcome: 'accepted', transmissions: 10 });
    expect(outcomes(a.events)[0]!.roundTripSeconds).toBeCloseTo(9.5, 6);
    // To the fourth (the oldest retransmission still kept): from the fourth.
    const fourth = new Capture();
    sent(fourth);
    fourth.reply(T0 + 9500, { id: ntp(T0 + 3000, 4) });
    const b = await observe(fourth.buffer());
    expect(outcomes(b.events)[0]!.roundTripSeconds).toBeCloseTo(6.5, 6);
    // To the second: no longer kept, so not this attempt's (discarded; the attempt times out).
    const second = new Capture();
    sent(second);
    second.reply(T0 + 9500, { id: ntp(T0 + 1000, 2) });
    second.tick(T0 + 20_000);
    const c = await observe(second.buffer());
    expect(c.events.filter((e) => e.type === 'reply-discarded')).toEqual([
      expect.objectContaining({ reason: 'invalid-identification' }),
    ]);
    expect(outcomes(c.events)).toEqual([expect.objectContaining({ outcome: 'timeout', transmissions: 10 })]);
  });

  it("a replaced attempt's late relay leg and replies stay its own: no attempt from the foreign agent", async () => {
    // The client leaves MN's cell for home just as MN retransmits: its home access point HOME_AP
    // deregisters it with the home agent directly, and the foreign agent's relay of MN's
    // retransmission (and the home agent's answer to it) come after that deregistration.
    const HOME_AP = '10.9.5.1';
    const c = new Capture();
    const [first, again, dereg] = [ntp(T0, 1), ntp(T0 + 1000, 2), ntp(T0 + 1000, 3)];
    c.request(T0, { id: first });
    c.request(T0 + 1, { id: first, src: FA, dst: HA });
    c.request(T0 + 1000, { id: again });
    c.request(T0 + 1001, { id: dereg, src: HOME_AP, dst: HA, lifetime: 0 });
    c.request(T0 + 1002, { id: again, src: FA, dst: HA }); // the relay, after the replacement
    c.reply(T0 + 1010, { id: again, src: HA, dst: FA }); // its reply's relay leg
    c.reply(T0 + 1011, { id: again }); // and its copy for MN, whose attempt is gone
    c.reply(T0 + 1020, { id: dereg, src: HA, dst: HOME_AP, lifetime: 0 });
    const { doc, events } = await observe(c.buffer());
    // Every transmission by kind: MN's two (one a retransmission) and the deregistration.
    expect(doc.registrations.sent).toMatchObject({ initial: 2, renewal: 0, deregistration: 1 });
    expect(doc.registrations.retransmissions).toBe(1);
    const obs = doc.observation as {
      messages: Record<string, number>;
      attempts: { replaced: number };
    };
    expect(obs.messages).toMatchObject({ requests: 3, relayedRequests: 2, replies: 2, relayedReplies: 1 });
    expect(obs.attempts.replaced).toBe(1);
    expect(Object.keys(doc.accessPoints).sort()).toEqual([MN, HOME_AP].sort());
    expect(outcomes(events)).toEqual([
      expect.objectContaining({
        node: HOME_AP,
        outcome: 'accepted',
        kind: 'deregistration',
        transmissions: 1,
      }),
    ]);
    expect(events.filter((e) => e.type === 'reply-discarded')).toEqual([
      expect.objectContaining({ node: MN, reason: 'no-pending-request' }),
    ]);
  });

  it('no reply: a timeout after the wait, judged on capture time (not wall clock)', async () => {
    const c = new Capture();
    c.request(T0, { id: ntp(T0, 1) });
    c.request(T0 + 1000, { id: ntp(T0 + 1000, 2) });
    c.tick(T0 + 8999); // not yet: 8 s after the last transmission
    c.tick(T0 + 9000);
    const { doc, events } = await observe(c.buffer(), { timeoutSeconds: 8 });
    expect(doc.registrations.timeouts).toBe(1);
    const o = outcomes(events);
    expect(o).toHaveLength(1);
    expect(o[0]).toMatchObject({ outcome: 'timeout', transmissions: 2, time: T0 + 9000 });
  });

  it('an attempt still waiting at the end of the capture is not counted', async () => {
    const c = new Capture();
    c.request(T0, { id: ntp(T0, 1) });
    c.tick(T0 + 2000);
    const { doc } = await observe(c.buffer());
    expect(doc.registrations.attempts).toBe(0);
    expect((doc.observation as { attempts: { inProgress: number } }).attempts.inProgress).toBe(1);
  });

  it('a denial the sender used stands (no retransmission until the timeout): denied', async () => {
    const c = new Capture();
    c.request(T0, { id: ntp(T0, 1) });
    c.reply(T0 + 3, { id: ntp(T0, 1), code: 129, lifetime: 0 });
    c.tick(T0 + 20_000);
    const { doc } = await observe(c.buffer());
    expect(doc.registrations.outcomes.denied).toBe(1);
    expect(doc.registrations.deniedByCode).toEqual({ '129': 1 });
    expect(doc.homeAgentsSeen[HA]?.deniedByCode).toEqual({ '129': 1 });
  });

  it('a 69 then a request with a shorter lifetime: the denial stands and a new attempt starts', async () => {
    const c = new Capture();
    c.request(T0, { id: ntp(T0, 1), lifetime: 120 });
    c.reply(T0 + 2, { id: ntp(T0, 1), code: 69, lifetime: 40 });
    c.request(T0 + 4, { id: ntp(T0, 2), lifetime: 40 });
    c.reply(T0 + 6, { id: ntp(T0, 2), lifetime: 40 });
    const { doc, events } = await observe(c.buffer());
    expect(doc.registrations.deniedByCode).toEqual({ '69': 1 });
    expect(doc.registrations.deniedByForeignAgent).toBe(1);
    expect(doc.registrations.outcomes).toMatchObject({ denied: 1, accepted: 1 });
    expect(doc.foreignAgentsSeen[FA]?.deniedByCode).toEqual({ '69': 1 });
    expect(outcomes(events).map((o) => o.kind)).toEqual(['initial', 'initial']);
    const obs = doc.observation as {
      lifetimes: { requested: Record<string, number>; granted: Record<string, number> };
    };
    expect(obs.lifetimes).toEqual({ requested: { '40': 1, '120': 1 }, granted: { '40': 2 } });
  });

  it('a sender that retransmits unchanged after a denial could not use it: unauthenticated, claiming the code', async () => {
    const c = new Capture();
    for (const [k, at] of [0, 1000, 3000, 7000].entries()) {
      c.request(T0 + at, { id: ntp(T0 + at, k + 1) });
      c.reply(T0 + at + 2, { id: ntp(T0 + at, k + 1), code: 131, lifetime: 0 });
    }
    c.tick(T0 + 15_100);
    const { doc, events } = await observe(c.buffer());
    expect(doc.registrations.outcomes.unauthenticated).toBe(1);
    expect(doc.registrations.outcomes.denied).toBe(0);
    expect(doc.registrations.deniedByCode).toEqual({});
    expect(doc.homeAgentsSeen[HA]?.unauthenticatedByClaimedCode).toEqual({ '131': 1 });
    expect(outcomes(events)[0]).toMatchObject({
      outcome: 'unauthenticated',
      code: 131,
      reason: 'other',
      transmissions: 4,
    });
  });
});

describe('probes and abandoned attempts', () => {
  it('a request with a reserved SPI is a home agent probe, never a client or an attempt', async () => {
    const c = new Capture();
    const payload = encodeRegistration(
      {
        type: 'registration-request',
        flags: requestFlags(),
        lifetime: 1,
        homeAddress: HA,
        homeAgent: HA,
        careOfAddress: HA,
        identification: makeIdentification(1, 99),
        extensions: [],
      },
      { spi: 1, key: Buffer.alloc(16, 3), algorithm: 'prefix-suffix' },
    );
    c.w.addUdp(
      { src: MN, dst: '10.9.255.255', srcPort: 6500, dstPort: 434, payload },
      BigInt(T0) * 1_000_000n,
    );
    c.reply(T0 + 2, { id: makeIdentification(5, 99), code: 131, lifetime: 0, home: HA, src: HA, dst: MN });
    c.tick(T0 + 20_000);
    const { doc, events } = await observe(c.buffer());
    expect(doc.registrations.attempts).toBe(0);
    expect(doc.registrations.sent).toEqual({ initial: 0, renewal: 0, deregistration: 0 });
    expect(doc.moves.homeToForeign).toBe(0);
    expect(
      events.filter((e) => e.type === 'ha-probe').map((e) => e.type === 'ha-probe' && e.outcome),
    ).toEqual(['sent', 'answered']);
    expect((doc.observation as { messages: Record<string, number> }).messages).toMatchObject({
      probes: 1,
      probesAnswered: 1,
      requests: 0,
      replies: 0,
    });
  });

  it('a sender that stops retransmitting before its usual count gave the attempt up: not a timeout', async () => {
    const c = new Capture();
    // A full attempt of four transmissions teaches the sender's limit ...
    for (const [k, at] of [0, 1000, 3000, 7000].entries()) c.request(T0 + at, { id: ntp(T0 + at, k + 1) });
    c.tick(T0 + 15_100);
    // ... then another client's attempt stops after two (its client left): abandoned.
    c.request(T0 + 20_000, { id: ntp(T0 + 20_000, 9), home: '10.9.5.6' });
    c.request(T0 + 21_000, { id: ntp(T0 + 21_000, 10), home: '10.9.5.6' });
    c.tick(T0 + 40_000);
    const { doc } = await observe(c.buffer());
    expect(doc.registrations.timeouts).toBe(1);
    expect((doc.observation as { attempts: { abandoned: number } }).attempts.abandoned).toBe(1);
  });
});

describe('a slow denial', () => {
  it('a denial arriving just before the next retransmission is still one the sender ignored', async () => {
    const c = new Capture();
    for (const [k, at] of [0, 1000, 3000, 7000].entries()) {
      c.request(T0 + at, { id: ntp(T0 + at, k + 1) });
      c.reply(T0 + at + 700, { id: ntp(T0 + at, k + 1), code: 131, lifetime: 0 }); // 0.7 s late
    }
    c.tick(T0 + 15_100);
    const { doc } = await observe(c.buffer());
    expect(doc.registrations.outcomes).toMatchObject({ unauthenticated: 1, denied: 0 });
    expect(doc.registrations.retransmissions).toBe(3);
  });
});

describe('kinds and moves from what was seen before', () => {
  it('initial, then renewal within the granted lifetime, then deregistration; moves home-to-foreign, foreign-to-foreign, foreign-to-home', async () => {
    const c = new Capture();
    c.request(T0, { id: ntp(T0, 1) });
    c.reply(T0 + 2, { id: ntp(T0, 1), lifetime: 100 });
    c.request(T0 + 80_000, { id: ntp(T0 + 80_000, 2) }); // renewal
    c.reply(T0 + 80_002, { id: ntp(T0 + 80_000, 2), lifetime: 100 });
    const other = '10.2.0.2';
    c.request(T0 + 90_000, { id: ntp(T0 + 90_000, 3), coa: other, src: '10.2.0.20', dst: other }); // moved
    c.reply(T0 + 90_002, { id: ntp(T0 + 90_000, 3), src: other, dst: '10.2.0.20' });
    c.request(T0 + 95_000, { id: ntp(T0 + 95_000, 4), lifetime: 0, coa: HOME, src: '10.9.0.20', dst: HA }); // home
    c.reply(T0 + 95_002, { id: ntp(T0 + 95_000, 4), lifetime: 0, src: HA, dst: '10.9.0.20' });
    const { doc, events } = await observe(c.buffer());
    expect(doc.registrations.sent).toEqual({ initial: 2, renewal: 1, deregistration: 1 });
    expect(doc.moves).toEqual({ homeToForeign: 1, foreignToForeign: 1, foreignToHome: 1 });
    expect((doc.observation as { attempts: { firstSightMoves: number } }).attempts.firstSightMoves).toBe(1);
    expect(outcomes(events).every((o) => o.outcome === 'accepted')).toBe(true);
    const dereg = outcomes(events).at(-1)!;
    expect(dereg.kind).toBe('deregistration');
    expect(dereg.foreignAgent).toBeUndefined();
    expect(doc.mobileClientsByState.home).toBe(1);
  });

  it('a client that moves to another sender while waiting: the old attempt is replaced, not counted', async () => {
    const c = new Capture();
    c.request(T0, { id: ntp(T0, 1) });
    c.request(T0 + 2000, { id: ntp(T0 + 2000, 2), src: '10.1.0.21' });
    c.reply(T0 + 2003, { id: ntp(T0 + 2000, 2), dst: '10.1.0.21' });
    const { doc } = await observe(c.buffer());
    expect(doc.registrations.attempts).toBe(1);
    expect((doc.observation as { attempts: { replaced: number } }).attempts.replaced).toBe(1);
  });
});

describe('authenticators', () => {
  it('with an SA, a reply that fails verification never ends the attempt; without, not checked', async () => {
    const c = new Capture();
    const id = ntp(T0, 1);
    c.request(T0, { id });
    c.reply(T0 + 1, { id, key: Buffer.alloc(16, 7) }); // forged
    c.tick(T0 + 9000);
    const sas = new LocalSecurityAssociations([
      {
        address: HOME,
        spi: 256,
        keyHex: KEY.toString('hex'),
        algorithm: 'hmac-md5',
        replay: 'timestamp',
        replayWindowSeconds: 7,
      },
    ]);
    const checked = await observe(c.buffer(), { sas });
    expect(checked.doc.registrations.outcomes).toMatchObject({ accepted: 0, unauthenticated: 1 });
    expect(checked.doc.securityViolations['bad-authenticator']).toBe(1);
    expect((checked.doc.observation as { authentication: object }).authentication).toEqual({
      verified: 1,
      failed: 1,
      notChecked: 0,
    });
    const unchecked = await observe(c.buffer());
    expect(unchecked.doc.registrations.outcomes.accepted).toBe(1);
    expect((unchecked.doc.observation as { authentication: object }).authentication).toEqual({
      verified: 0,
      failed: 0,
      notChecked: 2,
    });
    // No key material anywhere in what the observer reports.
    expect(JSON.stringify(checked.doc)).not.toContain(KEY.toString('hex'));
    expect(JSON.stringify(checked.events)).not.toContain(KEY.toString('hex'));
  });
});

describe('agent discovery', () => {
  it('advertisements and solicitations are counted; a sequence back below 256 is a reboot', async () => {
    const c = new Capture();
    c.tick(T0, 300);
    c.tick(T0 + 1000, 301);
    c.tick(T0 + 2000, 0); // restarted (RFC 5944 section 2.1.1)
    c.w.addIcmp(
      { src: MN, dst: '255.255.255.255', icmp: encodeAgentSolicitation() },
      BigInt(T0 + 2500) * 1_000_000n,
    );
    const { doc } = await observe(c.buffer());
    // The advertisements went to the broadcast address: counted for the foreign agent that sent
    // them, not for an access point.
    expect(doc.discovery).toEqual({
      solicitationsSent: 1,
      advertisementsReceived: 0,
      agentRebootsDetected: 0,
    });
    expect(doc.foreignAgentsSeen[FA]?.link).toEqual({ advertisements: 3, rebootsDetected: 1 });
    expect((doc.observation as { agentSequenceRestarts: number }).agentSequenceRestarts).toBe(1);
  });

  it('advertisements to the link count for their agent, never as an access point "link"; unicast ones at their receiver', async () => {
    const HA2 = '10.9.0.7';
    const c = new Capture();
    c.advertise(T0, { sequence: 300 });
    c.advertise(T0 + 500, { sequence: 301, dst: MN }); // unicast, answering a solicitation (RFC 5944 section 2.4)
    c.advertise(T0 + 1000, { sequence: 302, dst: '224.0.0.1' }); // all-systems multicast
    c.advertise(T0 + 1500, { sequence: 5, src: HA2, dst: '224.0.0.1', flags: { H: true } }); // a home agent only
    c.advertise(T0 + 2000, { sequence: 0 }); // the foreign agent restarted, seen on the link
    c.advertise(T0 + 3000, { sequence: 400 });
    c.advertise(T0 + 13_000, { sequence: 2, dst: MN }); // restarted again, seen at the sender
    const { doc, events, collector } = await observe(c.buffer());

    const adverts = events.flatMap((e) => (e.type === 'advertisement-received' ? [e] : []));
    expect(adverts.map((e) => [e.node, e.toLink ?? false])).toEqual([
      ['link', true],
      [MN, false],
      ['link', true],
      ['link', true],
      ['link', true],
      ['link', true],
      [MN, false],
    ]);
    const reboots = events.flatMap((e) => (e.type === 'agent-reboot-detected' ? [e] : []));
    expect(reboots.map((e) => [e.node, e.toLink ?? false, e.sequence])).toEqual([
      ['link', true, 0],
      [MN, false, 2],
    ]);

    const s = collector.snapshot();
    expect(s.accessPoints.ids).toEqual([MN]);
    expect(Object.keys(doc.accessPoints)).toEqual([MN]);
    expect(doc.accessPoints[MN]?.discovery).toEqual({
      solicitationsSent: 0,
      advertisementsReceived: 2,
      agentRebootsDetected: 1,
    });
    expect(doc.foreignAgentsSeen[FA]?.link).toEqual({ advertisements: 4, rebootsDetected: 1 });
    expect(doc.homeAgentsSeen[HA2]?.link).toEqual({ advertisements: 1, rebootsDetected: 0 });
    expect(doc.foreignAgentsSeen[HA2]).toBeUndefined();
    // Every advertisement on the wire is counted once: at its receiver or for its agent.
    const total = (doc.observation as { messages: { advertisements: number } }).messages.advertisements;
    expect(total).toBe(7);
    expect(doc.discovery.advertisementsReceived + 4 + 1).toBe(total);
    // The overview names the restart: the latest of the agent, its role known from the first.
    expect(collector.health().agentRestarts).toEqual([
      {
        agent: FA,
        name: FA,
        role: 'foreign-agent',
        seenBy: [MN],
        time: T0 + 13_000,
        previousSequence: 400,
        sequence: 2,
        count: 2,
      },
    ]);

    const metrics = renderSections(s).text;
    expect(metrics).not.toContain('access_point="link"');
    expect(metrics).toContain(`pmip_mn_advertisements_received_total{access_point="${MN}"} 2\n`);
    expect(metrics).toContain(`pmip_mn_agent_reboots_detected_total{access_point="${MN}"} 1\n`);
    expect(metrics).toContain(`pmip_foreign_agent_link_advertisements_total{foreign_agent="${FA}"} 4\n`);
    expect(metrics).toContain(`pmip_foreign_agent_link_reboots_detected_total{foreign_agent="${FA}"} 1\n`);
    expect(metrics).toContain(`pmip_home_agent_link_advertisements_total{home_agent="${HA2}"} 1\n`);
    expect(metrics).toContain(`pmip_home_agent_link_reboots_detected_total{home_agent="${HA2}"} 0\n`);
    // The home agent advertised to the link only: no foreign agent series of its own.
    expect(metrics).not.toContain(`foreign_agent="${HA2}"`);

    // The Statistics page's agents table and the InfluxDB points carry the same figures.
    const page = statisticsPage(doc);
    expect(page).toContain('Advertisements to the link');
    const cell = (path: string[]) => `data-stat="${JSON.stringify(path)}">`;
    const unescaped = page.replaceAll('&quot;', '"');
    expect(unescaped).toContain(`${cell(['foreignAgentsSeen', FA, 'link', 'advertisements'])}4<`);
    expect(unescaped).toContain(`${cell(['foreignAgentsSeen', FA, 'link', 'rebootsDetected'])}1<`);
    expect(unescaped).toContain(`${cell(['homeAgentsSeen', HA2, 'link', 'advertisements'])}1<`);
    const lines = snapshotLines(s, 'lab');
    expect(lines.some((l) => l.startsWith('pmip_access_point,') && l.includes('access_point=link'))).toBe(
      false,
    );
    const faLine = lines.find((l) => l.startsWith(`pmip_foreign_agent,site=lab,foreign_agent=${FA} `));
    expect(faLine).toMatch(/link_advertisements=4i,link_reboots_detected=1i/);
    const haLine = lines.find((l) => l.startsWith(`pmip_home_agent,site=lab,home_agent=${HA2} `));
    expect(haLine).toMatch(/link_advertisements=1i,link_reboots_detected=0i/);
  });
});

describe('bad input is counted and skipped, never fatal', () => {
  it('garbage on the port, a snap-length cut, a later IP fragment, another link type, a cut capture', async () => {
    const c = new Capture();
    c.w.addUdp(
      { src: MN, dst: FA, srcPort: 50000, dstPort: 434, payload: Buffer.from([0x77, 1, 2]) },
      BigInt(T0) * 1_000_000n,
    );
    const id = ntp(T0, 5);
    c.request(T0 + 10, { id });
    c.reply(T0 + 20, { id });
    let file = c.buffer();
    // A request cut by the snap length.
    const cut = new PcapWriter({ snaplen: 60, startNs: BigInt(T0 + 30) * 1_000_000n });
    const payload = encodeRegistration(
      {
        type: 'registration-request',
        flags: requestFlags(),
        lifetime: 10,
        homeAddress: '10.9.5.6',
        homeAgent: HA,
        careOfAddress: COA,
        identification: 1n,
        extensions: [],
      },
      SA,
    );
    cut.addUdp({ src: MN, dst: FA, srcPort: 1, dstPort: 434, payload });
    // A later fragment: IPv4 with fragment offset 10 (the writer's header, patched), UDP.
    const frag = new PcapWriter({ startNs: BigInt(T0 + 40) * 1_000_000n });
    frag.addUdp({ src: MN, dst: FA, srcPort: 1, dstPort: 434, payload });
    const fragBuf = frag.toBuffer();
    fragBuf.writeUInt16BE(10, 24 + 16 + 14 + 6); // pcap header, record header, Ethernet, flags/offset
    const odd = pcapRecord(Buffer.alloc(40, 1), BigInt(T0 + 50) * 1_000_000n);
    file = Buffer.concat([file, cut.toBuffer().subarray(24), fragBuf.subarray(24)]);
    const { doc } = await observe(file);
    expect(doc.registrations.outcomes.accepted).toBe(1);
    const obs = doc.observation as { skipped: Record<string, number> };
    expect(obs.skipped).toMatchObject({ malformed: 1, truncated: 1, 'ip-fragment': 1 });
    expect(doc.malformedDatagrams.map((m) => m.errorKind).sort()).toEqual(['truncated', 'unknown-type']);

    // Another link type (a whole file of it), and a capture cut inside a record.
    const other = Buffer.concat([pcapFileHeader({ linkType: 147 }), odd]);
    const r1 = await observe(other);
    expect((r1.doc.observation as { skipped: Record<string, number> }).skipped['unsupported-link-type']).toBe(
      1,
    );
    const r2 = await observe(file.subarray(0, file.length - 5));
    expect(r2.doc.registrations.outcomes.accepted).toBe(1);
    expect((r2.doc.observation as { skipped: Record<string, number> }).skipped.truncated).toBe(2);
    const r3 = await observe(Buffer.from('this is not a capture file at all'));
    expect((r3.doc.observation as { skipped: Record<string, number> }).skipped['capture-error']).toBe(1);
  });
});

describe('the incremental reader', () => {
  it('gives the frames of the whole-buffer reader for any chunking (pcap)', () => {
    const c = new Capture();
    for (let i = 0; i < 20; i++) c.request(T0 + i * 10, { id: BigInt(i) });
    const file = c.buffer();
    const whole = [...readCaptureFrames(file)].map((f) => [
      f.frame,
      f.fileOffset,
      f.timestampNs,
      f.data.toString('hex'),
    ]);
    for (const size of [1, 3, 64, 1000, file.length]) {
      const r = new CaptureStreamReader();
      const got = [];
      for (let i = 0; i < file.length; i += size) got.push(...r.push(file.subarray(i, i + size)));
      expect(got.map((f) => [f.frame, f.fileOffset, f.timestampNs, f.data.toString('hex')])).toEqual(whole);
      expect(r.end().leftoverBytes).toBe(0);
    }
  });
});
