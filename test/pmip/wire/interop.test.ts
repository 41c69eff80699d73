/**
 * We agree with a real capture: a third-party Mobile IPv4 capture (Ethernet, 430 frames, agent
 * solicitations and advertisements, 7 registration request/reply pairs among ICMP echo traffic)
 * must decode with our reader and codec, field for field as tshark dissects it. The capture lives
 * in ../shared (never copied into the project); without it the test is skipped, and says so.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeCapture,
  readCaptureFrames,
  readCapturePackets,
  type CapturePacket,
  type DecodedRecord,
} from '../../../src/capture/index.ts';
import { decodeIcmpMobility, decodeRegistration, messageToJson } from '../../../src/pmip/wire/index.ts';
import {
  dissect,
  expectIcmpMobilityMatches,
  expectRegistrationMatches,
  show,
  shows,
  tsharkAvailable,
  type PdmlPacket,
} from '../../support/tshark.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const fixture = path.resolve(repoRoot, '../shared/fixtures/interop/mip-foreign-network.pcap');
const present = existsSync(fixture);
if (!present) {
  console.warn(`interop.test: SKIPPED because ../shared is absent (no ${fixture})`);
}

describe.skipIf(!present)('we agree with a real capture (mip-foreign-network.pcap)', () => {
  let file: Buffer;
  let dissected: Map<number, PdmlPacket>;
  let packets: Map<number, CapturePacket>;
  let records: Map<number, DecodedRecord>;

  beforeAll(() => {
    if (!tsharkAvailable()) throw new Error('tshark is not installed (scripts/install-deps.sh installs it)');
    file = readFileSync(fixture);
    dissected = dissect(fixture);
    packets = new Map([...readCapturePackets(file)].map((p) => [p.frame, p]));
    records = new Map([...decodeCapture(file)].map((r) => [r.frame as number, r]));
  });

  const tsharkFrames = (pred: (p: PdmlPacket) => boolean): number[] =>
    [...dissected.values()].filter(pred).map((p) => p.frame);
  const isRegistration = (p: PdmlPacket) => shows(p, 'mip.type').length > 0;
  const isAdvertisement = (p: PdmlPacket) =>
    shows(p, 'icmp.type').includes('9') && shows(p, 'icmp.mip.type').includes('16');
  const isSolicitation = (p: PdmlPacket) => shows(p, 'icmp.type').includes('10');

  it('reads all 430 frames, numbered as tshark numbers them, all of them IPv4', () => {
    const frames = [...readCaptureFrames(file)];
    expect(frames).toHaveLength(430);
    expect(frames.map((f) => f.frame)).toEqual([...dissected.keys()]);
    expect(new Set(frames.map((f) => f.linkType))).toEqual(new Set([1]));
    expect(packets.size).toBe(430);
    for (const [frame, p] of dissected) {
      const ours = packets.get(frame)!;
      expect(ours.src, `frame ${frame}`).toBe(show(p, 'ip.src'));
      expect(ours.dst, `frame ${frame}`).toBe(show(p, 'ip.dst'));
      expect(ours.protocol, `frame ${frame}`).toBe(Number(show(p, 'ip.proto')));
      expect(ours.truncated).toBe(false);
    }
  });

  it('finds the 14 registration messages (7 requests, 7 replies) tshark finds, in the same frames', () => {
    const regFrames = tsharkFrames(isRegistration);
    expect(regFrames).toHaveLength(14);
    const ours = [...records.values()].filter((r) => String(r.type).startsWith('registration-'));
    expect(ours.map((r) => r.frame)).toEqual(regFrames);
    expect(ours.filter((r) => r.type === 'registration-request')).toHaveLength(7);
    expect(ours.filter((r) => r.type === 'registration-reply')).toHaveLength(7);
    // no frame of the capture is malformed for us
    expect([...records.values()].filter((r) => 'error' in r)).toEqual([]);
  });

  it('decodes every registration message to exactly the fields tshark dissects', () => {
    for (const frame of tsharkFrames(isRegistration)) {
      const p = dissected.get(frame)!;
      const packet = packets.get(frame)!;
      if (packet.kind !== 'udp') throw new Error(`frame ${frame} is not UDP for us`);
      expect(show(p, 'udp.srcport')).toBe(String(packet.srcPort));
      expect(show(p, 'udp.dstport')).toBe(String(packet.dstPort));
      expect([packet.srcPort, packet.dstPort]).toContain(434);
      const message = decodeRegistration(packet.payload);
      try {
        expectRegistrationMatches(p, message);
      } catch (e) {
        throw new Error(`frame ${frame}: ${(e as Error).message}`, { cause: e });
      }
      expect(records.get(frame)).toEqual({
        frame,
        src: packet.src,
        dst: packet.dst,
        ...messageToJson(message),
      });
    }
  });

  it('matches what the capture README says about the registrations', () => {
    const regs = [...records.values()].filter((r) => String(r.type).startsWith('registration-'));
    for (const r of regs) {
      expect(r).toMatchObject({ homeAddress: '192.168.2.1', homeAgent: '192.168.0.2', extensions: [] });
      if (r.type === 'registration-request')
        expect(r).toMatchObject({ lifetime: 60, careOfAddress: '192.168.0.3' });
      else expect(r).toMatchObject({ lifetime: 30, code: 0, codeName: 'accepted' });
    }
    // each reply echoes its request's identification
    for (let i = 0; i < regs.length; i += 2) {
      expect(regs[i]!.type).toBe('registration-request');
      expect(regs[i + 1]!.type).toBe('registration-reply');
      expect(regs[i + 1]!.identification).toBe(regs[i]!.identification);
    }
  });

  it('decodes every agent advertisement and solicitation to exactly the fields tshark dissects', () => {
    const advFrames = tsharkFrames(isAdvertisement);
    const solFrames = tsharkFrames(isSolicitation);
    expect(advFrames.length).toBe(42);
    expect(solFrames.length).toBe(42);
    expect([...records.values()].filter((r) => r.type === 'agent-advertisement').map((r) => r.frame)).toEqual(
      advFrames,
    );
    expect([...records.values()].filter((r) => r.type === 'agent-solicitation').map((r) => r.frame)).toEqual(
      solFrames,
    );
    for (const frame of [...advFrames, ...solFrames]) {
      const packet = packets.get(frame)!;
      if (packet.kind !== 'icmp') throw new Error(`frame ${frame} is not ICMP for us`);
      const message = decodeIcmpMobility(packet.icmp);
      try {
        expectIcmpMobilityMatches(
          dissected.get(frame)!,
          packet.icmp,
          message.type === 'agent-advertisement' ? message : undefined,
        );
      } catch (e) {
        throw new Error(`frame ${frame}: ${(e as Error).message}`, { cause: e });
      }
      expect(records.get(frame)).toEqual({
        frame,
        src: packet.src,
        dst: packet.dst,
        ...messageToJson(message),
      });
    }
    expect(records.get(advFrames[0]!)).toMatchObject({
      registrationLifetime: 60,
      flags: ['R', 'H', 'F'],
      careOfAddresses: ['192.168.0.3'],
    });
  });

  it('reads the same capture converted to pcapng by editcap to the same messages', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pmip-interop-'));
    try {
      const converted = path.join(dir, 'converted.pcapng');
      execFileSync('editcap', ['-F', 'pcapng', fixture, converted], { stdio: 'ignore' });
      const ng = readFileSync(converted);
      expect(ng.readUInt32LE(0)).toBe(0x0a0d0d0a);
      expect([...decodeCapture(ng)]).toEqual([...records.values()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports nothing else: the echo traffic is skipped', () => {
    const expected = tsharkFrames((p) => isRegistration(p) || isAdvertisement(p) || isSolicitation(p));
    expect([...records.keys()]).toEqual(expected);
    expect(records.size).toBe(98);
  });
});
