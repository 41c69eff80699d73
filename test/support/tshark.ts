/**
 * Running tshark from tests and reading what it dissected. We use PDML (-T pdml): unlike -T json
 * it keeps repeated fields (several extensions, several care-of addresses) in document order, and
 * every field carries its raw bytes (`value`), which matters for the 64-bit identification that
 * tshark shows as a date.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import {
  ADVERTISEMENT_FLAG_BITS,
  ADVERTISEMENT_FLAG_LETTERS,
  flagsToByte,
  identificationToHex,
  type AgentAdvertisement,
  type RegistrationMessage,
} from '../../src/pmip/wire/index.ts';

export const TSHARK = process.env.TSHARK ?? '/usr/bin/tshark';

export function tsharkAvailable(): boolean {
  return existsSync(TSHARK);
}

/** Runs tshark with `args` and returns its standard output (stderr's root warning is dropped). */
export function runTshark(args: string[]): string {
  return execFileSync(TSHARK, args, {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface PdmlField {
  name: string;
  /** The displayed value (`show`), XML entities decoded. */
  show: string;
  /** The raw bytes as hex, when tshark gives them. */
  value?: string;
  /** Byte offset of the field in the frame. */
  pos: number;
  size: number;
}

export interface PdmlPacket {
  frame: number;
  /** Every field of the packet in document order (nested fields included). */
  fields: PdmlField[];
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|quot|amp|lt|gt|apos);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" }[e]!;
  });
}

/** Parses tshark's PDML output into packets with their fields in document order. */
export function parsePdml(xml: string): PdmlPacket[] {
  const packets: PdmlPacket[] = [];
  for (const chunk of xml.split('<packet>').slice(1)) {
    const fields: PdmlField[] = [];
    for (const tag of chunk.matchAll(/<field\s([^>]*?)\/?>/g)) {
      const attrs: Record<string, string> = {};
      for (const a of tag[1]!.matchAll(/([\w.]+)="([^"]*)"/g)) attrs[a[1]!] = decodeEntities(a[2]!);
      const field: PdmlField = {
        name: attrs.name ?? '',
        show: attrs.show ?? '',
        pos: Number(attrs.pos ?? 0),
        size: Number(attrs.size ?? 0),
      };
      if (attrs.value !== undefined) field.value = attrs.value;
      fields.push(field);
    }
    const num = fields.find((f) => f.name === 'num');
    if (!num) throw new Error('PDML packet without a frame number');
    packets.push({ frame: Number(num.show), fields });
  }
  return packets;
}

/** Dissects `file` and returns its packets by frame number. */
export function dissect(file: string, extraArgs: string[] = []): Map<number, PdmlPacket> {
  const packets = parsePdml(runTshark(['-r', file, '-T', 'pdml', ...extraArgs]));
  return new Map(packets.map((p) => [p.frame, p]));
}

/** Frame numbers that a display filter selects. */
export function selectFrames(file: string, filter: string, extraArgs: string[] = []): number[] {
  const out = runTshark(['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number', ...extraArgs]);
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

/** The displayed values of every occurrence of `name`, in order. */
export function shows(packet: PdmlPacket, name: string): string[] {
  return packet.fields.filter((f) => f.name === name).map((f) => f.show);
}

/** The raw hex of every occurrence of `name`, in order. */
export function raws(packet: PdmlPacket, name: string): string[] {
  return packet.fields.filter((f) => f.name === name).map((f) => f.value ?? '');
}

/** The single displayed value of `name`; throws when it is absent or repeated. */
export function show(packet: PdmlPacket, name: string): string {
  const all = shows(packet, name);
  if (all.length !== 1) throw new Error(`frame ${packet.frame}: ${all.length} occurrences of ${name}`);
  return all[0]!;
}

/** Field names present in the packet that start with `prefix`. */
export function fieldNames(packet: PdmlPacket, prefix: string): Set<string> {
  return new Set(packet.fields.map((f) => f.name).filter((n) => n.startsWith(prefix)));
}

// ---------------------------------------------------------------------------------------------
// Comparing tshark's dissection of a frame with a message of our codec. Every mip.* / icmp.*
// field tshark reports must be one of the compared names, so nothing escapes the comparison.

const hexOf = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');
const bool = (b: boolean): string => (b ? '1' : '0');

/** Every mip.* field name tshark may report for our registration messages; all are compared. */
export const COMPARED_MIP_FIELDS: ReadonlySet<string> = new Set([
  'mip.type',
  'mip.flags',
  'mip.s',
  'mip.b',
  'mip.d',
  'mip.m',
  'mip.g',
  'mip.v',
  'mip.t',
  'mip.x',
  'mip.code',
  'mip.life',
  'mip.homeaddr',
  'mip.haaddr',
  'mip.coa',
  'mip.ident',
  'mip.ext.type',
  'mip.ext.len',
  'mip.auth.spi',
  'mip.auth.auth',
  'mip.nai',
  'mip.extension',
  'mip.ext.auth.subtype',
  'mip.ext.msgstr.subtype',
  'mip.ext.msgstr.text',
  'mip.ext.pmipv4nonskipext.subtype',
  'mip.ext.pmipv4nonskipext.pernodeauthmethod',
]);

/** Every icmp.* field name tshark may report for agent advertisements and solicitations. */
export const COMPARED_ICMP_FIELDS: ReadonlySet<string> = new Set([
  'icmp.type',
  'icmp.code',
  'icmp.checksum',
  'icmp.checksum.status',
  'icmp.num_addrs',
  'icmp.addr_entry_size',
  'icmp.lifetime',
  'icmp.router_address',
  'icmp.pref_level',
  'icmp.mip.type',
  'icmp.mip.length',
  'icmp.mip.seq',
  'icmp.mip.life',
  'icmp.mip.flags',
  'icmp.mip.r',
  'icmp.mip.b',
  'icmp.mip.h',
  'icmp.mip.f',
  'icmp.mip.m',
  'icmp.mip.g',
  'icmp.mip.v',
  'icmp.mip.rt',
  'icmp.mip.u',
  'icmp.mip.x',
  'icmp.mip.reserved',
  'icmp.mip.coa',
  'icmp.mip.prefixlength',
]);

/** Asserts that tshark's mip.* fields of frame `p` equal registration message `m`, field by field. */
export function expectRegistrationMatches(p: PdmlPacket, m: RegistrationMessage): void {
  expect(show(p, 'mip.life')).toBe(String(m.lifetime));
  expect(show(p, 'mip.homeaddr')).toBe(m.homeAddress);
  expect(show(p, 'mip.haaddr')).toBe(m.homeAgent);
  // tshark shows the identification as an NTP date; its raw bytes are the 64 bits
  expect(raws(p, 'mip.ident')).toEqual([identificationToHex(m.identification)]);
  if (m.type === 'registration-request') {
    expect(show(p, 'mip.type')).toBe('1');
    expect(Number.parseInt(show(p, 'mip.flags'), 16)).toBe(flagsToByte(m.flags));
    // tshark names 0x04 "v" (RFC 3344's Van Jacobson bit; RFC 5944 made it the reserved "r")
    const bits: Array<[string, boolean]> = [
      ['mip.s', m.flags.S],
      ['mip.b', m.flags.B],
      ['mip.d', m.flags.D],
      ['mip.m', m.flags.M],
      ['mip.g', m.flags.G],
      ['mip.v', m.flags.r],
      ['mip.t', m.flags.T],
      ['mip.x', m.flags.x],
    ];
    for (const [name, set] of bits) expect(show(p, name), name).toBe(bool(set));
    expect(show(p, 'mip.coa')).toBe(m.careOfAddress);
    expect(shows(p, 'mip.code')).toEqual([]);
  } else {
    expect(show(p, 'mip.type')).toBe('3');
    expect(show(p, 'mip.code')).toBe(String(m.code));
    expect(shows(p, 'mip.coa')).toEqual([]);
    expect(shows(p, 'mip.flags')).toEqual([]);
  }

  // Extensions, field by field, in order.
  const types: string[] = [];
  const lengths: string[] = [];
  const spis: string[] = [];
  const authenticators: string[] = [];
  const nais: string[] = [];
  const plain: string[] = [];
  const genAuthSubtypes: string[] = [];
  const msgSubtypes: string[] = [];
  const msgTexts: string[] = [];
  const pmipSubtypes: string[] = [];
  const pmipMethods: string[] = [];
  for (const ext of m.extensions) {
    types.push(String(ext.type));
    switch (ext.kind) {
      case 'auth':
        lengths.push(String(4 + ext.authenticator.length));
        spis.push(`0x${hexOf(ext.spi, 8)}`);
        authenticators.push(ext.authenticator.toString('hex'));
        break;
      case 'nai':
        lengths.push(String(Buffer.byteLength(ext.nai)));
        nais.push(ext.nai);
        break;
      case 'long':
        // 36 and 47 use the long form: sub-type, then a 16-bit length
        lengths.push(String(ext.data.length));
        if (ext.type === 36) {
          genAuthSubtypes.push(String(ext.subtype));
          spis.push(`0x${ext.data.subarray(0, 4).toString('hex')}`);
          authenticators.push(ext.data.subarray(4).toString('hex'));
        } else {
          pmipSubtypes.push(String(ext.subtype));
          if (ext.subtype === 1) pmipMethods.push(String(ext.data[0]));
        }
        break;
      case 'raw':
        lengths.push(String(ext.data.length));
        if (ext.type === 145) {
          msgSubtypes.push(String(ext.data[0]));
          msgTexts.push(ext.data.subarray(1).toString('latin1'));
        } else {
          plain.push(ext.data.toString('hex'));
        }
        break;
    }
  }
  expect(shows(p, 'mip.ext.type')).toEqual(types);
  expect(shows(p, 'mip.ext.len')).toEqual(lengths);
  expect(shows(p, 'mip.auth.spi')).toEqual(spis);
  expect(raws(p, 'mip.auth.auth')).toEqual(authenticators);
  expect(shows(p, 'mip.nai')).toEqual(nais);
  expect(raws(p, 'mip.extension')).toEqual(plain);
  expect(shows(p, 'mip.ext.auth.subtype')).toEqual(genAuthSubtypes);
  expect(shows(p, 'mip.ext.msgstr.subtype')).toEqual(msgSubtypes);
  expect(shows(p, 'mip.ext.msgstr.text')).toEqual(msgTexts);
  expect(shows(p, 'mip.ext.pmipv4nonskipext.subtype')).toEqual(pmipSubtypes);
  expect(shows(p, 'mip.ext.pmipv4nonskipext.pernodeauthmethod')).toEqual(pmipMethods);

  const unexpected = [...fieldNames(p, 'mip.')].filter((n) => !COMPARED_MIP_FIELDS.has(n));
  expect(unexpected, 'mip.* fields left out of the comparison').toEqual([]);
}

/**
 * Asserts that tshark's icmp.* fields of frame `p` equal the ICMP message `icmp`: an agent
 * advertisement `adv` (as our codec sees it), or a solicitation when `adv` is undefined.
 */
export function expectIcmpMobilityMatches(p: PdmlPacket, icmp: Buffer, adv?: AgentAdvertisement): void {
  expect(show(p, 'icmp.checksum.status')).toBe('1'); // good
  expect(show(p, 'icmp.checksum')).toBe(`0x${icmp.subarray(2, 4).toString('hex')}`);
  const unexpected = [...fieldNames(p, 'icmp.')].filter((n) => !COMPARED_ICMP_FIELDS.has(n));
  expect(unexpected, 'icmp.* fields left out of the comparison').toEqual([]);
  if (!adv) {
    expect(show(p, 'icmp.type')).toBe('10');
    expect(show(p, 'icmp.code')).toBe(String(icmp[1]));
    expect(shows(p, 'icmp.mip.type')).toEqual([]);
    return;
  }
  expect(show(p, 'icmp.type')).toBe('9');
  expect(show(p, 'icmp.code')).toBe(String(adv.icmpCode));
  expect(show(p, 'icmp.num_addrs')).toBe(String(adv.routerAddresses.length));
  expect(show(p, 'icmp.addr_entry_size')).toBe(String(icmp[5]));
  expect(show(p, 'icmp.lifetime')).toBe(String(adv.routerLifetime));
  expect(shows(p, 'icmp.router_address')).toEqual(adv.routerAddresses.map((r) => r.address));
  // tshark shows the preference as a signed 32-bit number; compare the raw bytes
  expect(raws(p, 'icmp.pref_level')).toEqual(adv.routerAddresses.map((r) => hexOf(r.preference, 8)));

  const extTypes = ['16'];
  const extLengths = [String(6 + 4 * adv.careOfAddresses.length)];
  if (adv.prefixLengths) {
    extTypes.push('19');
    extLengths.push(String(adv.prefixLengths.length));
  }
  for (let i = 0; i < adv.padding; i++) extTypes.push('0'); // one-byte pads have no length byte
  expect(shows(p, 'icmp.mip.type')).toEqual(extTypes);
  expect(shows(p, 'icmp.mip.length')).toEqual(extLengths);
  expect(show(p, 'icmp.mip.seq')).toBe(String(adv.sequence));
  expect(show(p, 'icmp.mip.life')).toBe(String(adv.registrationLifetime));
  let flagByte = 0;
  for (const letter of ADVERTISEMENT_FLAG_LETTERS)
    if (adv.flags[letter]) flagByte |= ADVERTISEMENT_FLAG_BITS[letter];
  // tshark reads the flags and the reserved byte after them as one 16-bit field; our codec keeps
  // no reserved byte (it sends 0), so the expected one comes from the bytes
  const reserved = icmp[8 + icmp[4]! * icmp[5]! * 4 + 7]!;
  expect(show(p, 'icmp.mip.flags')).toBe(`0x${hexOf((flagByte << 8) | reserved, 4)}`);
  const bits: Array<[string, boolean]> = [
    ['icmp.mip.r', adv.flags.R],
    ['icmp.mip.b', adv.flags.B],
    ['icmp.mip.h', adv.flags.H],
    ['icmp.mip.f', adv.flags.F],
    ['icmp.mip.m', adv.flags.M],
    ['icmp.mip.g', adv.flags.G],
    ['icmp.mip.v', adv.flags.r], // RFC 3344's VJ bit, the reserved "r" of RFC 5944
    ['icmp.mip.rt', adv.flags.T],
    ['icmp.mip.u', (reserved & 0x80) !== 0], // RFC 3519 UDP tunnelling, in the reserved byte
    ['icmp.mip.x', (reserved & 0x40) !== 0], // RFC 3543 revocation support, likewise
  ];
  expect(show(p, 'icmp.mip.reserved')).toBe(`0x${hexOf(reserved & 0x3f, 4)}`);
  for (const [name, set] of bits) expect(show(p, name), name).toBe(bool(set));
  expect(shows(p, 'icmp.mip.coa')).toEqual(adv.careOfAddresses);
  expect(shows(p, 'icmp.mip.prefixlength')).toEqual((adv.prefixLengths ?? []).map(String));
}
