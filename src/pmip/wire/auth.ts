import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WireError } from './errors.ts';

/**
 * Mobile IP authenticators (RFC 5944 section 3.5.1):
 * - `prefix-suffix`: keyed MD5, MD5(key || protected bytes || key) (RFC 2002; the vendor AP default)
 * - `hmac-md5`: HMAC-MD5(key, protected bytes) (RFC 2104; the RFC 3344/5944 default)
 * The protected bytes are the UDP payload from byte 0 through the type, length and SPI of the
 * authentication extension itself.
 */
export const AUTH_ALGORITHMS = ['prefix-suffix', 'hmac-md5'] as const;
export type AuthAlgorithm = (typeof AUTH_ALGORITHMS)[number];

export const AUTHENTICATOR_LENGTH = 16;

export function computeAuthenticator(
  algorithm: AuthAlgorithm,
  key: Uint8Array,
  protectedBytes: Uint8Array,
): Buffer {
  if (algorithm === 'hmac-md5') {
    return createHmac('md5', key).update(protectedBytes).digest();
  }
  return createHash('md5').update(key).update(protectedBytes).update(key).digest();
}

/** Constant-time comparison of a received authenticator with the expected one. */
export function authenticatorsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Parses a key written as hex (32 hex digits for the usual 16-byte key). The key never appears in the error. */
export function parseKeyHex(hex: string, field = 'key'): Buffer {
  const clean = hex.trim().replace(/^0x/i, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) {
    throw new WireError('bad-value', `${field}: must be an even number of hex digits (32 for a 16-byte key)`);
  }
  return Buffer.from(clean, 'hex');
}
