import { z } from 'zod';
import { WireError } from './errors.ts';
import { isIpv4 } from './ipv4.ts';
import type { Extension } from './extensions.ts';
import {
  REQUEST_FLAG_LETTERS,
  requestFlags,
  type RegistrationMessage,
  type RegistrationReply,
  type RegistrationRequest,
  type RequestFlag,
} from './registration.ts';
import {
  ADVERTISEMENT_FLAG_LETTERS,
  advertisementFlags,
  type AdvertisementFlag,
  type AgentAdvertisement,
  type IcmpMobilityMessage,
} from './advertisement.ts';
import { identificationFromHex, identificationToHex } from './identification.ts';
import { replyCode } from '../reply-codes.ts';

/**
 * The JSON shape of wire messages, used by `pmip-exporter wire decode|encode` and documented in
 * docs/wire-cli.md: flags as arrays of letters, the identification as 16 lowercase hex digits,
 * binary fields as lowercase hex.
 */
export type ExtensionJson =
  | { type: 32 | 33 | 34; spi: number; authenticator: string }
  | { type: 131; nai: string }
  | { type: 36 | 47; subtype: number; data: string; form?: 'short' }
  | { type: number; data: string };

export type MessageJson = Record<string, unknown> & { type: string };

export function extensionToJson(ext: Extension): ExtensionJson {
  switch (ext.kind) {
    case 'auth':
      return { type: ext.type, spi: ext.spi, authenticator: ext.authenticator.toString('hex') };
    case 'nai':
      return { type: ext.type, nai: ext.nai };
    case 'long':
      return {
        type: ext.type,
        subtype: ext.subtype,
        data: ext.data.toString('hex'),
        // Extension 47 as some implementations write it (RFC 5563 section 3.1; wire-codec.md).
        ...(ext.form === 'short' ? { form: 'short' as const } : {}),
      };
    case 'raw':
      return { type: ext.type, data: ext.data.toString('hex') };
  }
}

export function messageToJson(m: RegistrationMessage | IcmpMobilityMessage): MessageJson {
  switch (m.type) {
    case 'registration-request':
      return {
        type: m.type,
        flags: REQUEST_FLAG_LETTERS.filter((l) => m.flags[l]),
        lifetime: m.lifetime,
        homeAddress: m.homeAddress,
        homeAgent: m.homeAgent,
        careOfAddress: m.careOfAddress,
        identification: identificationToHex(m.identification),
        extensions: m.extensions.map(extensionToJson),
      };
    case 'registration-reply':
      return {
        type: m.type,
        code: m.code,
        codeName: replyCode(m.code).reason,
        lifetime: m.lifetime,
        homeAddress: m.homeAddress,
        homeAgent: m.homeAgent,
        identification: identificationToHex(m.identification),
        extensions: m.extensions.map(extensionToJson),
      };
    case 'agent-advertisement': {
      const json: MessageJson = {
        type: m.type,
        icmpCode: m.icmpCode,
        routerLifetime: m.routerLifetime,
        routerAddresses: m.routerAddresses,
        sequence: m.sequence,
        registrationLifetime: m.registrationLifetime,
        flags: ADVERTISEMENT_FLAG_LETTERS.filter((l) => m.flags[l]),
        careOfAddresses: m.careOfAddresses,
      };
      if (m.prefixLengths) json.prefixLengths = m.prefixLengths;
      if (m.padding) json.padding = m.padding;
      return json;
    }
    case 'agent-solicitation':
      return { type: m.type };
  }
}

const ipv4 = z.string().refine(isIpv4, { message: 'must be a dotted-quad IPv4 address' });
const uint = (max: number) => z.number().int().min(0).max(max);
const hex = z.string().regex(/^([0-9a-fA-F]{2})*$/, 'must be hex bytes (an even number of hex digits)');
const identification = z.string().regex(/^[0-9a-fA-F]{1,16}$/, 'must be 1-16 hex digits');

const extensionSchema = z.union([
  z
    .object({
      type: z.union([z.literal(32), z.literal(33), z.literal(34)]),
      spi: uint(0xffffffff),
      authenticator: hex,
    })
    .strict(),
  z.object({ type: z.literal(131), nai: z.string() }).strict(),
  z
    .object({
      type: z.union([z.literal(36), z.literal(47)]),
      subtype: uint(255),
      data: hex,
      form: z.literal('short').optional(),
    })
    .strict()
    .refine((e) => e.form === undefined || e.type === 47, {
      message: 'form "short" is for type 47 only',
    }),
  z
    .object({ type: uint(255), data: hex })
    .strict()
    .refine((e) => e.type >= 128, {
      message: 'types 0-127 are non-skippable: only 32, 33, 34, 36 and 47 can be encoded',
    }),
]);

const requestFlagSchema = z.array(z.enum(REQUEST_FLAG_LETTERS as [RequestFlag, ...RequestFlag[]]));
const advFlagSchema = z.array(
  z.enum(ADVERTISEMENT_FLAG_LETTERS as [AdvertisementFlag, ...AdvertisementFlag[]]),
);

const messageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('registration-request'),
    flags: requestFlagSchema.default([]),
    lifetime: uint(0xffff),
    homeAddress: ipv4,
    homeAgent: ipv4,
    careOfAddress: ipv4,
    identification,
    extensions: z.array(extensionSchema).default([]),
  }),
  z.object({
    type: z.literal('registration-reply'),
    code: uint(255),
    codeName: z.string().optional(),
    lifetime: uint(0xffff),
    homeAddress: ipv4,
    homeAgent: ipv4,
    identification,
    extensions: z.array(extensionSchema).default([]),
  }),
  z.object({
    type: z.literal('agent-advertisement'),
    icmpCode: uint(255).default(0),
    routerLifetime: uint(0xffff).default(1800),
    routerAddresses: z.array(z.object({ address: ipv4, preference: uint(0xffffffff) })).default([]),
    sequence: uint(0xffff),
    registrationLifetime: uint(0xffff),
    flags: advFlagSchema.default([]),
    careOfAddresses: z.array(ipv4).max(62),
    prefixLengths: z.array(uint(32)).optional(),
    padding: uint(64).default(0),
  }),
  z.object({ type: z.literal('agent-solicitation') }),
]);

function extensionFromJson(e: z.infer<typeof extensionSchema>): Extension {
  if ('spi' in e)
    return { kind: 'auth', type: e.type, spi: e.spi, authenticator: Buffer.from(e.authenticator, 'hex') };
  if ('nai' in e) return { kind: 'nai', type: 131, nai: e.nai };
  if ('subtype' in e)
    return {
      kind: 'long',
      type: e.type as 36 | 47,
      subtype: e.subtype,
      data: Buffer.from(e.data, 'hex'),
      ...(e.form === 'short' ? { form: 'short' as const } : {}),
    };
  return { kind: 'raw', type: e.type, data: Buffer.from(e.data, 'hex') };
}

/** Formats zod issues as `path: rule` lines, the style every validation error in the project uses. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
}

/** `['accessPoints', 2, 'mode']` -> `accessPoints[2].mode`; the empty path is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** Parses the JSON shape back into a message; errors name the field and the rule. */
export function messageFromJson(input: unknown): RegistrationMessage | IcmpMobilityMessage {
  const parsed = messageSchema.safeParse(input);
  if (!parsed.success) throw new WireError('bad-value', formatIssues(parsed.error.issues));
  const m = parsed.data;
  switch (m.type) {
    case 'registration-request': {
      const flags = requestFlags();
      for (const l of m.flags) flags[l] = true;
      const req: RegistrationRequest = {
        type: m.type,
        flags,
        lifetime: m.lifetime,
        homeAddress: m.homeAddress,
        homeAgent: m.homeAgent,
        careOfAddress: m.careOfAddress,
        identification: identificationFromHex(m.identification),
        extensions: m.extensions.map(extensionFromJson),
      };
      return req;
    }
    case 'registration-reply': {
      const rep: RegistrationReply = {
        type: m.type,
        code: m.code,
        lifetime: m.lifetime,
        homeAddress: m.homeAddress,
        homeAgent: m.homeAgent,
        identification: identificationFromHex(m.identification),
        extensions: m.extensions.map(extensionFromJson),
      };
      return rep;
    }
    case 'agent-advertisement': {
      const flags = advertisementFlags();
      for (const l of m.flags) flags[l] = true;
      const adv: AgentAdvertisement = {
        type: m.type,
        icmpCode: m.icmpCode,
        routerLifetime: m.routerLifetime,
        routerAddresses: m.routerAddresses,
        sequence: m.sequence,
        registrationLifetime: m.registrationLifetime,
        flags,
        careOfAddresses: m.careOfAddresses,
        padding: m.padding,
      };
      if (m.prefixLengths) adv.prefixLengths = m.prefixLengths;
      return adv;
    }
    case 'agent-solicitation':
      return { type: 'agent-solicitation' };
  }
}
