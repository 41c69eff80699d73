import { afterEach, describe, expect } from 'vitest';
import { UdpEndpoint } from '../../../src/pmip/runtime/udp.ts';
import {
  AAP_MAGIC,
  openAapDatagram,
  opsFrom,
  opsToArray,
  sealAapBody,
  sealAapMessage,
  type AapHeader,
} from '../../../src/pmip/aap/codec/index.ts';
import { RECONCILIATION_BUCKETS, EMPTY_DIGEST } from '../../../src/pmip/subnet-map/digest.ts';
import { GROUP_KEY, Site, WRONG_GROUP_KEY, siteTest } from './site.ts';

const it = siteTest(6);

const MASK_24 = '255.255.255.0';
const KEY = Buffer.from(GROUP_KEY);
const WRONG_KEY = Buffer.from(WRONG_GROUP_KEY);

let rogue: UdpEndpoint | undefined;

afterEach(async () => {
  await rogue?.close();
  rogue = undefined;
});

describe('forged, replayed and malformed subnet map messages (real UDP)', () => {
  it('change nothing and are counted by reason', async ({ createSite }) => {
    const s = await createSite(2);
    await s.startAaps();
    const ap = await s.startAp('ap-1', 1, { address: '10.1.0.1', mask: MASK_24 });
    await s.drive(() => ap.table.size === 1, 1000, 'table loaded');
    const aap = s.aap(0);
    const aapPeer = s.aapPeers[0]!;
    const apPeer = { address: ap.client.address, port: ap.client.port };

    // A row that comes and goes: its recorded "add" update is the replay that would hurt.
    aap.addRow('10.7.0.1', MASK_24);
    await s.drive(() => ap.table.size === 2, 500, 'row added');
    aap.removeRow('10.7.0.1', MASK_24);
    await s.drive(() => ap.table.size === 1, 500, 'row removed');

    const fromAap = ap.cable.received.map((d) => ({ ...d, env: openAapDatagram(d.payload, KEY) }));
    const addUpdate = fromAap.find(
      (d) => d.env.message.type === 'update' && opsToArray(d.env.message.ops).some((o) => o.op === 'upsert'),
    )!;
    const firstReport = ap.cable.sent.find((d) => openAapDatagram(d.payload, KEY).message.type === 'report')!;
    expect(addUpdate).toBeDefined();
    expect(firstReport).toBeDefined();

    const snapshot = (): unknown => ({
      aap: [aap.digest(), aap.table.version, aap.accessPoints().map((a) => a.id)],
      ap: [ap.table.digest(), ap.table.version, Site.rowsOf(ap.table)],
      other: [s.aap(1).digest(), s.aap(1).table.version],
    });
    const before = snapshot();
    const eventsBefore = s.log.events.length;

    rogue = await UdpEndpoint.bind({ address: '127.65.6.200', port: 0, onDatagram: () => undefined });
    let sequence = 1;
    // Addressed to the node they are sent to: these are refused for other reasons than that.
    const header = (senderId: string, receiverId: string): AapHeader => ({
      senderId,
      receiverId,
      epoch: s.scheduler.now(),
      sequence: sequence++,
    });
    const report = {
      type: 'report' as const,
      full: true,
      homeAgent: { homeAgent: 0x0a420001, prefixLength: 24 },
      digest: EMPTY_DIGEST,
    };
    const update = {
      type: 'update' as const,
      updateId: 99,
      version: 1,
      digest: EMPTY_DIGEST,
      chunk: { index: 0, count: 1 },
      ops: opsFrom([{ op: 'remove', homeAgent: 0x0a010001, prefixLength: 24 }]),
    };

    // Forged: the right layout, the wrong group key.
    rogue.send(sealAapMessage(header('ap-9', 'aap-1'), report, WRONG_KEY), aapPeer);
    rogue.send(sealAapMessage(header('aap-1', 'ap-1'), update, WRONG_KEY), apPeer);
    // Tampered: a real datagram with one byte changed no longer verifies.
    const tampered = Buffer.from(addUpdate.payload);
    tampered[tampered.length - 40] = tampered[tampered.length - 40]! ^ 0x01;
    rogue.send(tampered, apPeer);

    // Replayed: byte-for-byte copies of datagrams already accepted once.
    rogue.send(firstReport.payload, aapPeer);
    rogue.send(addUpdate.payload, apPeer);

    // Malformed: noise, a cut datagram, a foreign magic, a wrong version, a lying length.
    rogue.send(Buffer.from('not a subnet map datagram at all'), aapPeer);
    rogue.send(firstReport.payload.subarray(0, 20), aapPeer);
    const badMagic = Buffer.from(firstReport.payload);
    badMagic.writeUInt16BE(AAP_MAGIC ^ 0xffff, 0);
    rogue.send(badMagic, aapPeer);
    const badVersion = Buffer.from(firstReport.payload);
    badVersion[2] = 9;
    rogue.send(badVersion, aapPeer);
    rogue.send(Buffer.concat([firstReport.payload, Buffer.alloc(3)]), apPeer);
    // Authenticated but nonsense: a report whose prefix length is 40.
    const nonsense = Buffer.alloc(14);
    nonsense[0] = 0x02;
    nonsense[5] = 40;
    rogue.send(sealAapBody(header('ap-8', 'aap-1'), 'report', nonsense, KEY), aapPeer);

    // Unknown peer: authenticated, but not from an AAP this node is configured with.
    rogue.send(sealAapMessage(header('aap-9', 'ap-1'), update, KEY), apPeer);
    rogue.send(
      sealAapMessage(
        header('aap-9', 'aap-1'),
        {
          type: 'digest',
          version: 1,
          rows: 0,
          digest: EMPTY_DIGEST,
          buckets: Array(RECONCILIATION_BUCKETS).fill(EMPTY_DIGEST),
        },
        KEY,
      ),
      aapPeer,
    );

    await s.drive(() => s.log.of('aap-message-refused').length >= 13, 200, 'every datagram refused');
    expect(snapshot()).toEqual(before);
    expect(ap.table.match('10.7.0.5')).toBeUndefined();
    expect(ap.table.match('10.1.0.5')?.homeAgent).toBe('10.1.0.1');

    expect(aap.stats().refused).toEqual({
      unauthenticated: 1,
      stale: 1,
      malformed: 5,
      unknownPeer: 1,
      wrongReceiver: 0,
    });
    expect(ap.client.stats().refused).toEqual({
      unauthenticated: 2,
      stale: 1,
      malformed: 1,
      unknownPeer: 1,
      wrongReceiver: 0,
    });
    const refused = s.log.events.slice(eventsBefore).filter((e) => e.type === 'aap-message-refused');
    expect(refused.every((e) => e.peer === '127.65.6.200')).toBe(true);
    const malformed = s.log.of('malformed-datagram');
    expect(malformed.every((e) => e.socket === 'aap')).toBe(true);
    expect(malformed.map((e) => e.errorKind).sort()).toEqual([
      'bad-length', // three bytes appended
      'bad-magic', // noise
      'bad-magic',
      'bad-value', // prefix length 40
      'bad-version',
      'truncated', // cut after 20 bytes
    ]);
    // No event carries the group key.
    expect(JSON.stringify(s.log.events)).not.toContain(GROUP_KEY);

    // The protocol keeps working after all that.
    aap.addRow('10.8.0.1', MASK_24);
    await s.drive(() => ap.table.size === 2, 500, 'next update accepted');
  });
});
