import { checkUint } from './checks.ts';
import { badValue, WireError } from './errors.ts';
import { readIpv4, writeIpv4 } from './ipv4.ts';
import {
  decodeExtensions,
  extensionLength,
  isAuthType,
  writeExtension,
  type AuthExtension,
  type AuthExtensionType,
  type Extension,
} from './extensions.ts';
import { authenticatorsEqual, computeAuthenticator, type AuthAlgorithm } from './auth.ts';

/** Registration Request flag bits, most significant first (RFC 5944 section 3.3). */
export const REQUEST_FLAG_BITS = {
  S: 0x80,
  B: 0x40,
  D: 0x20,
  M: 0x10,
  G: 0x08,
  r: 0x04,
  T: 0x02,
  x: 0x01,
} as const;
export type RequestFlag = keyof typeof REQUEST_FLAG_BITS;
export const REQUEST_FLAG_LETTERS = Object.keys(REQUEST_FLAG_BITS) as RequestFlag[];
export type RequestFlags = Record<RequestFlag, boolean>;

export const MESSAGE_TYPE_REQUEST = 1;
export const MESSAGE_TYPE_REPLY = 3;
export const REQUEST_FIXED_LENGTH = 24;
export const REPLY_FIXED_LENGTH = 20;
export const LIFETIME_INFINITE = 0xffff;

export interface RegistrationRequest {
  type: 'registration-request';
  flags: RequestFlags;
  /** Seconds; 0 = deregistration, 0xffff = infinite. */
  lifetime: number;
  homeAddress: string;
  homeAgent: string;
  careOfAddress: string;
  /** 64-bit identification (timestamp or nonce mode). */
  identification: bigint;
  extensions: Extension[];
}

export interface RegistrationReply {
  type: 'registration-reply';
  code: number;
  /** Granted lifetime in seconds. */
  lifetime: number;
  homeAddress: string;
  homeAgent: string;
  identification: bigint;
  extensions: Extension[];
}

export type RegistrationMessage = RegistrationRequest | RegistrationReply;

export function requestFlags(set: Partial<RequestFlags> = {}): RequestFlags {
  return { S: false, B: false, D: false, M: false, G: false, r: false, T: false, x: false, ...set };
}

export function flagsToByte(flags: RequestFlags): number {
  // Unrolled: a loop over the letters with keyed lookups cost more than the rest of the fixed part.
  return (
    (flags.S ? 0x80 : 0) |
    (flags.B ? 0x40 : 0) |
    (flags.D ? 0x20 : 0) |
    (flags.M ? 0x10 : 0) |
    (flags.G ? 0x08 : 0) |
    (flags.r ? 0x04 : 0) |
    (flags.T ? 0x02 : 0) |
    (flags.x ? 0x01 : 0)
  );
}

export function flagsFromByte(b: number): RequestFlags {
  return {
    S: (b & 0x80) !== 0,
    B: (b & 0x40) !== 0,
    D: (b & 0x20) !== 0,
    M: (b & 0x10) !== 0,
    G: (b & 0x08) !== 0,
    r: (b & 0x04) !== 0,
    T: (b & 0x02) !== 0,
    x: (b & 0x01) !== 0,
  };
}

/** The SA used to append an authentication extension while encoding. */
export interface Authentication {
  /** 32 Mobile-Home (default), 33 Mobile-Foreign or 34 Foreign-Home. */
  type?: AuthExtensionType;
  spi: number;
  key: Uint8Array;
  algorithm: AuthAlgorithm;
}

function checkIdentification(id: bigint): void {
  if (typeof id !== 'bigint' || id < 0n || id > 0xffffffffffffffffn) {
    throw new WireError('bad-value', 'identification: must be a 64-bit unsigned integer');
  }
}

/** `extensions[i]`, the field name in encoder errors; the usual ones are made once, not per message. */
const EXTENSION_FIELDS = Array.from({ length: 16 }, (_, i) => `extensions[${i}]`);
function extensionField(i: number): string {
  return EXTENSION_FIELDS[i] ?? `extensions[${i}]`;
}

/**
 * Encodes a Registration Request or Reply with its extensions; with `auth`, appends an
 * authentication extension computed over everything before its authenticator (one allocation).
 */
export function encodeRegistration(message: RegistrationMessage, auth?: Authentication): Buffer {
  const fixed = message.type === 'registration-request' ? REQUEST_FIXED_LENGTH : REPLY_FIXED_LENGTH;
  let total = fixed;
  for (const ext of message.extensions) total += extensionLength(ext);
  const authenticatorLength = 16;
  if (auth) total += 6 + authenticatorLength;
  const buf = Buffer.allocUnsafe(total);

  checkUint(message.lifetime, 'lifetime', 0xffff, badValue);
  checkIdentification(message.identification);
  let off: number;
  if (message.type === 'registration-request') {
    buf[0] = MESSAGE_TYPE_REQUEST;
    buf[1] = flagsToByte(message.flags);
    buf.writeUInt16BE(message.lifetime, 2);
    writeIpv4(buf, 4, message.homeAddress, 'homeAddress');
    writeIpv4(buf, 8, message.homeAgent, 'homeAgent');
    writeIpv4(buf, 12, message.careOfAddress, 'careOfAddress');
    buf.writeBigUInt64BE(message.identification, 16);
    off = 24;
  } else if (message.type === 'registration-reply') {
    checkUint(message.code, 'code', 255, badValue);
    buf[0] = MESSAGE_TYPE_REPLY;
    buf[1] = message.code;
    buf.writeUInt16BE(message.lifetime, 2);
    writeIpv4(buf, 4, message.homeAddress, 'homeAddress');
    writeIpv4(buf, 8, message.homeAgent, 'homeAgent');
    buf.writeBigUInt64BE(message.identification, 12);
    off = 20;
  } else {
    throw new WireError(
      'bad-value',
      `type: ${String((message as { type: unknown }).type)} is not a registration message`,
    );
  }
  const extensions = message.extensions;
  for (let i = 0; i < extensions.length; i++) {
    off = writeExtension(buf, off, extensions[i]!, extensionField(i));
  }
  if (auth) {
    checkUint(auth.spi, 'spi', 0xffffffff, badValue);
    const authType = auth.type ?? 32;
    if (!isAuthType(authType))
      throw new WireError('bad-value', `auth.type: ${authType} is not an authentication type (32-34)`);
    buf[off] = authType;
    buf[off + 1] = 4 + authenticatorLength;
    buf.writeUInt32BE(auth.spi, off + 2);
    const authenticator = computeAuthenticator(auth.algorithm, auth.key, buf.subarray(0, off + 6));
    if (authenticator.length !== authenticatorLength)
      throw new WireError('bad-value', 'authenticator length');
    buf.set(authenticator, off + 6);
  }
  return buf;
}

export interface DecodedRegistration<M extends RegistrationMessage = RegistrationMessage> {
  message: M;
  /** The datagram the message came from (not copied). */
  bytes: Buffer;
  /** Byte offset of each extension, parallel to `message.extensions`. */
  offsets: number[];
}

/** Decodes a Registration Request (type 1) or Reply (type 3) and remembers where each extension sits. */
export function decodeRegistrationLayout(bytes: Buffer): DecodedRegistration {
  if (bytes.length < 1) throw new WireError('truncated', 'empty datagram', 0);
  const type = bytes[0];
  if (type === MESSAGE_TYPE_REQUEST) {
    if (bytes.length < REQUEST_FIXED_LENGTH) {
      throw new WireError(
        'truncated',
        `registration request needs ${REQUEST_FIXED_LENGTH} bytes, got ${bytes.length}`,
        bytes.length,
      );
    }
    const { extensions, offsets } = decodeExtensions(bytes, REQUEST_FIXED_LENGTH);
    const message: RegistrationRequest = {
      type: 'registration-request',
      flags: flagsFromByte(bytes[1]!),
      lifetime: bytes.readUInt16BE(2),
      homeAddress: readIpv4(bytes, 4),
      homeAgent: readIpv4(bytes, 8),
      careOfAddress: readIpv4(bytes, 12),
      identification: bytes.readBigUInt64BE(16),
      extensions,
    };
    return { message, bytes, offsets };
  }
  if (type === MESSAGE_TYPE_REPLY) {
    if (bytes.length < REPLY_FIXED_LENGTH) {
      throw new WireError(
        'truncated',
        `registration reply needs ${REPLY_FIXED_LENGTH} bytes, got ${bytes.length}`,
        bytes.length,
      );
    }
    const { extensions, offsets } = decodeExtensions(bytes, REPLY_FIXED_LENGTH);
    const message: RegistrationReply = {
      type: 'registration-reply',
      code: bytes[1]!,
      lifetime: bytes.readUInt16BE(2),
      homeAddress: readIpv4(bytes, 4),
      homeAgent: readIpv4(bytes, 8),
      identification: bytes.readBigUInt64BE(12),
      extensions,
    };
    return { message, bytes, offsets };
  }
  throw new WireError(
    'unknown-type',
    `Mobile IP message type ${type} is not a registration request (1) or reply (3)`,
    0,
  );
}

export function decodeRegistration(bytes: Buffer): RegistrationMessage {
  return decodeRegistrationLayout(bytes).message;
}

export interface FoundAuthExtension {
  extension: AuthExtension;
  offset: number;
}

/** The first authentication extension of the given type (32 by default), with its byte offset. */
export function findAuthExtension(
  decoded: DecodedRegistration,
  type: AuthExtensionType = 32,
): FoundAuthExtension | undefined {
  const exts = decoded.message.extensions;
  for (let i = 0; i < exts.length; i++) {
    const ext = exts[i]!;
    if (ext.kind === 'auth' && ext.type === type) return { extension: ext, offset: decoded.offsets[i]! };
  }
  return undefined;
}

export type AuthCheck = 'ok' | 'missing' | 'spi-mismatch' | 'bad-authenticator';

/**
 * Checks an authentication extension against a key: recomputes the authenticator over the exact
 * bytes that preceded it in the datagram and compares in constant time.
 */
export function verifyAuthentication(
  decoded: DecodedRegistration,
  sa: { spi: number; key: Uint8Array; algorithm: AuthAlgorithm; type?: AuthExtensionType },
): AuthCheck {
  const found = findAuthExtension(decoded, sa.type ?? 32);
  if (!found) return 'missing';
  if (found.extension.spi !== sa.spi) return 'spi-mismatch';
  const expected = computeAuthenticator(sa.algorithm, sa.key, decoded.bytes.subarray(0, found.offset + 6));
  return authenticatorsEqual(expected, found.extension.authenticator) ? 'ok' : 'bad-authenticator';
}
