import { afterEach, describe, expect } from 'vitest';
import type { PmipEvent } from '../../../src/pmip/events.ts';
import { UdpEndpoint, type Peer } from '../../../src/pmip/runtime/udp.ts';
import { openAapDatagram, type AapEnvelope } from '../../../src/pmip/aap/codec/index.ts';
import { samePeer } from '../../../src/pmip/aap/endpoint.ts';
import { advanceWithIo } from '../../support/wait.ts';
import { GROUP_KEY, Site, type AccessPointHandle, siteTest, type SiteFixtures } from './site.ts';

/**
 * A datagram is for the node it names (receiver id under the HMAC), and its sequence number is
 * counted per (sender, receiver): captured on its way to one node and replayed to another, it is
 * refused as wrong-receiver; replayed to the node it was for, as stale. Real UDP on 127.65.8.x;
 * the "attacker" is a plain socket that replays captured bytes unchanged.
 */
const NET = 8;
const it = siteTest(NET);
const ROGUE = `127.65.${NET}.200`;
const MASK_24 = '255.255.255.0';
const KEY = Buffer.from(GROUP_KEY);

const rogues: UdpEndpoint[] = [];

afterEach(async () => {
  for (const r of rogues.splice(0)) await r.close();
});

async function rogueAt(address: string, port = 0): Promise<UdpEndpoint> {
  const r = await UdpEndpoint.bind({ address, port, onDatagram: () => undefined });
  rogues.push(r);
  return r;
}

interface Captured {
  payload: Buffer;
  env: AapEnvelope;
}

function open(payload: Buffer): Captured {
  return { payload, env: openAapDatagram(payload, KEY) };
}

function refusals(
  s: Site,
  node: string,
  since: number,
): Array<Extract<PmipEvent, { type: 'aap-message-refused' }>> {
  return s.log.events
    .slice(since)
    .filter((e): e is Extract<PmipEvent, { type: 'aap-message-refused' }> => e.type === 'aap-message-refused')
    .filter((e) => e.node === node);
}

/** What an access point's subnet map state looks like from outside (lastSeen left out). */
function apState(ap: AccessPointHandle): unknown {
  const { fullTablesLoaded, unchangedAnswers, updatesApplied, acknowledgementsSent, resyncs } =
    ap.client.stats();
  return {
    digest: ap.table.digest(),
    version: ap.table.version,
    rows: Site.rowsOf(ap.table),
    counters: { fullTablesLoaded, unchangedAnswers, updatesApplied, acknowledgementsSent, resyncs },
    status: ap.client.status(),
  };
}

function acksSentSince(ap: AccessPointHandle, since: number): number {
  return ap.cable.sent.slice(since).filter((d) => open(d.payload).env.message.type === 'ack').length;
}

/**
 * One AAP and access points A (10.1.0.0/24) and B (10.2.0.0/24). A joins first, so the first
 * whole table A got holds only A's row; then a row comes and goes. A has received a full table,
 * an update of its own (B's row) and two updates it shares with B.
 */
async function twoAccessPoints(
  createSite: SiteFixtures['createSite'],
): Promise<{ s: Site; a: AccessPointHandle; b: AccessPointHandle }> {
  const s = await createSite(1);
  await s.startAaps();
  const aap = s.aap(0);
  const a = await s.startAp('ap-a', 1, { address: '10.1.0.1', mask: MASK_24 });
  await s.drive(() => a.table.size === 1, 1000, 'A loaded');
  const b = await s.startAp('ap-b', 2, { address: '10.2.0.1', mask: MASK_24 });
  await s.drive(() => a.table.size === 2 && b.table.size === 2, 1000, 'B loaded, A updated');
  aap.addRow('10.7.0.1', MASK_24);
  await s.drive(() => a.table.size === 3 && b.table.size === 3, 1000, 'row added');
  aap.removeRow('10.7.0.1', MASK_24);
  await s.drive(
    () => a.table.size === 2 && b.table.size === 2 && aap.unacknowledged === 0,
    1000,
    'row removed, every update acknowledged',
  );
  return { s, a, b };
}

function receivedFrom(ap: AccessPointHandle, peer: Peer): Captured[] {
  return ap.cable.received.filter((d) => samePeer(d.from, peer)).map((d) => open(d.payload));
}

describe('the receiver of a subnet map datagram is authenticated (real UDP)', () => {
  it('refuses reports captured on their way to AAP 1 and replayed to AAP 2; AAP 2 records no access point', async ({
    createSite,
  }) => {
    const s = await createSite(2);
    await s.startAaps();
    const [aap1, aap2] = [s.aap(0), s.aap(1)];
    const [peer1, peer2] = [s.aapPeers[0]!, s.aapPeers[1]!];
    const ap1 = await s.startAp('ap-1', 1, { address: '10.1.0.1', mask: MASK_24 });
    // ap-2 knows its AAPs by endpoint only, as `run --config` configures them: it names AAP 1
    // by its address and port, which AAP 1 answers to as well.
    const ap2 = await s.startAp(
      'ap-2',
      2,
      { address: '10.2.0.1', mask: MASK_24 },
      { aaps: s.aapPeers.map(({ address, port }) => ({ address, port })) },
    );
    await s.drive(() => ap1.table.size === 2 && ap2.table.size === 2, 1000, 'both tables loaded');
    aap1.addRow('10.7.0.1', MASK_24);
    await s.drive(
      () => ap1.table.size === 3 && ap2.table.size === 3 && aap1.unacknowledged === 0,
      1000,
      'row pushed and acknowledged',
    );
    await advanceWithIo(s.scheduler, 3000); // three report periods more
    expect(aap1.accessPoints().map((a) => a.id)).toEqual(['ap-1', 'ap-2']);

    const toAap1 = [ap1, ap2].flatMap((ap) =>
      ap.cable.sent.filter((d) => samePeer(d.to, peer1)).map((d) => open(d.payload)),
    );
    const reports = toAap1.filter((d) => d.env.message.type === 'report');
    expect(reports.length).toBeGreaterThanOrEqual(6);
    expect(toAap1.some((d) => d.env.message.type === 'ack')).toBe(true);
    expect(ap1.cable.sent.some((d) => samePeer(d.to, peer2))).toBe(false); // AAP 2 never heard of them

    const before = {
      aps: aap2.accessPoints(),
      table: [aap2.digest(), aap2.table.version],
      reports: aap2.stats().reportsReceived,
      acks: aap2.stats().updatesAcknowledged,
    };
    expect(before.aps).toEqual([]);
    const since = s.log.events.length;
    const rogue = await rogueAt(ROGUE);
    for (const d of toAap1) rogue.send(d.payload, peer2);
    await advanceWithIo(s.scheduler, 100);

    // Nothing changed at AAP 2: in particular no access point recorded at the replayer's endpoint.
    expect(aap2.accessPoints()).toEqual(before.aps);
    expect([aap2.digest(), aap2.table.version]).toEqual(before.table);
    expect(aap2.stats().reportsReceived).toBe(before.reports);
    expect(aap2.stats().updatesAcknowledged).toBe(before.acks);
    // Every one refused and counted as addressed to another node.
    const refused = refusals(s, 'aap-2', since);
    expect(refused).toHaveLength(toAap1.length);
    expect(refused.every((e) => e.reason === 'wrong-receiver' && e.peer === ROGUE)).toBe(true);
    expect(aap2.stats().refused).toEqual({
      unauthenticated: 0,
      stale: 0,
      malformed: 0,
      unknownPeer: 0,
      wrongReceiver: toAap1.length,
    });
    // AAP 1 did not notice.
    expect(aap1.accessPoints().map((a) => [a.id, a.address])).toEqual([
      ['ap-1', ap1.client.address],
      ['ap-2', ap2.client.address],
    ]);
    expect(aap1.stats().refused.wrongReceiver).toBe(0);
    // What made them refusable: each names AAP 1, by its id or, when the AP is not configured
    // with the id, by its endpoint.
    expect(new Set(toAap1.map((d) => `${d.env.senderId}->${d.env.receiverId}`))).toEqual(
      new Set(['ap-1->aap-1', `ap-2->${peer1.address}:${peer1.port}`]),
    );
  });

  it('refuses tables and updates pushed to access point A and replayed into access point B', async ({
    createSite,
  }) => {
    const { s, a, b } = await twoAccessPoints(createSite);
    const aapPeer = s.aapPeers[0]!;
    const toA = receivedFrom(a, aapPeer);
    const tables = toA.filter((d) => d.env.message.type === 'table');
    const updates = toA.filter((d) => d.env.message.type === 'update');
    expect(tables.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBe(3);
    // A's first whole table predates B: applied at B it would take B's own row away.
    const first = tables[0]!.env.message;
    expect(first.type === 'table' && !first.unchanged && first.totalRows === 1).toBe(true);

    const before = apState(b);
    const sentBefore = b.cable.sent.length;
    const since = s.log.events.length;
    // The attacker speaks from the AAP's endpoint (a forged source address; on loopback: the
    // AAP's port, taken once the AAP is gone), where B accepts tables and updates from.
    await s.stopAap(0);
    const rogue = await rogueAt(aapPeer.address, aapPeer.port);
    const bPeer = { address: b.client.address, port: b.client.port };
    for (const d of [...updates, ...tables]) rogue.send(d.payload, bPeer);
    await advanceWithIo(s.scheduler, 100);

    expect(apState(b)).toEqual(before);
    expect(b.table.match('10.2.0.5')?.homeAgent).toBe('10.2.0.1');
    expect(b.table.match('10.7.0.5')).toBeUndefined();
    expect(acksSentSince(b, sentBefore)).toBe(0);
    const refused = refusals(s, 'ap-b', since);
    expect(refused).toHaveLength(toA.length);
    expect(refused.every((e) => e.reason === 'wrong-receiver' && e.peer === aapPeer.address)).toBe(true);
    expect(b.client.stats().refused).toEqual({
      unauthenticated: 0,
      stale: 0,
      malformed: 0,
      unknownPeer: 0,
      wrongReceiver: toA.length,
    });
    expect(toA.every((d) => d.env.receiverId === 'ap-a')).toBe(true);
  });

  it('numbers datagrams per receiver, and refuses a datagram replayed to its own receiver as stale', async ({
    createSite,
  }) => {
    const { s, a, b } = await twoAccessPoints(createSite);
    const aap = s.aap(0);
    const aapPeer = s.aapPeers[0]!;
    const toA = receivedFrom(a, aapPeer);
    const toB = receivedFrom(b, aapPeer);
    // One sequence per (sender, receiver): each AP saw 1, 2, 3 ... with no gap for the other's.
    for (const [captured, id] of [
      [toA, 'ap-a'],
      [toB, 'ap-b'],
    ] as const) {
      expect(captured.map((d) => d.env.sequence)).toEqual(captured.map((_, i) => i + 1));
      expect(captured.every((d) => d.env.senderId === 'aap-1' && d.env.receiverId === id)).toBe(true);
      expect(new Set(captured.map((d) => d.env.epoch))).toEqual(new Set([aap.epoch]));
    }

    // A's reports and acknowledgements, replayed to the AAP they were for.
    const fromA = a.cable.sent.filter((d) => samePeer(d.to, aapPeer)).map((d) => open(d.payload));
    expect(fromA.some((d) => d.env.message.type === 'report')).toBe(true);
    expect(fromA.some((d) => d.env.message.type === 'ack')).toBe(true);
    const apsBefore = aap.accessPoints().map((x) => [x.id, x.address, x.port]);
    const tableBefore = [aap.digest(), aap.table.version];
    let since = s.log.events.length;
    const rogue = await rogueAt(ROGUE);
    for (const d of fromA) rogue.send(d.payload, aapPeer);
    await advanceWithIo(s.scheduler, 100);
    expect(aap.accessPoints().map((x) => [x.id, x.address, x.port])).toEqual(apsBefore);
    expect([aap.digest(), aap.table.version]).toEqual(tableBefore);
    let refused = refusals(s, 'aap-1', since);
    expect(refused).toHaveLength(fromA.length);
    expect(refused.every((e) => e.reason === 'stale' && e.peer === ROGUE)).toBe(true);
    expect(aap.stats().refused).toMatchObject({ stale: fromA.length, wrongReceiver: 0 });

    // The AAP's tables and updates, replayed into the AP they were for, from the AAP's endpoint.
    const before = apState(a);
    const sentBefore = a.cable.sent.length;
    since = s.log.events.length;
    await s.stopAap(0);
    const spoofer = await rogueAt(aapPeer.address, aapPeer.port);
    for (const d of toA) spoofer.send(d.payload, { address: a.client.address, port: a.client.port });
    await advanceWithIo(s.scheduler, 100);
    expect(apState(a)).toEqual(before);
    expect(acksSentSince(a, sentBefore)).toBe(0);
    refused = refusals(s, 'ap-a', since);
    expect(refused).toHaveLength(toA.length);
    expect(refused.every((e) => e.reason === 'stale' && e.peer === aapPeer.address)).toBe(true);
    expect(a.client.stats().refused).toMatchObject({ stale: toA.length, wrongReceiver: 0 });
  });

  it('after an AAP restarts, refuses as stale what an access point sent it before, once that AP reported again', async ({
    createSite,
  }) => {
    const s = await createSite(1);
    await s.startAaps();
    const aapPeer = s.aapPeers[0]!;
    const ap = await s.startAp('ap-a', 1, { address: '10.1.0.1', mask: MASK_24 });
    await s.drive(() => ap.table.size === 1, 1000, 'table loaded');
    s.aap(0).addRow('10.7.0.1', MASK_24);
    await s.drive(() => ap.table.size === 2 && s.aap(0).unacknowledged === 0, 1000, 'row pushed');
    await advanceWithIo(s.scheduler, 2000);
    const old = ap.cable.sent.filter((d) => samePeer(d.to, aapPeer)).map((d) => open(d.payload));
    expect(old.filter((d) => d.env.message.type === 'report').length).toBeGreaterThanOrEqual(3);

    // The restarted AAP remembers nothing; the AP's next report (sequence numbers go on) opens
    // its window, and everything the AP sent the AAP before lies below it.
    await s.stopAap(0);
    const aap = await s.startAap(0);
    await s.drive(() => aap.accessPoints().length === 1, 2000, 'the AP reported to the restarted AAP');
    const record = aap.accessPoints().map((x) => [x.id, x.address, x.port]);
    expect(record).toEqual([['ap-a', ap.client.address, ap.client.port]]);
    const since = s.log.events.length;
    const rogue = await rogueAt(ROGUE);
    for (const d of old) rogue.send(d.payload, aapPeer);
    await advanceWithIo(s.scheduler, 100);

    expect(aap.accessPoints().map((x) => [x.id, x.address, x.port])).toEqual(record);
    const refused = refusals(s, 'aap-1', since);
    expect(refused).toHaveLength(old.length);
    expect(refused.every((e) => e.reason === 'stale' && e.peer === ROGUE)).toBe(true);
  });
});
