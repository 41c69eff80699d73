import { describe, expect, it } from 'vitest';
import { checkIdentification, ReplayProtection } from '../../../src/pmip/agents/replay-protection.ts';
import {
  identificationHigh,
  identificationLow,
  makeIdentification,
  type RandomSource,
} from '../../../src/pmip/wire/index.ts';
import { ntpSeconds, timestampId } from './helpers.ts';

/** The home agent's replay protection (RFC 5944 section 5.7) without a home agent around it. */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const TIMESTAMP = { replay: 'timestamp', replayWindowSeconds: 7 } as const;
const NONCE = { replay: 'nonce', replayWindowSeconds: 7 } as const;

/** A random source that returns the given values in turn. */
function values(...list: number[]): RandomSource {
  let i = 0;
  return { uint32: () => list[i++ % list.length]! };
}

describe('checkIdentification', () => {
  it.each([
    ['on time', timestampId(NOW, 1), {}, true],
    ['7 s early (the window)', timestampId(NOW + 7000, 1), {}, true],
    ['8 s early', timestampId(NOW + 8000, 1), {}, false],
    ['8 s late', timestampId(NOW - 8000, 1), {}, false],
    ['equal to the last accepted', timestampId(NOW, 1), { lastAccepted: timestampId(NOW, 1) }, false],
    ['above the last accepted', timestampId(NOW, 2), { lastAccepted: timestampId(NOW, 1) }, true],
  ] as const)('timestamp mode, %s', (_name, id, state, ok) => {
    const r = checkIdentification(id, TIMESTAMP, state, NOW);
    expect(r.ok).toBe(ok);
    if (!r.ok) {
      // Section 5.7.1: the home agent's time in the high 32 bits, the node's low 32 bits kept.
      expect(r).toEqual({
        ok: false,
        violation: true,
        reply: { kind: 'value', value: makeIdentification(ntpSeconds(NOW), identificationLow(id)) },
      });
    }
  });

  it('nonce mode: no nonce yet is no violation; a wrong one is; the right one passes', () => {
    const id = makeIdentification(77, 5);
    expect(checkIdentification(id, NONCE, {}, NOW)).toEqual({
      ok: false,
      violation: false,
      reply: { kind: 'fresh-nonce' },
    });
    expect(checkIdentification(id, NONCE, { nonce: 78 }, NOW)).toEqual({
      ok: false,
      violation: true,
      reply: { kind: 'fresh-nonce' },
    });
    expect(checkIdentification(id, NONCE, { nonce: 77 }, NOW)).toEqual({ ok: true });
  });
});

describe('ReplayProtection', () => {
  it('remembers the last accepted identification per home address only', () => {
    const r = new ReplayProtection(values(1));
    r.accepted('10.0.0.1', 42n);
    expect(r.state('10.0.0.1')).toEqual({ lastAccepted: 42n });
    expect(r.state('10.0.0.2')).toEqual({});
  });

  it('a fresh nonce keeps the low half, is remembered, and never repeats the previous one', () => {
    // The random source returns the same value twice: the second nonce must still differ.
    const r = new ReplayProtection(values(500, 500, 0xffffffff));
    const request = makeIdentification(1, 0xabcd);
    const first = r.resolve('10.0.0.1', request, { kind: 'fresh-nonce' });
    expect([identificationHigh(first), identificationLow(first)]).toEqual([500, 0xabcd]);
    expect(r.state('10.0.0.1')).toEqual({ nonce: 500 });
    const second = r.resolve('10.0.0.1', request, { kind: 'fresh-nonce' });
    expect(identificationHigh(second)).toBe(501);
    expect(r.state('10.0.0.1')).toEqual({ nonce: 501 });
    // Echo and computed values draw nothing.
    expect(r.resolve('10.0.0.1', request, { kind: 'echo' })).toBe(request);
    expect(r.resolve('10.0.0.1', request, { kind: 'value', value: 9n })).toBe(9n);
    expect(r.state('10.0.0.1')).toEqual({ nonce: 501 });
    const third = r.resolve('10.0.0.2', request, { kind: 'fresh-nonce' });
    expect(identificationHigh(third)).toBe(0xffffffff);
  });
});
