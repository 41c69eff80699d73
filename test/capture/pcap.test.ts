/**
 * The capture reader and writer: files the writer makes, small hand-built pcapng / Linux cooked /
 * raw IP / big-endian inputs, the frames to skip, and broken files (typed errors with the offset).
 */
import { describe, expect, it } from 'vitest';
import {
  buildEthernet,
  buildIcmp,
  buildIpv4,
  buildUdp,
  CaptureError,
  decodeCapture,
  decodePacket,
  detectCaptureFormat,
  onesComplementChecksum,
  packetFromFrame,
  pcapFileHeader,
  pcapRecord,
  PcapWriter,
  readCaptureFrames,
  readCapturePackets,
  type CaptureErrorKind,
  type CapturePacket,
  type IcmpPacket,
  type UdpPacket,
} from '../../src/capture/index.ts';
import {
  advertisementFlags,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  encodeRegistration,
  requestFlags,
  type RegistrationRequest,
} from '../../src/pmip/wire/index.ts';

const T0 = 1_700_000_000_123_456_789n;

const request: RegistrationRequest = {
  type: 'registration-request',
  flags: requestFlags({ T: true }),
  lifetime: 600,
  homeAddress: '10.1.0.5',
  homeAgent: '10.0.0.1',
  careOfAddress: '10.2.0.1',
  identification: 0xe1f2a3b4_00000001n,
  extensions: [{ kind: 'nai', type: 131, nai: 'ap1@example.net' }],
};
const REQUEST_BYTES = encodeRegistration(request);
const udpOpts = { src: '10.2.0.1', dst: '10.0.0.1', srcPort: 51000, dstPort: 434, payload: REQUEST_BYTES };

function packets(file: Buffer): CapturePacket[] {
  return [...readCapturePackets(file)];
}

function asUdp(p: CapturePacket | undefined): UdpPacket {
  if (p?.kind !== 'udp') throw new Error(`expected a UDP packet, got ${p?.kind}`);
  return p;
}

function asIcmp(p: CapturePacket | undefined): IcmpPacket {
  if (p?.kind !== 'icmp') throw new Error(`expected an ICMP packet, got ${p?.kind}`);
  return p;
}

function expectCaptureError(fn: () => unknown, kind: CaptureErrorKind, offset: number): CaptureError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(CaptureError);
  const err = caught as CaptureError;
  expect({ kind: err.kind, offset: err.offset }).toEqual({ kind, offset });
  expect(err.message).toContain(`${kind} at byte ${offset}`);
  return err;
}

// --- hand-built pcapng -----------------------------------------------------------------------

interface Endian {
  le: boolean;
}

function u16(v: number, { le }: Endian): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function u32(v: number, { le }: Endian): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v);
  else b.writeUInt32BE(v);
  return b;
}

/** A pcapng block: type, total length, body padded to 4 bytes, total length. */
function block(type: number, body: Buffer, e: Endian): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const total = 12 + padded.length;
  return Buffer.concat([u32(type, e), u32(total, e), padded, u32(total, e)]);
}

function shb(e: Endian): Buffer {
  const sectionLength = Buffer.alloc(8, 0xff); // -1: not given
  return block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d, e), u16(1, e), u16(0, e), sectionLength]), e);
}

function idb(linkType: number, e: Endian, tsresol?: number, snaplen = 0): Buffer {
  const options = tsresol === undefined ? [] : [u16(9, e), u16(1, e), Buffer.from([tsresol, 0, 0, 0])];
  return block(1, Buffer.concat([u16(linkType, e), u16(0, e), u32(snaplen, e), ...options, u32(0, e)]), e);
}

function epb(iface: number, ticks: bigint, data: Buffer, e: Endian): Buffer {
  const high = Number(ticks >> 32n);
  const low = Number(ticks & 0xffffffffn);
  return block(
    6,
    Buffer.concat([u32(iface, e), u32(high, e), u32(low, e), u32(data.length, e), u32(data.length, e), data]),
    e,
  );
}

function spb(data: Buffer, e: Endian): Buffer {
  return block(3, Buffer.concat([u32(data.length, e), data]), e);
}

/** A classic pcap file of one link type from raw frames (any byte order). */
function pcapOf(linkType: number, frames: Buffer[], bigEndian = false): Buffer {
  const opts = { linkType, bigEndian };
  return Buffer.concat([
    pcapFileHeader(opts),
    ...frames.map((f, i) => pcapRecord(f, T0 + BigInt(i) * 1_000_000n, opts)),
  ]);
}

const LE = { le: true };
const BE = { le: false };

describe('pcap writer', () => {
  it('builds IPv4 headers and UDP datagrams whose checksums verify', () => {
    const ip = buildUdp(udpOpts);
    expect(ip.length).toBe(20 + 8 + REQUEST_BYTES.length);
    expect(ip.subarray(0, 2).toString('hex')).toBe('4500');
    expect(ip.readUInt16BE(2)).toBe(ip.length);
    expect(ip[8]).toBe(64); // TTL
    expect(ip[9]).toBe(17);
    expect(ip.subarray(12, 20).toString('hex')).toBe('0a0200010a000001');
    expect(onesComplementChecksum(ip.subarray(0, 20))).toBe(0); // header checksum verifies
    const udp = ip.subarray(20);
    expect(udp.readUInt16BE(0)).toBe(51000);
    expect(udp.readUInt16BE(2)).toBe(434);
    expect(udp.readUInt16BE(4)).toBe(8 + REQUEST_BYTES.length);
    const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 17]), udp.subarray(4, 6)]);
    expect(onesComplementChecksum(pseudo, udp)).toBe(0); // UDP checksum verifies
    expect(udp.subarray(8).equals(REQUEST_BYTES)).toBe(true);
  });

  it('checksums an odd-length payload spread over parts like one buffer', () => {
    const whole = Buffer.from('0102030405060708090a0b', 'hex');
    const oneShot = onesComplementChecksum(whole);
    expect(onesComplementChecksum(whole.subarray(0, 3), whole.subarray(3, 8), whole.subarray(8))).toBe(
      oneShot,
    );
    // RFC 1071 example bytes 00 01 f2 03 f4 f5 f6 f7: sum 0xddf2, checksum 0x220d
    expect(onesComplementChecksum(Buffer.from('0001f203f4f5f6f7', 'hex'))).toBe(0x220d);
  });

  it('writes a classic pcap that the reader gives back frame by frame', () => {
    const w = new PcapWriter({ startNs: T0 });
    expect(w.addUdp(udpOpts)).toBe(1);
    expect(w.addIcmp({ src: '10.2.0.1', dst: '224.0.0.1', ttl: 1, icmp: encodeAgentSolicitation() })).toBe(2);
    expect(w.addUdp({ ...udpOpts, srcPort: 434, dstPort: 51000, payload: Buffer.from('0300', 'hex') })).toBe(
      3,
    );
    const file = w.toBuffer();
    expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(detectCaptureFormat(file)).toBe('pcap');

    const frames = [...readCaptureFrames(file)];
    expect(frames.map((f) => [f.frame, f.linkType, f.data.length, f.originalLength])).toEqual([
      [1, 1, 14 + 20 + 8 + REQUEST_BYTES.length, 14 + 20 + 8 + REQUEST_BYTES.length],
      [2, 1, 14 + 20 + 8, 14 + 20 + 8],
      [3, 1, 14 + 20 + 8 + 2, 14 + 20 + 8 + 2],
    ]);
    // microsecond pcap: the nanoseconds below 1 us are gone; 1 ms between frames
    expect(frames.map((f) => f.timestampNs)).toEqual([
      1_700_000_000_123_456_000n,
      1_700_000_000_124_456_000n,
      1_700_000_000_125_456_000n,
    ]);
    expect(frames[0]!.data.subarray(0, 14).toString('hex')).toBe('020000000002020000000001' + '0800');

    const [udp, icmp, reply] = packets(file);
    expect(udp).toMatchObject({
      kind: 'udp',
      frame: 1,
      src: '10.2.0.1',
      dst: '10.0.0.1',
      protocol: 17,
      ttl: 64,
      srcPort: 51000,
      dstPort: 434,
      truncated: false,
    });
    expect(asUdp(udp).payload.equals(REQUEST_BYTES)).toBe(true);
    expect(icmp).toMatchObject({ kind: 'icmp', frame: 2, dst: '224.0.0.1', protocol: 1, ttl: 1 });
    expect(asIcmp(icmp).icmp.equals(encodeAgentSolicitation())).toBe(true);
    expect(reply).toMatchObject({ kind: 'udp', frame: 3, srcPort: 434, dstPort: 51000 });
  });

  it('writes nanosecond and big-endian files, and raw IP', () => {
    const w = new PcapWriter({ nanosecond: true, bigEndian: true, linkType: 101, startNs: T0 });
    w.addUdp(udpOpts);
    const file = w.toBuffer();
    expect(file.readUInt32BE(0)).toBe(0xa1b23c4d);
    const [frame] = [...readCaptureFrames(file)];
    expect(frame).toMatchObject({ frame: 1, linkType: 101, timestampNs: T0 });
    expect(frame!.data.equals(buildUdp(udpOpts))).toBe(true);
    expect(packets(file)[0]).toMatchObject({ kind: 'udp', srcPort: 51000, dstPort: 434, src: '10.2.0.1' });
  });

  it('cuts records to the snap length and the reader flags the datagram as truncated', () => {
    const w = new PcapWriter({ snaplen: 14 + 20 + 8 + 10 });
    w.addUdp(udpOpts);
    const file = w.toBuffer();
    const [frame] = [...readCaptureFrames(file)];
    expect(frame!.data.length).toBe(52);
    expect(frame!.originalLength).toBe(14 + 20 + 8 + REQUEST_BYTES.length);
    const [p] = packets(file);
    expect(p).toMatchObject({ kind: 'udp', truncated: true, declaredLength: REQUEST_BYTES.length });
    expect(asUdp(p).payload.length).toBe(10);
    expect(decodePacket(p!)).toEqual({
      frame: 1,
      error: `truncated at byte 10: the capture holds 10 of the ${REQUEST_BYTES.length} bytes of the UDP payload`,
    });
  });
});

describe('pcap reader: link types', () => {
  const ip = buildUdp(udpOpts);
  const expected = { kind: 'udp', src: '10.2.0.1', dst: '10.0.0.1', srcPort: 51000, dstPort: 434 };

  it('reads Ethernet with one 802.1Q tag', () => {
    const file = pcapOf(1, [buildEthernet(ip, { vlan: 42 })]);
    expect(file.subarray(24 + 16 + 12, 24 + 16 + 18).toString('hex')).toBe('8100002a0800');
    expect(packets(file)).toMatchObject([{ frame: 1, ...expected }]);
  });

  it('reads Linux cooked capture v1 (113) and v2 (276)', () => {
    const sll = Buffer.alloc(16);
    sll.writeUInt16BE(4, 0); // sent by us
    sll.writeUInt16BE(1, 2); // ARPHRD_ETHER
    sll.writeUInt16BE(6, 4);
    Buffer.from('020000000001', 'hex').copy(sll, 6);
    sll.writeUInt16BE(0x0800, 14);
    const sll2 = Buffer.alloc(20);
    sll2.writeUInt16BE(0x0800, 0);
    sll2.writeUInt32BE(3, 4); // interface index
    sll2.writeUInt16BE(1, 8);
    sll2[10] = 4;
    sll2[11] = 6;
    expect(packets(pcapOf(113, [Buffer.concat([sll, ip])]))).toMatchObject([expected]);
    expect(packets(pcapOf(276, [Buffer.concat([sll2, ip])]))).toMatchObject([expected]);
    // an IPv6 protocol type in the cooked header is skipped
    const sll6 = Buffer.from(sll);
    sll6.writeUInt16BE(0x86dd, 14);
    expect(packets(pcapOf(113, [Buffer.concat([sll6, ip])]))).toEqual([]);
  });

  it('reads raw IP (101, 12, 14, 228) and BSD loopback (0, 108)', () => {
    for (const linkType of [101, 12, 14, 228]) {
      expect(packets(pcapOf(linkType, [ip])), `link type ${linkType}`).toMatchObject([expected]);
    }
    const familyLe = Buffer.from([2, 0, 0, 0]);
    const familyBe = Buffer.from([0, 0, 0, 2]);
    expect(packets(pcapOf(0, [Buffer.concat([familyLe, ip])]))).toMatchObject([expected]);
    expect(packets(pcapOf(108, [Buffer.concat([familyBe, ip])]))).toMatchObject([expected]);
  });

  it('reads a big-endian microsecond pcap written by hand', () => {
    const header = Buffer.from(
      'a1b2c3d4' + '0002' + '0004' + '00000000' + '00000000' + '0000ffff' + '00000001',
      'hex',
    );
    const frame = buildEthernet(ip);
    const record = Buffer.alloc(16);
    record.writeUInt32BE(1_600_000_000, 0);
    record.writeUInt32BE(250_000, 4);
    record.writeUInt32BE(frame.length, 8);
    record.writeUInt32BE(frame.length, 12);
    const file = Buffer.concat([header, record, frame]);
    expect([...readCaptureFrames(file)]).toMatchObject([
      { frame: 1, linkType: 1, timestampNs: 1_600_000_000_250_000_000n, originalLength: frame.length },
    ]);
    expect(packets(file)).toMatchObject([expected]);
  });

  it('skips IPv6, ARP, unknown link types and non-first fragments, keeping the frame numbers', () => {
    const ipv6 = Buffer.alloc(14 + 40);
    ipv6.writeUInt16BE(0x86dd, 12);
    ipv6[14] = 0x60;
    const arp = Buffer.alloc(14 + 28);
    arp.writeUInt16BE(0x0806, 12);
    const fragment = Buffer.from(ip);
    fragment.writeUInt16BE(0x0010, 6); // offset 16 * 8 bytes: not the first fragment
    const firstFragment = Buffer.from(ip);
    firstFragment.writeUInt16BE(0x2000, 6); // MF: the rest of the datagram is elsewhere
    const file = pcapOf(1, [
      ipv6,
      arp,
      buildEthernet(fragment),
      buildEthernet(ip),
      buildEthernet(firstFragment),
    ]);
    expect(packets(file).map((p) => [p.frame, p.truncated])).toEqual([
      [4, false],
      [5, true],
    ]);
    expect(packets(pcapOf(147, [ip]))).toEqual([]); // a user link type we cannot know
  });

  it('drops Ethernet padding after the IP datagram', () => {
    const icmp = buildIcmp({ src: '10.0.0.9', dst: '224.0.0.2', ttl: 1, icmp: encodeAgentSolicitation() });
    const padded = Buffer.concat([buildEthernet(icmp), Buffer.alloc(18, 0xee)]); // padded to 60 bytes
    expect(padded.length).toBe(60);
    const [p] = packets(pcapOf(1, [padded]));
    expect(p).toMatchObject({ kind: 'icmp', truncated: false });
    expect(asIcmp(p).icmp.toString('hex')).toBe(encodeAgentSolicitation().toString('hex'));
  });

  it('gives other IP protocols as kind "ip"', () => {
    const gre = buildIpv4(47, Buffer.from('00000800', 'hex'), { src: '1.2.3.4', dst: '5.6.7.8' });
    expect(
      packetFromFrame({
        frame: 7,
        linkType: 101,
        timestampNs: 0n,
        timestampMs: 0,
        data: gre,
        originalLength: 24,
        fileOffset: 0,
      }),
    ).toMatchObject({
      kind: 'ip',
      frame: 7,
      protocol: 47,
      src: '1.2.3.4',
      dst: '5.6.7.8',
    });
  });
});

describe('pcapng reader', () => {
  const ip = buildUdp(udpOpts);
  const eth = buildEthernet(ip);

  it('reads a little-endian section: per-interface link types, EPB and SPB, unknown blocks skipped', () => {
    const file = Buffer.concat([
      shb(LE),
      idb(1, LE, 9), // Ethernet, nanosecond timestamps
      block(4, Buffer.alloc(8), LE), // name resolution block: skipped
      idb(101, LE), // raw IP, default microsecond timestamps
      epb(0, T0, eth, LE),
      block(0x0bad, Buffer.from('custom'), LE), // custom block: skipped
      epb(1, 1_700_000_000_000_001n, ip, LE),
      spb(eth, LE), // simple packet block: interface 0
      block(5, Buffer.alloc(20), LE), // interface statistics: skipped
    ]);
    expect(detectCaptureFormat(file)).toBe('pcapng');
    const frames = [...readCaptureFrames(file)];
    expect(frames.map((f) => [f.frame, f.linkType, f.timestampNs, f.data.length])).toEqual([
      [1, 1, T0, eth.length],
      [2, 101, 1_700_000_000_000_001_000n, ip.length],
      [3, 1, 0n, eth.length],
    ]);
    expect(packets(file).map((p) => [p.frame, p.kind, p.src])).toEqual([
      [1, 'udp', '10.2.0.1'],
      [2, 'udp', '10.2.0.1'],
      [3, 'udp', '10.2.0.1'],
    ]);
  });

  it('gives the time in ms too, the same number from pcap (us and ns) and pcapng for one instant', () => {
    const instants = [1_700_000_000_123_456_789n, 1_700_000_000_000_001_000n, 999_000n, 0n];
    for (const ns of instants) {
      const us = (ns / 1000n) * 1000n; // what a microsecond file keeps
      const nano = new PcapWriter({ nanosecond: true, startNs: ns });
      nano.addUdp(udpOpts);
      const micro = new PcapWriter({ startNs: us });
      micro.addUdp(udpOpts);
      const ng = Buffer.concat([
        shb(LE),
        idb(1, LE, 9),
        epb(0, ns, eth, LE),
        idb(1, LE),
        epb(1, us / 1000n, eth, LE),
      ]);
      const [fromNano] = [...readCaptureFrames(nano.toBuffer())];
      const [fromMicro] = [...readCaptureFrames(micro.toBuffer())];
      const [ngNano, ngMicro] = [...readCaptureFrames(ng)];
      expect([
        fromNano!.timestampNs,
        ngNano!.timestampNs,
        fromMicro!.timestampNs,
        ngMicro!.timestampNs,
      ]).toEqual([ns, ns, us, us]);
      // Whole milliseconds exactly, the rest to well under a microsecond.
      expect(Math.floor(fromNano!.timestampMs)).toBe(Number(ns / 1_000_000n));
      expect(Math.abs(fromNano!.timestampMs - Number(ns) / 1e6)).toBeLessThan(1e-3);
      expect(ngNano!.timestampMs).toBe(fromNano!.timestampMs);
      expect(ngMicro!.timestampMs).toBe(fromMicro!.timestampMs);
      expect(packetFromFrame(fromNano!)!.timestampMs).toBe(fromNano!.timestampMs);
    }
  });

  it('reads a big-endian section, and a second section that switches byte order', () => {
    const file = Buffer.concat([
      shb(BE),
      idb(1, BE, 6),
      epb(0, 5_000_000n, eth, BE),
      shb(LE),
      idb(101, LE),
      epb(0, 7n, ip, LE),
    ]);
    const frames = [...readCaptureFrames(file)];
    expect(frames.map((f) => [f.frame, f.linkType, f.timestampNs])).toEqual([
      [1, 1, 5_000_000_000n],
      [2, 101, 7_000n],
    ]);
    expect(packets(file)).toMatchObject([{ srcPort: 51000 }, { srcPort: 51000 }]);
  });

  it('cuts a simple packet block to the interface snap length', () => {
    const file = Buffer.concat([shb(LE), idb(1, LE, undefined, 50), spb(eth, LE)]);
    const [frame] = [...readCaptureFrames(file)];
    expect(frame!.data.length).toBe(50);
    expect(frame!.originalLength).toBe(eth.length);
    expect(packets(file)).toMatchObject([{ kind: 'udp', truncated: true }]);
    expect(asUdp(packets(file)[0]).payload.length).toBe(50 - 42);
  });

  it('decodes Mobile IP messages from pcapng like from pcap', () => {
    const adv = encodeAgentAdvertisement({
      type: 'agent-advertisement',
      icmpCode: 0,
      routerLifetime: 1800,
      routerAddresses: [],
      sequence: 300,
      registrationLifetime: 600,
      flags: advertisementFlags({ F: true }),
      careOfAddresses: ['10.2.0.1'],
      padding: 0,
    });
    const icmp = buildEthernet(buildIcmp({ src: '10.2.0.1', dst: '224.0.0.1', ttl: 1, icmp: adv }));
    const file = Buffer.concat([shb(LE), idb(1, LE), epb(0, 1n, eth, LE), epb(0, 2n, icmp, LE)]);
    expect([...decodeCapture(file)].map((r) => [r.frame, r.type])).toEqual([
      [1, 'registration-request'],
      [2, 'agent-advertisement'],
    ]);
  });
});

describe('broken capture files', () => {
  const w = new PcapWriter();
  w.addUdp(udpOpts);
  w.addUdp(udpOpts);
  const good = w.toBuffer();
  const frameLength = 14 + 20 + 8 + REQUEST_BYTES.length;
  const second = 24 + 16 + frameLength; // byte offset of the second record

  it('rejects files that are too short or not captures', () => {
    expectCaptureError(() => [...readCaptureFrames(Buffer.alloc(0))], 'truncated', 0);
    expectCaptureError(() => [...readCaptureFrames(good.subarray(0, 10))], 'truncated', 10);
    const err = expectCaptureError(
      () => [...readCaptureFrames(Buffer.from('hello, world!'))],
      'bad-magic',
      0,
    );
    expect(err.message).toContain('0x68656c6c');
  });

  it('rejects a pcap version it does not speak', () => {
    const v3 = Buffer.from(good);
    v3.writeUInt16LE(3, 4);
    expectCaptureError(() => [...readCaptureFrames(v3)], 'unsupported-version', 4);
  });

  it('reports a truncated last record after yielding the frames before it', () => {
    const cut = good.subarray(0, good.length - 5);
    const seen: number[] = [];
    const err = expectCaptureError(
      () => {
        for (const f of readCaptureFrames(cut)) seen.push(f.frame);
      },
      'truncated',
      second,
    );
    expect(seen).toEqual([1]);
    expect(err.message).toBe(
      `truncated at byte ${second}: frame 2 declares ${frameLength} captured bytes, ${frameLength - 5} remain`,
    );
    // the Mobile IP decoder yields frame 1 and then lets the error through
    const records: unknown[] = [];
    expectCaptureError(
      () => {
        for (const r of decodeCapture(cut)) records.push(r.frame);
      },
      'truncated',
      second,
    );
    expect(records).toEqual([1]);
  });

  it('reports a record header cut short', () => {
    expectCaptureError(() => [...readCaptureFrames(good.subarray(0, second + 7))], 'truncated', second);
  });

  it('reports an impossible record length as corrupt', () => {
    const huge = Buffer.from(good);
    huge.writeUInt32LE(0x7fffffff, second + 8);
    expectCaptureError(() => [...readCaptureFrames(huge)], 'corrupt', second + 8);
  });

  it('reports broken pcapng blocks', () => {
    const eth = buildEthernet(buildUdp(udpOpts));
    const head = Buffer.concat([shb(LE), idb(1, LE)]);
    const packet = epb(0, 1n, eth, LE);
    // the last block cut short
    expectCaptureError(
      () => [...readCaptureFrames(Buffer.concat([head, packet.subarray(0, packet.length - 3)]))],
      'truncated',
      head.length,
    );
    // fewer than 12 bytes where a block should start
    expectCaptureError(
      () => [...readCaptureFrames(Buffer.concat([head, Buffer.alloc(6)]))],
      'truncated',
      head.length,
    );
    // trailing length disagrees with the leading one
    const mismatched = Buffer.from(packet);
    mismatched.writeUInt32LE(packet.length + 4, packet.length - 4);
    expectCaptureError(
      () => [...readCaptureFrames(Buffer.concat([head, mismatched]))],
      'corrupt',
      head.length + packet.length - 4,
    );
    // a length that is not a multiple of 4
    const odd = Buffer.from(packet);
    odd.writeUInt32LE(packet.length - 1, 4);
    expectCaptureError(() => [...readCaptureFrames(Buffer.concat([head, odd]))], 'corrupt', head.length + 4);
    // a packet on an interface the section never described
    expectCaptureError(
      () => [...readCaptureFrames(Buffer.concat([head, epb(3, 1n, eth, LE)]))],
      'corrupt',
      head.length + 8,
    );
    // a section header whose byte-order magic is wrong
    const badBom = shb(LE);
    badBom.writeUInt32LE(0x12345678, 8);
    expectCaptureError(() => [...readCaptureFrames(badBom)], 'bad-magic', 8);
    // pcapng version 2
    const v2 = shb(LE);
    v2.writeUInt16LE(2, 12);
    expectCaptureError(() => [...readCaptureFrames(v2)], 'unsupported-version', 12);
  });
});

describe('Mobile IP records from packets', () => {
  const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const signed = encodeRegistration(request, { spi: 300, key, algorithm: 'hmac-md5' });

  function udp(payload: Buffer, srcPort: number, dstPort: number): CapturePacket {
    const file = pcapOf(101, [buildUdp({ ...udpOpts, payload, srcPort, dstPort })]);
    return packets(file)[0]!;
  }

  it('matches either UDP port, 434 by default or the one given', () => {
    expect(decodePacket(udp(REQUEST_BYTES, 51000, 434))).toMatchObject({ type: 'registration-request' });
    expect(decodePacket(udp(REQUEST_BYTES, 434, 51000))).toMatchObject({ type: 'registration-request' });
    expect(decodePacket(udp(REQUEST_BYTES, 51000, 4343))).toBeUndefined();
    expect(decodePacket(udp(REQUEST_BYTES, 4343, 51000), { port: 4343 })).toEqual({
      frame: 1,
      src: '10.2.0.1',
      dst: '10.0.0.1',
      type: 'registration-request',
      flags: ['T'],
      lifetime: 600,
      homeAddress: '10.1.0.5',
      homeAgent: '10.0.0.1',
      careOfAddress: '10.2.0.1',
      identification: 'e1f2a3b400000001',
      extensions: [{ type: 131, nai: 'ap1@example.net' }],
    });
  });

  it('adds authentic only when the SA SPI matches the Mobile-Home extension', () => {
    const p = udp(signed, 51000, 434);
    expect(decodePacket(p, { auth: { spi: 300, key, algorithm: 'hmac-md5' } })).toMatchObject({
      authentic: true,
    });
    expect(decodePacket(p, { auth: { spi: 300, key, algorithm: 'prefix-suffix' } })).toMatchObject({
      authentic: false,
    });
    const wrongKey = Buffer.from(key);
    wrongKey[0] = wrongKey[0]! ^ 1;
    expect(decodePacket(p, { auth: { spi: 300, key: wrongKey, algorithm: 'hmac-md5' } })).toMatchObject({
      authentic: false,
    });
    expect(decodePacket(p, { auth: { spi: 301, key, algorithm: 'hmac-md5' } })).not.toHaveProperty(
      'authentic',
    );
    expect(
      decodePacket(udp(REQUEST_BYTES, 51000, 434), { auth: { spi: 300, key, algorithm: 'hmac-md5' } }),
    ).not.toHaveProperty('authentic');
  });

  it('turns a malformed message into an error record', () => {
    expect(decodePacket(udp(REQUEST_BYTES.subarray(0, 20), 51000, 434))).toEqual({
      frame: 1,
      error: 'truncated at byte 20: registration request needs 24 bytes, got 20',
    });
    expect(decodePacket(udp(Buffer.from([2, 0, 0, 0]), 51000, 434))).toEqual({
      frame: 1,
      error:
        'unknown-type at byte 0: Mobile IP message type 2 is not a registration request (1) or reply (3)',
    });
  });

  it('skips ICMP other than 9/10 and router advertisements without extension 16', () => {
    const icmpPacket = (icmp: Buffer) =>
      packets(pcapOf(101, [buildIcmp({ src: '10.0.0.1', dst: '10.0.0.2', icmp })]))[0]!;
    const echo = Buffer.from('0800f7ff00000000', 'hex'); // echo request, checksum correct
    expect(decodePacket(icmpPacket(echo))).toBeUndefined();
    // RFC 1256 router advertisement, one address, no mobility extension
    const ra = Buffer.from('09000000' + '0102' + '0708' + 'c0a80001' + '00000000', 'hex');
    ra.writeUInt16BE(onesComplementChecksum(ra), 2);
    expect(decodePacket(icmpPacket(ra))).toBeUndefined();
    // a solicitation with a bad checksum is reported
    const badSolicitation = encodeAgentSolicitation();
    badSolicitation[3] = badSolicitation[3]! ^ 0xff;
    expect(decodePacket(icmpPacket(badSolicitation))).toMatchObject({
      frame: 1,
      error: expect.stringMatching(/^bad-checksum at byte 2/),
    });
  });
});
