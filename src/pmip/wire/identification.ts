import { WireError } from './errors.ts';

/**
 * Registration identification (RFC 5944 section 5.7): timestamp mode (NTP format: high 32 bits
 * seconds since 1900, low 32 bits fraction) or nonce mode (high 32 bits: the home agent's nonce,
 * low 32 bits: chosen fresh by the mobile node). Time and randomness are injected.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export interface RandomSource {
  /** A uniformly random unsigned 32-bit integer. */
  uint32(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Seconds between 1900-01-01 (NTP era 0) and 1970-01-01. */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** Bits of the NTP fraction a millisecond clock actually fills; the lower ones are random. */
const MILLISECOND_FRACTION_BITS = 10;

/**
 * The NTP timestamp for a Unix time in milliseconds (plus an offset in seconds, the correction
 * learnt from a home agent's 133 denial). The low bits a millisecond clock cannot fill are random.
 */
export function ntpTimestamp(unixMs: number, random: RandomSource, offsetSeconds = 0): bigint {
  const t = unixMs / 1000 + offsetSeconds + NTP_UNIX_OFFSET_SECONDS;
  const seconds = Math.floor(t);
  if (seconds < 0 || seconds > 0xffffffff)
    throw new WireError('bad-value', `time ${t}s is outside NTP era 0`);
  const frac = Math.floor((t - seconds) * 2 ** MILLISECOND_FRACTION_BITS);
  const randomLow = random.uint32() >>> MILLISECOND_FRACTION_BITS;
  const low = ((frac << (32 - MILLISECOND_FRACTION_BITS)) | randomLow) >>> 0;
  return (BigInt(seconds) << 32n) | BigInt(low);
}

/** Seconds since the Unix epoch (fractional) that a timestamp-mode identification stands for. */
export function identificationToUnixSeconds(id: bigint): number {
  return Number(id >> 32n) - NTP_UNIX_OFFSET_SECONDS + Number(id & 0xffffffffn) / 2 ** 32;
}

export function identificationHigh(id: bigint): number {
  return Number(id >> 32n);
}

export function identificationLow(id: bigint): number {
  return Number(id & 0xffffffffn);
}

export function makeIdentification(high: number, low: number): bigint {
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

/** Nonce mode: the home agent's nonce in the high half, a fresh random value in the low half. */
export function nonceIdentification(homeAgentNonce: number, random: RandomSource): bigint {
  return makeIdentification(homeAgentNonce, random.uint32());
}

export function identificationToHex(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

export function identificationFromHex(hex: string, field = 'identification'): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex))
    throw new WireError('bad-value', `${field}: "${hex}" is not 1-16 hex digits`);
  return BigInt(`0x${hex}`);
}

/**
 * Timestamp-mode identifications for one security association: each one exceeds every earlier
 * one even if the clock stands still or the offset is corrected downwards.
 */
export class TimestampIdentifications {
  private last = 0n;
  constructor(
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  next(offsetSeconds = 0): bigint {
    let id = ntpTimestamp(this.clock.now(), this.random, offsetSeconds);
    if (id <= this.last) id = this.last + 1n;
    this.last = id;
    return id;
  }
}

/** A seeded, reproducible random source (mulberry32) for simulations and tests. */
export function seededRandom(seed: number): RandomSource & { float(): number } {
  let a = seed >>> 0;
  const uint32 = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return { uint32, float: () => uint32() / 2 ** 32 };
}

/** Cryptographically random source for production use. */
export function cryptoRandom(): RandomSource {
  const pool = new Uint32Array(256);
  let i = pool.length;
  return {
    uint32() {
      if (i >= pool.length) {
        globalThis.crypto.getRandomValues(pool);
        i = 0;
      }
      return pool[i++]!;
    },
  };
}
