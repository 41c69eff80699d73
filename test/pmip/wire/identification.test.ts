import { describe, expect, it } from 'vitest';
import {
  identificationFromHex,
  identificationHigh,
  identificationLow,
  identificationToHex,
  identificationToUnixSeconds,
  makeIdentification,
  nonceIdentification,
  NTP_UNIX_OFFSET_SECONDS,
  ntpTimestamp,
  seededRandom,
  TimestampIdentifications,
  WireError,
  type Clock,
  type RandomSource,
} from '../../../src/pmip/wire/index.ts';

/** A random source that always returns the same value, so the low bits are predictable. */
const constant = (value: number): RandomSource => ({ uint32: () => value >>> 0 });
const zero = constant(0);
const frozen = (ms: number): Clock => ({ now: () => ms });

const JAN_2026_MS = Date.UTC(2026, 0, 1); // 1767225600 s after the Unix epoch

describe('ntpTimestamp', () => {
  it('puts seconds since 1900 in the high 32 bits: Unix 0 is 2208988800 (0x83aa7e80)', () => {
    expect(NTP_UNIX_OFFSET_SECONDS).toBe(2_208_988_800);
    const id = ntpTimestamp(0, zero);
    expect(identificationHigh(id)).toBe(2_208_988_800);
    expect(identificationLow(id)).toBe(0);
    expect(identificationToHex(id)).toBe('83aa7e8000000000');
  });

  it('gives 3976214400 (0xed003780) for 2026-01-01T00:00:00Z', () => {
    expect(JAN_2026_MS).toBe(1_767_225_600_000);
    expect(identificationToHex(ntpTimestamp(JAN_2026_MS, zero))).toBe('ed00378000000000');
  });

  it('fills the top 10 fraction bits from the milliseconds: floor(ms / 1000 * 1024)', () => {
    const low = (ms: number) => identificationLow(ntpTimestamp(JAN_2026_MS + ms, zero));
    expect(low(500)).toBe(0x8000_0000); // 512/1024
    expect(low(250)).toBe(0x4000_0000);
    expect(low(125)).toBe(0x2000_0000);
    expect(low(1)).toBe(1 << 22); // floor(1.024) = 1
    expect(low(123)).toBe(125 << 22); // floor(125.952) = 125
    expect(low(999)).toBe((1022 << 22) >>> 0); // floor(1022.976) = 1022
    for (let ms = 0; ms < 1000; ms++) expect(low(ms) >>> 22, `${ms} ms`).toBe(Math.floor((ms * 1024) / 1000));
  });

  it('fills the 22 low bits a millisecond clock cannot know from the random source', () => {
    expect(identificationLow(ntpTimestamp(JAN_2026_MS + 999, constant(0xffffffff)))).toBe(0xffbf_ffff);
    expect(identificationLow(ntpTimestamp(JAN_2026_MS, constant(0xffffffff)))).toBe(0x003f_ffff);
    // the random bits never leak into the milliseconds
    expect(identificationLow(ntpTimestamp(JAN_2026_MS + 500, constant(0xffffffff))) >>> 22).toBe(512);
  });

  it('applies the offset learnt from a home agent, in seconds, either sign, fractions included', () => {
    const base = ntpTimestamp(JAN_2026_MS, zero);
    expect(ntpTimestamp(JAN_2026_MS, zero, 10) - base).toBe(10n << 32n);
    expect(base - ntpTimestamp(JAN_2026_MS, zero, -3600)).toBe(3600n << 32n);
    expect(ntpTimestamp(JAN_2026_MS, zero, 0.5)).toBe(base + 0x8000_0000n);
    expect(ntpTimestamp(JAN_2026_MS, zero, -0.25)).toBe(base - (1n << 32n) + 0xc000_0000n);
  });

  it('refuses times outside NTP era 0 (before 1900, from 2036-02-07T06:28:16Z)', () => {
    expect(identificationHigh(ntpTimestamp(Date.UTC(2036, 1, 7, 6, 28, 15), zero))).toBe(0xffffffff);
    for (const [ms, offset] of [
      [Date.UTC(2036, 1, 7, 6, 28, 16), 0],
      [0, -NTP_UNIX_OFFSET_SECONDS - 1],
    ] as const) {
      let error: unknown;
      try {
        ntpTimestamp(ms, zero, offset);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WireError);
      expect((error as WireError).kind).toBe('bad-value');
      expect((error as WireError).message).toMatch(/outside NTP era 0/);
    }
  });
});

describe('identificationToUnixSeconds', () => {
  it('is the inverse of ntpTimestamp to within the 1/1024 s the milliseconds fill', () => {
    expect(identificationToUnixSeconds(ntpTimestamp(0, zero))).toBe(0);
    expect(identificationToUnixSeconds(ntpTimestamp(JAN_2026_MS, zero))).toBe(1_767_225_600);
    expect(identificationToUnixSeconds(ntpTimestamp(JAN_2026_MS + 500, zero))).toBe(1_767_225_600.5);
    const random = seededRandom(3);
    for (let i = 0; i < 1000; i++) {
      const ms = JAN_2026_MS + Math.floor(random.float() * 86_400_000 * 365);
      const back = identificationToUnixSeconds(ntpTimestamp(ms, random));
      expect(back).toBeGreaterThanOrEqual(
        Math.floor(ms / 1000) + Math.floor(((ms % 1000) * 1024) / 1000) / 1024,
      );
      expect(Math.abs(back - ms / 1000)).toBeLessThan(1 / 1024 + 1e-6);
    }
  });
});

describe('TimestampIdentifications', () => {
  it('is strictly increasing with a frozen clock, whatever the random low bits', () => {
    const ids = new TimestampIdentifications(frozen(JAN_2026_MS), seededRandom(1));
    const seq = Array.from({ length: 1000 }, () => ids.next());
    for (let i = 1; i < seq.length; i++) expect(seq[i]!, `#${i}`).toBeGreaterThan(seq[i - 1]!);
    // all within the same millisecond: seconds and the 10 millisecond bits do not move
    for (const id of seq) expect(id >> 22n).toBe(3_976_214_400n << 10n);
  });

  it('with a frozen clock and the same random bits, each next one is the previous plus one', () => {
    const ids = new TimestampIdentifications(frozen(JAN_2026_MS + 250), constant(0x0abcdef0));
    const first = ids.next();
    expect(first).toBe((3_976_214_400n << 32n) | (256n << 22n) | BigInt(0x0abcdef0 >>> 10));
    expect(ids.next()).toBe(first + 1n);
    expect(ids.next()).toBe(first + 2n);
  });

  it('stays strictly increasing when the offset is corrected downwards (a negative offset)', () => {
    let now = JAN_2026_MS;
    const ids = new TimestampIdentifications({ now: () => now }, seededRandom(2));
    const a = ids.next(30); // clock believed 30 s behind the home agent
    now += 1000;
    const b = ids.next(-30); // corrected: we were 30 s ahead
    expect(b).toBe(a + 1n);
    // once real time passes the last value, identifications follow the clock again
    now += 61_000;
    const c = ids.next(-30);
    expect(c >> 32n).toBe(BigInt(3_976_214_400 + 62 - 30));
    expect(c).toBeGreaterThan(b);
  });

  it('follows an advancing clock with fresh random low bits', () => {
    let now = JAN_2026_MS;
    const ids = new TimestampIdentifications({ now: () => now }, constant(0x12345678));
    const first = ids.next();
    now += 2500;
    const second = ids.next();
    expect(identificationHigh(second) - identificationHigh(first)).toBe(2);
    expect(identificationLow(second)).toBe(((512 << 22) | (0x12345678 >>> 10)) >>> 0);
  });
});

describe('nonce mode and 64-bit helpers', () => {
  it('nonceIdentification keeps the home agent nonce high and a fresh random value low', () => {
    const id = nonceIdentification(0xdeadbeef, constant(0x01020304));
    expect(identificationToHex(id)).toBe('deadbeef01020304');
    expect(identificationHigh(id)).toBe(0xdeadbeef);
    expect(identificationLow(id)).toBe(0x01020304);
    const random = seededRandom(9);
    const lows = new Set(
      Array.from({ length: 100 }, () => identificationLow(nonceIdentification(7, random))),
    );
    expect(lows.size).toBe(100);
  });

  it('makeIdentification joins two unsigned halves; high and low split them again', () => {
    expect(makeIdentification(1, 2)).toBe(0x1_0000_0002n);
    expect(makeIdentification(0xffffffff, 0xffffffff)).toBe(0xffffffff_ffffffffn);
    expect(makeIdentification(-1, 0)).toBe(0xffffffff_00000000n);
    const id = 0x89abcdef_01234567n;
    expect(makeIdentification(identificationHigh(id), identificationLow(id))).toBe(id);
  });

  it('hex: 16 lowercase digits out, 1-16 digits of either case in, round trip', () => {
    expect(identificationToHex(0n)).toBe('0000000000000000');
    expect(identificationToHex(0xabcn)).toBe('0000000000000abc');
    expect(identificationFromHex('ABC')).toBe(0xabcn);
    for (const id of [0n, 1n, 0xed2f8a80_12345678n, 0xffffffff_ffffffffn])
      expect(identificationFromHex(identificationToHex(id))).toBe(id);
    for (const bad of ['', 'xyz', '0x12', '1'.repeat(17), '12 34']) {
      let error: unknown;
      try {
        identificationFromHex(bad, 'request.identification');
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(WireError);
      expect((error as WireError).message).toMatch(
        /^bad-value: request\.identification: .* is not 1-16 hex digits$/,
      );
    }
  });

  it('seededRandom is reproducible per seed and differs between seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uint32())).not.toEqual(xs);
    for (const x of xs) expect(Number.isInteger(x) && x >= 0 && x <= 0xffffffff).toBe(true);
  });
});
