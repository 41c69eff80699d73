import { checkUint } from './checks.ts';
import { badValue, WireError } from './errors.ts';
import { readIpv4, writeIpv4 } from './ipv4.ts';

/**
 * Agent Advertisement (ICMP router advertisement, type 9, carrying the Mobility Agent
 * Advertisement Extension 16 and optionally the Prefix-Lengths Extension 19) and Agent
 * Solicitation (ICMP type 10), RFC 5944 section 2.1. Input and output are the ICMP message
 * (the IPv4 payload), checksum included.
 */
export const ICMP_ROUTER_ADVERTISEMENT = 9;
export const ICMP_ROUTER_SOLICITATION = 10;
export const EXT_MOBILITY_AGENT = 16;
export const EXT_PREFIX_LENGTHS = 19;
export const EXT_PAD = 0;

export const ADVERTISEMENT_FLAG_BITS = {
  R: 0x80,
  B: 0x40,
  H: 0x20,
  F: 0x10,
  M: 0x08,
  G: 0x04,
  r: 0x02,
  T: 0x01,
} as const;
export type AdvertisementFlag = keyof typeof ADVERTISEMENT_FLAG_BITS;
export const ADVERTISEMENT_FLAG_LETTERS = Object.keys(ADVERTISEMENT_FLAG_BITS) as AdvertisementFlag[];
export type AdvertisementFlags = Record<AdvertisementFlag, boolean>;

export interface RouterAddress {
  address: string;
  preference: number;
}

export interface AgentAdvertisement {
  type: 'agent-advertisement';
  /** ICMP code: 0, or 16 when the agent does not route common traffic. */
  icmpCode: number;
  /** ICMP router advertisement lifetime in seconds. */
  routerLifetime: number;
  routerAddresses: RouterAddress[];
  /** Sequence number; wraps from 0xffff to 256 so a reboot (back to 0..255) is detectable. */
  sequence: number;
  /** Longest registration lifetime this agent accepts, seconds (0xffff = infinite). */
  registrationLifetime: number;
  flags: AdvertisementFlags;
  careOfAddresses: string[];
  /** From extension 19, one prefix length per router address, when present. */
  prefixLengths?: number[];
  /** Trailing one-byte pad extensions. */
  padding: number;
}

export interface AgentSolicitation {
  type: 'agent-solicitation';
}

export type IcmpMobilityMessage = AgentAdvertisement | AgentSolicitation;

export function advertisementFlags(set: Partial<AdvertisementFlags> = {}): AdvertisementFlags {
  return { R: false, B: false, H: false, F: false, M: false, G: false, r: false, T: false, ...set };
}

/** The Internet checksum (RFC 1071) of `buf`. */
export function internetChecksum(buf: Uint8Array): number {
  let sum = 0;
  const n = buf.length;
  for (let i = 0; i + 1 < n; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (n % 2 === 1) sum += buf[n - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The next advertisement sequence number: after 0xffff comes 256, never 0-255 again. */
export function nextAdvertisementSequence(sequence: number): number {
  return sequence >= 0xffff ? 256 : sequence + 1;
}

/** True when a new sequence number shows the agent restarted (it fell back below 256). */
export function indicatesAgentReboot(previous: number, current: number): boolean {
  return current < 256 && current <= previous;
}

export function encodeAgentAdvertisement(adv: AgentAdvertisement): Buffer {
  checkUint(adv.icmpCode, 'icmpCode', 255, badValue);
  checkUint(adv.routerLifetime, 'routerLifetime', 0xffff, badValue);
  checkUint(adv.sequence, 'sequence', 0xffff, badValue);
  checkUint(adv.registrationLifetime, 'registrationLifetime', 0xffff, badValue);
  checkUint(adv.padding, 'padding', 64, badValue);
  if (adv.routerAddresses.length > 255) throw new WireError('bad-value', 'routerAddresses: at most 255');
  if (adv.careOfAddresses.length > 62)
    throw new WireError('bad-value', 'careOfAddresses: at most 62 fit in extension 16');
  const prefixes = adv.prefixLengths;
  if (prefixes && prefixes.length > 255) throw new WireError('bad-value', 'prefixLengths: at most 255');
  const total =
    8 +
    adv.routerAddresses.length * 8 +
    8 +
    adv.careOfAddresses.length * 4 +
    (prefixes ? 2 + prefixes.length : 0) +
    adv.padding;
  const buf = Buffer.alloc(total);
  buf[0] = ICMP_ROUTER_ADVERTISEMENT;
  buf[1] = adv.icmpCode;
  buf[4] = adv.routerAddresses.length;
  buf[5] = 2; // address entry size in 32-bit words
  buf.writeUInt16BE(adv.routerLifetime, 6);
  let off = 8;
  adv.routerAddresses.forEach((r, i) => {
    writeIpv4(buf, off, r.address, `routerAddresses[${i}].address`);
    checkUint(r.preference, `routerAddresses[${i}].preference`, 0xffffffff, badValue);
    buf.writeUInt32BE(r.preference, off + 4);
    off += 8;
  });
  buf[off] = EXT_MOBILITY_AGENT;
  buf[off + 1] = 6 + 4 * adv.careOfAddresses.length;
  buf.writeUInt16BE(adv.sequence, off + 2);
  buf.writeUInt16BE(adv.registrationLifetime, off + 4);
  let flagByte = 0;
  for (const letter of ADVERTISEMENT_FLAG_LETTERS)
    if (adv.flags[letter]) flagByte |= ADVERTISEMENT_FLAG_BITS[letter];
  buf[off + 6] = flagByte;
  buf[off + 7] = 0;
  off += 8;
  adv.careOfAddresses.forEach((a, i) => {
    writeIpv4(buf, off, a, `careOfAddresses[${i}]`);
    off += 4;
  });
  if (prefixes) {
    buf[off] = EXT_PREFIX_LENGTHS;
    buf[off + 1] = prefixes.length;
    prefixes.forEach((p, i) => {
      checkUint(p, `prefixLengths[${i}]`, 32, badValue);
      buf[off + 2 + i] = p;
    });
    off += 2 + prefixes.length;
  }
  // the remaining bytes are one-byte pad extensions (type 0), already zero
  buf.writeUInt16BE(internetChecksum(buf), 2);
  return buf;
}

export function encodeAgentSolicitation(): Buffer {
  const buf = Buffer.alloc(8);
  buf[0] = ICMP_ROUTER_SOLICITATION;
  buf.writeUInt16BE(internetChecksum(buf), 2);
  return buf;
}

/**
 * Decodes an ICMP message into an agent advertisement or solicitation. A router advertisement
 * without the mobility agent extension is not an agent advertisement: `unknown-type`.
 */
export function decodeIcmpMobility(buf: Buffer): IcmpMobilityMessage {
  if (buf.length < 8)
    throw new WireError('truncated', `ICMP message needs 8 bytes, got ${buf.length}`, buf.length);
  const type = buf[0]!;
  if (type !== ICMP_ROUTER_ADVERTISEMENT && type !== ICMP_ROUTER_SOLICITATION) {
    throw new WireError(
      'unknown-type',
      `ICMP type ${type} is not an agent advertisement (9) or solicitation (10)`,
      0,
    );
  }
  if (internetChecksum(buf) !== 0) {
    throw new WireError(
      'bad-checksum',
      `ICMP checksum 0x${buf.readUInt16BE(2).toString(16).padStart(4, '0')} does not match`,
      2,
    );
  }
  if (type === ICMP_ROUTER_SOLICITATION) return { type: 'agent-solicitation' };

  const count = buf[4]!;
  const entryWords = buf[5]!;
  if (entryWords < 2)
    throw new WireError('bad-length', `address entry size ${entryWords} words, needs >= 2`, 5);
  const routerLifetime = buf.readUInt16BE(6);
  let off = 8;
  const routerAddresses: RouterAddress[] = [];
  for (let i = 0; i < count; i++) {
    if (off + entryWords * 4 > buf.length) {
      throw new WireError('truncated', `router address ${i} of ${count} runs past the end`, off);
    }
    routerAddresses.push({ address: readIpv4(buf, off), preference: buf.readUInt32BE(off + 4) });
    off += entryWords * 4;
  }
  let mobility:
    | Omit<AgentAdvertisement, 'type' | 'icmpCode' | 'routerLifetime' | 'routerAddresses' | 'padding'>
    | undefined;
  let prefixLengths: number[] | undefined;
  let padding = 0;
  while (off < buf.length) {
    const extType = buf[off]!;
    if (extType === EXT_PAD) {
      padding++;
      off++;
      continue;
    }
    if (off + 2 > buf.length)
      throw new WireError('truncated', `extension ${extType} has no length byte`, off);
    const len = buf[off + 1]!;
    if (off + 2 + len > buf.length) {
      throw new WireError(
        'bad-length',
        `extension ${extType} declares ${len} bytes, ${buf.length - off - 2} remain`,
        off,
      );
    }
    if (extType === EXT_MOBILITY_AGENT) {
      if (len < 6 || (len - 6) % 4 !== 0) {
        throw new WireError('bad-length', `mobility agent extension length ${len} is not 6 + 4N`, off + 1);
      }
      const flagByte = buf[off + 6]!;
      const flags = advertisementFlags();
      for (const letter of ADVERTISEMENT_FLAG_LETTERS)
        flags[letter] = (flagByte & ADVERTISEMENT_FLAG_BITS[letter]) !== 0;
      const careOfAddresses: string[] = [];
      for (let p = off + 8; p < off + 2 + len; p += 4) careOfAddresses.push(readIpv4(buf, p));
      mobility = {
        sequence: buf.readUInt16BE(off + 2),
        registrationLifetime: buf.readUInt16BE(off + 4),
        flags,
        careOfAddresses,
      };
    } else if (extType === EXT_PREFIX_LENGTHS) {
      prefixLengths = [...buf.subarray(off + 2, off + 2 + len)];
      // an IPv4 prefix length above 32 makes no sense (and the encoder would refuse to send it back)
      const bad = prefixLengths.findIndex((p) => p > 32);
      if (bad >= 0)
        throw new WireError('bad-value', `prefix length ${prefixLengths[bad]} is above 32`, off + 2 + bad);
    } else if (extType < 128) {
      throw new WireError(
        'unknown-extension',
        `non-skippable advertisement extension type ${extType} is not understood`,
        off,
      );
    }
    // skippable unknown extensions (128-255) are ignored
    padding = 0; // padding counts only the trailing pad bytes
    off += 2 + len;
  }
  if (!mobility) {
    throw new WireError('unknown-type', 'router advertisement without a mobility agent extension (16)', 8);
  }
  const adv: AgentAdvertisement = {
    type: 'agent-advertisement',
    icmpCode: buf[1]!,
    routerLifetime,
    routerAddresses,
    ...mobility,
    padding,
  };
  if (prefixLengths) adv.prefixLengths = prefixLengths;
  return adv;
}
