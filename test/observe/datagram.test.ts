/**
 * The observer's fast path (src/observe/datagram.ts) against the general path it stands in for:
 * whatever it accepts it must read exactly as `packetFromFrame` and the codec do, and whatever it
 * declines must be something the general path has to look at (other extensions, malformed input).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateCapture } from '../../bench/observe.bench.ts';
import { packetFromFrame } from '../../src/capture/packets.ts';
import { CaptureStreamReader } from '../../src/capture/stream.ts';
import { buildEthernet, buildUdp } from '../../src/capture/writer.ts';
import {
  AddressBook,
  emptyFields,
  isGroupNumber,
  readRegistration,
  udpInFrame,
  type UdpSpan,
} from '../../src/observe/datagram.ts';
import { WireObserver } from '../../src/observe/observer.ts';
import type { PmipEvent } from '../../src/pmip/events.ts';
import {
  decodeRegistrationLayout,
  encodeRegistration,
  ipv4ToUint32,
  isWireError,
} from '../../src/pmip/wire/index.ts';
import {
  applyMutations,
  ipv4Arb,
  mutationsArb,
  registrationBytesArb,
  registrationMessageArb,
  uint16,
} from '../support/wire-arbitraries.ts';

const span = (): UdpSpan => ({ src: 0, dst: 0, srcPort: 0, dstPort: 0, start: 0, end: 0 });

/** The general path's reading of a registration datagram, as the fast path's numbers. */
function viaCodec(bytes: Buffer) {
  const d = decodeRegistrationLayout(bytes);
  const m = d.message;
  const request = m.type === 'registration-request';
  let spi = -1;
  let hasOther = false;
  for (const e of m.extensions) {
    if (e.kind === 'auth') {
      if (e.type === 32 && spi < 0) spi = e.spi;
    } else hasOther = true;
  }
  return {
    fields: {
      request,
      code: m.type === 'registration-reply' ? m.code : 0,
      lifetime: m.lifetime,
      homeAddress: ipv4ToUint32(m.homeAddress),
      homeAgent: ipv4ToUint32(m.homeAgent),
      careOfAddress: m.type === 'registration-request' ? ipv4ToUint32(m.careOfAddress) : 0,
      idHigh: Number(m.identification >> 32n),
      idLow: Number(m.identification & 0xffffffffn),
      spi,
      nai: undefined,
    },
    hasOther,
  };
}

describe('readRegistration: the fixed part and SPI read in place', () => {
  it('agrees with the codec on every message it accepts; declines only what has other extensions', () => {
    fc.assert(
      fc.property(registrationMessageArb, (message) => {
        const bytes = encodeRegistration(message);
        const out = emptyFields();
        const fast = readRegistration(bytes, 0, bytes.length, out);
        const codec = viaCodec(bytes);
        if (fast) expect(out).toEqual(codec.fields);
        expect(fast).toBe(!codec.hasOther);
      }),
      { numRuns: 500 },
    );
  });

  it('a message inside a larger buffer is read from its own bounds', () => {
    fc.assert(
      fc.property(registrationMessageArb, fc.integer({ min: 0, max: 40 }), (message, pad) => {
        const bytes = encodeRegistration(message);
        const framed = Buffer.concat([Buffer.alloc(pad, 0xee), bytes, Buffer.alloc(7, 0x20)]);
        const a = emptyFields();
        const b = emptyFields();
        expect(readRegistration(framed, pad, pad + bytes.length, a)).toBe(
          readRegistration(bytes, 0, bytes.length, b),
        );
        expect(a).toEqual(b);
      }),
      { numRuns: 200 },
    );
  });

  it('never accepts what the codec rejects (byte-built datagrams and mutations of them)', () => {
    fc.assert(
      fc.property(registrationBytesArb, mutationsArb, (good, mutations) => {
        for (const bytes of [good, applyMutations(good, mutations)]) {
          const out = emptyFields();
          const fast = readRegistration(bytes, 0, bytes.length, out);
          let codec: ReturnType<typeof viaCodec> | undefined;
          try {
            codec = viaCodec(bytes);
          } catch (e) {
            if (!isWireError(e)) throw e;
          }
          if (fast) {
            expect(codec).toBeDefined();
            expect(out).toEqual(codec!.fields);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('declines a request one byte short of its fixed part, and a cut authentication extension', () => {
    const req = encodeRegistration({
      type: 'registration-request',
      flags: { S: false, B: false, D: false, M: false, G: false, r: false, T: false, x: false },
      lifetime: 600,
      homeAddress: '10.0.0.5',
      homeAgent: '10.0.0.1',
      careOfAddress: '10.1.0.2',
      identification: 0x0102030405060708n,
      extensions: [{ kind: 'auth', type: 32, spi: 300, authenticator: Buffer.alloc(16, 1) }],
    });
    const out = emptyFields();
    expect(readRegistration(req, 0, req.length, out)).toBe(true);
    expect(out).toMatchObject({
      request: true,
      lifetime: 600,
      spi: 300,
      idHigh: 0x01020304,
      idLow: 0x05060708,
    });
    expect(readRegistration(req, 0, 23, emptyFields())).toBe(false);
    expect(readRegistration(req, 0, req.length - 1, emptyFields())).toBe(false);
  });
});

describe('udpInFrame: the IPv4 and UDP headers read in place', () => {
  it('agrees with packetFromFrame on untruncated UDP frames (Ethernet, with and without a VLAN tag)', () => {
    fc.assert(
      fc.property(
        ipv4Arb,
        ipv4Arb,
        uint16,
        uint16,
        fc.uint8Array({ maxLength: 80 }),
        fc.option(fc.integer({ min: 0, max: 4095 }), { nil: undefined }),
        (src, dst, srcPort, dstPort, payload, vlan) => {
          const data = buildEthernet(
            buildUdp({ src, dst, srcPort, dstPort, payload }),
            vlan === undefined ? {} : { vlan },
          );
          const s = span();
          expect(udpInFrame(1, data, s)).toBe(true);
          const p = packetFromFrame({
            frame: 1,
            timestampNs: 0n,
            timestampMs: 0,
            linkType: 1,
            data,
            originalLength: data.length,
            fileOffset: 0,
          });
          expect(p?.kind).toBe('udp');
          if (p?.kind !== 'udp') return;
          expect(s.src).toBe(ipv4ToUint32(p.src));
          expect(s.dst).toBe(ipv4ToUint32(p.dst));
          expect([s.srcPort, s.dstPort]).toEqual([p.srcPort, p.dstPort]);
          expect(data.subarray(s.start, s.end)).toEqual(p.payload);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('declines truncated frames, fragments and non-UDP packets (the general path reports them)', () => {
    const ip = buildUdp({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 434,
      dstPort: 434,
      payload: Buffer.alloc(24, 1),
    });
    const frame = buildEthernet(ip);
    expect(udpInFrame(1, frame, span())).toBe(true);
    expect(udpInFrame(1, frame.subarray(0, frame.length - 1), span())).toBe(false); // snap length cut
    const fragment = Buffer.from(frame);
    fragment.writeUInt16BE(0x2000, 14 + 6); // more fragments
    expect(udpInFrame(1, fragment, span())).toBe(false);
    const icmp = Buffer.from(frame);
    icmp[14 + 9] = 1;
    expect(udpInFrame(1, icmp, span())).toBe(false);
    expect(udpInFrame(147, frame, span())).toBe(false); // a link type it does not know
  });
});

describe('AddressBook and group addresses', () => {
  it('one string per address, in dotted-quad form', () => {
    const book = new AddressBook(4);
    const a = book.name(0x0a000001);
    expect(a).toBe('10.0.0.1');
    expect(book.name(0x0a000001)).toBe(a);
    expect(book.name(0xffffffff)).toBe('255.255.255.255');
    for (let i = 0; i < 10; i++) expect(book.name(0xc0a80000 + i)).toBe(`192.168.0.${i}`); // bounded: starts over
  });

  it('multicast and the limited broadcast are group addresses, a unicast is not', () => {
    expect(isGroupNumber(ipv4ToUint32('224.0.0.11'))).toBe(true);
    expect(isGroupNumber(ipv4ToUint32('239.255.255.255'))).toBe(true);
    expect(isGroupNumber(ipv4ToUint32('255.255.255.255'))).toBe(true);
    expect(isGroupNumber(ipv4ToUint32('223.255.255.255'))).toBe(false);
    expect(isGroupNumber(ipv4ToUint32('10.0.0.255'))).toBe(false);
  });
});

describe('the fast path and the general path give the same events', () => {
  /** Every event of a capture, read with the fast path or (with an SA lookup that finds none) without. */
  function events(file: string, general: boolean): PmipEvent[] {
    const out: PmipEvent[] = [];
    const observer = new WireObserver({
      emit: (e) => out.push(structuredClone(e)),
      timeoutSeconds: 10,
      ...(general ? { securityAssociations: { lookup: () => undefined } } : {}),
    });
    const reader = new CaptureStreamReader();
    for (const f of reader.push(readFileSync(file))) observer.frame(f);
    observer.advance(observer.now() + 60_000);
    const stats = observer.statistics();
    out.push({ type: 'statistics', ...stats } as unknown as PmipEvent);
    return out;
  }

  it('on a generated capture with retransmissions, 133 resyncs, timeouts and moves', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'observe-paths-'));
    try {
      const { file, messages } = generateCapture(30_000, path.join(dir, 'capture.pcap'));
      const fast = events(file, false);
      const general = events(file, true);
      expect(messages).toBeGreaterThanOrEqual(30_000);
      const kinds = new Set(fast.map((e) => e.type));
      for (const k of [
        'registration-sent',
        'reply-received',
        'registration-outcome',
        'client-moved',
        'time-sync',
      ])
        expect(kinds.has(k as PmipEvent['type'])).toBe(true);
      expect(fast.length).toBe(general.length);
      expect(fast).toEqual(general);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
