/**
 * tshark agrees with us: a few hundred seeded-random registration requests and replies, agent
 * advertisements and solicitations, encoded by our codec and written by our pcap writer, are
 * dissected by tshark; every field tshark reports must equal what we encoded, with no malformed
 * packet and no expert info at warning level or above. tshark is started three times in all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADVERTISEMENT_FLAG_BITS,
  advertisementFlags,
  decodeIcmpMobility,
  decodeRegistrationLayout,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  encodeRegistration,
  flagsFromByte,
  messageToJson,
  seededRandom,
  verifyAuthentication,
  type AgentAdvertisement,
  type AuthAlgorithm,
  type AuthExtensionType,
  type Extension,
  type RegistrationMessage,
} from '../../../src/pmip/wire/index.ts';
import { buildEthernet, buildIcmp, buildUdp, decodeCapture, PcapWriter } from '../../../src/capture/index.ts';
import {
  dissect,
  expectIcmpMobilityMatches,
  expectRegistrationMatches,
  selectFrames,
  show,
  tsharkAvailable,
  type PdmlPacket,
} from '../../support/tshark.ts';

const rng = seededRandom(0x5eed_434);
const int = (n: number): number => rng.uint32() % n;
const chance = (p: number): boolean => rng.float() < p;
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
const anyIpv4 = (): string => [int(256), int(256), int(256), int(256)].join('.');
/** A unicast host address (no 0/8, loopback, multicast or reserved), for the IP header. */
const hostIpv4 = (): string => {
  let first: number;
  do first = 1 + int(223);
  while (first === 127);
  return [first, int(256), int(256), 1 + int(254)].join('.');
};
const identification = (): bigint => (BigInt(rng.uint32()) << 32n) | BigInt(rng.uint32());

/** Skippable types tshark shows as plain `mip.extension` bytes (the others it dissects itself). */
const PLAIN_SKIPPABLE = Array.from({ length: 128 }, (_, i) => 128 + i).filter(
  (t) => ![131, 133, 134, 137, 139, 144, 145, 147, 148].includes(t),
);
const NAI_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+!&<>"\'';
const REPLY_CODES = [0, 1, 64, 65, 66, 67, 69, 70, 71, 77, 88, 128, 129, 130, 131, 132, 133, 134, 136, 149];

function randomNai(): string {
  const user = Array.from({ length: 1 + int(24) }, () => pick([...NAI_CHARS])).join('');
  return `${user}@${pick(['example.net', 'mip.example.org', 'realm'])}`;
}

/** Extensions that go before the authentication extensions. */
function randomPlainExtensions(): Extension[] {
  const exts: Extension[] = [];
  const n = int(4);
  for (let i = 0; i < n; i++) {
    switch (int(6)) {
      case 0:
      case 1:
        exts.push({ kind: 'nai', type: 131, nai: randomNai() });
        break;
      case 2:
        exts.push({ kind: 'raw', type: pick(PLAIN_SKIPPABLE), data: bytes(int(25)) });
        break;
      case 3: {
        // message string (RFC 4917): sub-type, then text
        const text = randomNai().replace(/[&<>"']/g, ' ');
        exts.push({
          kind: 'raw',
          type: 145,
          data: Buffer.concat([Buffer.from([1 + int(2)]), Buffer.from(text)]),
        });
        break;
      }
      case 4:
        // generalized authentication (RFC 3012), long form: sub-type, 16-bit length, SPI, authenticator
        exts.push({ kind: 'long', type: 36, subtype: 1, data: Buffer.concat([bytes(4), bytes(16)]) });
        break;
      default:
        // PMIPv4 non-skippable (RFC 5563), long form, sub-type 1: per-node authentication method
        exts.push({ kind: 'long', type: 47, subtype: 1, data: Buffer.from([1 + int(2)]) });
        break;
    }
  }
  return exts;
}

interface Sa {
  type: AuthExtensionType;
  spi: number;
  key: Buffer;
  algorithm: AuthAlgorithm;
}

const randomSa = (type: AuthExtensionType): Sa => ({
  type,
  spi: chance(0.8) ? 256 + int(0xffff) : rng.uint32(),
  key: bytes(16),
  algorithm: pick(['prefix-suffix', 'hmac-md5'] as const),
});

interface RegistrationCase {
  kind: 'registration';
  payload: Buffer;
  message: RegistrationMessage; // as decoded by our codec from the bytes we wrote
  sas: Sa[];
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

interface IcmpCase {
  kind: 'icmp';
  icmp: Buffer;
  advertisement?: AgentAdvertisement;
  src: string;
  dst: string;
}

type Case = RegistrationCase | IcmpCase;

function randomRegistration(): RegistrationCase {
  const request = chance(0.5);
  const lifetime = pick([0, 0xffff, 1 + int(0xfffe), 30 + int(1800)]);
  let message: RegistrationMessage = request
    ? {
        type: 'registration-request',
        flags: flagsFromByte(int(256)),
        lifetime,
        homeAddress: anyIpv4(),
        homeAgent: anyIpv4(),
        careOfAddress: anyIpv4(),
        identification: identification(),
        extensions: randomPlainExtensions(),
      }
    : {
        type: 'registration-reply',
        code: chance(0.8) ? pick(REPLY_CODES) : int(256),
        lifetime,
        homeAddress: anyIpv4(),
        homeAgent: anyIpv4(),
        identification: identification(),
        extensions: randomPlainExtensions(),
      };
  // Authentication extensions with real authenticators: Mobile-Home first, then sometimes a
  // Mobile-Foreign (requests) or Foreign-Home one over everything before it.
  const sas: Sa[] = [];
  let payload = encodeRegistration(message);
  if (chance(0.85)) {
    const mh = randomSa(32);
    sas.push(mh);
    payload = encodeRegistration(message, mh);
    if (chance(0.4)) {
      message = decodeRegistrationLayout(payload).message;
      if (chance(0.5))
        message.extensions.push({ kind: 'raw', type: pick(PLAIN_SKIPPABLE), data: bytes(int(9)) });
      const second = randomSa(request && chance(0.5) ? 33 : 34);
      sas.push(second);
      payload = encodeRegistration(message, second);
    }
  }
  const src = hostIpv4();
  const dst = hostIpv4();
  const ephemeral = 1024 + int(64000);
  return {
    kind: 'registration',
    payload,
    message: decodeRegistrationLayout(payload).message,
    sas,
    src,
    dst,
    srcPort: request ? ephemeral : 434,
    dstPort: request ? 434 : ephemeral,
  };
}

function randomAdvertisement(): IcmpCase {
  const routers = int(3);
  const coas = 1 + int(4);
  const adv: AgentAdvertisement = {
    type: 'agent-advertisement',
    icmpCode: pick([0, 16]),
    routerLifetime: int(0x10000),
    routerAddresses: Array.from({ length: routers }, () => ({
      address: hostIpv4(),
      preference: rng.uint32(),
    })),
    sequence: int(0x10000),
    registrationLifetime: int(0x10000),
    flags: advertisementFlags(),
    careOfAddresses: Array.from({ length: coas }, hostIpv4),
    padding: chance(0.3) ? 1 + int(3) : 0,
  };
  const flagByte = int(256);
  for (const [letter, bit] of Object.entries(ADVERTISEMENT_FLAG_BITS)) {
    adv.flags[letter as keyof typeof ADVERTISEMENT_FLAG_BITS] = (flagByte & bit) !== 0;
  }
  // RFC 5944 2.1.2: one prefix length per router address
  if (routers > 0 && chance(0.5)) adv.prefixLengths = Array.from({ length: routers }, () => int(33));
  return {
    kind: 'icmp',
    icmp: encodeAgentAdvertisement(adv),
    advertisement: adv,
    src: hostIpv4(),
    dst: '224.0.0.1',
  };
}

const randomSolicitation = (): IcmpCase => ({
  kind: 'icmp',
  icmp: encodeAgentSolicitation(),
  src: hostIpv4(),
  dst: '224.0.0.2',
});

const MESSAGE_COUNT = 360;
const cases = new Map<number, Case>();
const writer = new PcapWriter();
for (let i = 0; i < MESSAGE_COUNT; i++) {
  const r = rng.float();
  const c = r < 0.65 ? randomRegistration() : r < 0.9 ? randomAdvertisement() : randomSolicitation();
  const ip =
    c.kind === 'registration'
      ? buildUdp({ src: c.src, dst: c.dst, srcPort: c.srcPort, dstPort: c.dstPort, payload: c.payload })
      : buildIcmp({ src: c.src, dst: c.dst, ttl: 1, icmp: c.icmp });
  // every seventh frame carries an 802.1Q tag
  const frame =
    i % 7 === 3 ? writer.addFrame(buildEthernet(ip, { vlan: 1 + int(4094) })) : writer.addIpv4(ip);
  cases.set(frame, c);
}

/** tshark leaves IP and UDP checksums unverified unless told to check them. */
const CHECK_CHECKSUMS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

const available = tsharkAvailable();
if (!available) console.warn('tshark.test: tshark is not installed: run scripts/install-deps.sh');

describe('tshark agrees with us', () => {
  let dir: string;
  let file: string;
  let dissected: Map<number, PdmlPacket>;

  beforeAll(() => {
    if (!available) throw new Error('tshark is not installed (scripts/install-deps.sh installs it)');
    dir = mkdtempSync(path.join(tmpdir(), 'pmip-tshark-'));
    file = path.join(dir, 'random.pcap');
    writeFileSync(file, writer.toBuffer());
    dissected = dissect(file, CHECK_CHECKSUMS);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('generates a few hundred varied messages, and our codec round-trips them', () => {
    const all = [...cases.values()];
    const regs = all.filter((c): c is RegistrationCase => c.kind === 'registration');
    const icmps = all.filter((c): c is IcmpCase => c.kind === 'icmp');
    expect(all.length).toBeGreaterThanOrEqual(300);
    expect(regs.filter((c) => c.message.type === 'registration-request').length).toBeGreaterThan(80);
    expect(regs.filter((c) => c.message.type === 'registration-reply').length).toBeGreaterThan(80);
    expect(icmps.filter((c) => c.advertisement).length).toBeGreaterThan(50);
    expect(icmps.filter((c) => !c.advertisement).length).toBeGreaterThan(15);
    const extTypes = new Set(regs.flatMap((c) => c.message.extensions.map((e) => e.type)));
    for (const t of [32, 33, 34, 36, 47, 131, 145]) expect(extTypes, `extension ${t}`).toContain(t);
    for (const c of regs) {
      const decoded = decodeRegistrationLayout(c.payload);
      for (const sa of c.sas) expect(verifyAuthentication(decoded, sa)).toBe('ok');
      expect(encodeRegistration(decoded.message).equals(c.payload)).toBe(true);
    }
    for (const c of icmps) {
      if (c.advertisement) expect(decodeIcmpMobility(c.icmp)).toEqual(c.advertisement);
      else expect(decodeIcmpMobility(c.icmp)).toEqual({ type: 'agent-solicitation' });
    }
  });

  it('dissects every frame with good IP, UDP and ICMP checksums and the addresses we wrote', () => {
    expect([...dissected.keys()]).toEqual([...cases.keys()]);
    for (const [frame, c] of cases) {
      const p = dissected.get(frame)!;
      expect(show(p, 'ip.src'), `frame ${frame}`).toBe(c.src);
      expect(show(p, 'ip.dst'), `frame ${frame}`).toBe(c.dst);
      expect(show(p, 'ip.checksum.status'), `frame ${frame}`).toBe('1');
    }
  });

  it('reports every registration field exactly as we encoded it', () => {
    let compared = 0;
    for (const [frame, c] of cases) {
      if (c.kind !== 'registration') continue;
      try {
        const p = dissected.get(frame)!;
        expect(show(p, 'udp.srcport')).toBe(String(c.srcPort));
        expect(show(p, 'udp.dstport')).toBe(String(c.dstPort));
        expect(show(p, 'udp.checksum.status')).toBe('1'); // good
        expectRegistrationMatches(p, c.message);
      } catch (e) {
        throw new Error(`frame ${frame}: ${(e as Error).message}`, { cause: e });
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('reports every advertisement and solicitation field exactly as we encoded it', () => {
    let compared = 0;
    for (const [frame, c] of cases) {
      if (c.kind !== 'icmp') continue;
      try {
        if (c.advertisement) {
          // the byte after the flags is reserved: we send 0
          expect(c.icmp[8 + c.advertisement.routerAddresses.length * 8 + 7]).toBe(0);
        }
        expectIcmpMobilityMatches(dissected.get(frame)!, c.icmp, c.advertisement);
      } catch (e) {
        throw new Error(`frame ${frame}: ${(e as Error).message}`, { cause: e });
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(80);
  });

  it('finds no malformed packet and no expert info at warning or above', () => {
    // with checksum validation on, a wrong IP or UDP checksum would be an expert error here too
    expect(selectFrames(file, '_ws.malformed || _ws.expert.severity >= warning', CHECK_CHECKSUMS)).toEqual(
      [],
    );
    // the filter itself works: it selects a frame we break on purpose
    const broken = path.join(dir, 'broken.pcap');
    const w = new PcapWriter();
    const bad = Buffer.from(encodeRegistration(randomRegistration().message));
    w.addUdp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5000, dstPort: 434, payload: bad.subarray(0, 10) });
    writeFileSync(broken, w.toBuffer());
    expect(selectFrames(broken, '_ws.malformed || _ws.expert.severity >= warning')).toEqual([1]);
  });

  it('our reader and decoder give the same messages, frame by frame', () => {
    const records = [...decodeCapture(writer.toBuffer())];
    expect(records.map((r) => r.frame)).toEqual([...cases.keys()]);
    for (const r of records) {
      const c = cases.get(r.frame as number)!;
      const expected =
        c.kind === 'registration' ? messageToJson(c.message) : messageToJson(decodeIcmpMobility(c.icmp));
      expect(r).toEqual({ frame: r.frame, src: c.src, dst: c.dst, ...expected });
    }
  });
});
