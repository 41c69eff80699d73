import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { HEALTH_RULES, judgeHealth } from '../../src/collector/health.ts';
import { CounterHistory } from '../../src/collector/history.ts';
import type { PmipEvent, RegistrationOutcomeKind } from '../../src/pmip/events.ts';

// counts in REGISTRATION_OUTCOME_KINDS order: accepted, denied, timeout, unauthenticated, discarded
describe('judgeHealth', () => {
  it.each([
    ['idle without attempts', [0, 0, 0, 0, 0], 'idle', null],
    ['ok at 90 % accepted', [9, 1, 0, 0, 0], 'ok', 0.9],
    ['degraded below 90 %', [8, 0, 2, 0, 0], 'degraded', 0.8],
    ['down when nothing was accepted', [0, 0, 14, 0, 0], 'down', 0],
    ['down when nothing was accepted and attempts timed out', [0, 1, 3, 0, 0], 'down', 0],
    [
      'degraded, not down, when only unauthenticated replies came (it answers)',
      [0, 0, 0, 3, 0],
      'degraded',
      0,
    ],
    ['degraded, not down, when everything was denied', [0, 4, 0, 0, 0], 'degraded', 0],
  ])('%s', (_name, counts, status, ratio) => {
    const h = judgeHealth(counts, 30);
    expect(h.status).toBe(status);
    expect(h.acceptanceRatio).toBe(ratio);
    expect(h.attempts).toBe(counts.reduce((a, b) => a + b, 0));
  });

  it('names the failures most frequent first, in words', () => {
    expect(judgeHealth([1, 2, 12, 1, 0], 30).failures).toEqual([
      '12 timeouts (no reply) of 16',
      '2 denials of 16',
      '1 reply that failed authentication of 16',
    ]);
  });
});

describe('CounterHistory', () => {
  it('keeps a bounded number of cumulative copies, one per step at most', () => {
    const h = new CounterHistory(10_000, 4);
    const v = new Float64Array([0]);
    for (let t = 0; t < 100_000; t += 1000) {
      v[0] = t;
      h.maybeRecord(t, () => [v]);
    }
    const points = h.points();
    expect(points.map((p) => p.time)).toEqual([60_000, 70_000, 80_000, 90_000]);
    expect(points.map((p) => p.values[0]![0])).toEqual([60_000, 70_000, 80_000, 90_000]);
    expect(h.at(75_000)?.time).toBe(70_000);
    expect(h.at(0)?.time).toBe(60_000); // older than kept: the oldest
  });
});

describe('collector health', () => {
  const HA1 = '127.101.0.1';
  const HA2 = '127.102.0.1';
  const outcome = (time: number, homeAgent: string, kind: RegistrationOutcomeKind, n = 1): PmipEvent[] =>
    Array.from({ length: n }, (_, i) => ({
      type: 'registration-outcome',
      time,
      node: 'ap-1',
      nodeKind: 'access-point',
      client: { mac: `02:00:00:00:00:${String(i).padStart(2, '0')}`, address: '127.0.1.9' },
      kind: 'initial',
      outcome: kind,
      homeAgent,
      transmissions: kind === 'timeout' ? 4 : 1,
    }));

  it('turns a home agent down within the window when its attempts time out, and ok again after', () => {
    let now = Date.UTC(2026, 0, 1);
    const c = new Collector({
      accessPoints: ['ap-1'],
      homeAgents: [
        { id: 'ha-1', address: HA1, hosted: false },
        { id: 'ha-2', address: HA2, hosted: false },
      ],
      clock: () => now,
    });
    const status = () =>
      Object.fromEntries(c.health().homeAgents.map((h) => [h.name, [h.status, h.attempts, h.address]]));
    for (let s = 0; s < 120; s += 10) {
      now += 10_000;
      c.ingestAll([...outcome(now, HA1, 'accepted', 3), ...outcome(now, HA2, 'accepted', 3)]);
    }
    // The window holds the events of the last 30 s, both ends included: 4 rounds of 3.
    expect(status()).toEqual({ 'ha-1': ['ok', 12, HA1], 'ha-2': ['ok', 12, HA2] });
    // ha-2 goes silent: its attempts time out; ha-1 carries on.
    for (let s = 0; s < 40; s += 10) {
      now += 10_000;
      c.ingestAll([...outcome(now, HA1, 'accepted', 3), ...outcome(now, HA2, 'timeout', 2)]);
    }
    const during = c.health().homeAgents.find((h) => h.name === 'ha-2')!;
    expect(during.status).toBe('down');
    expect(during.outcomes.timeout).toBeGreaterThan(0);
    expect(during.failures[0]).toMatch(/timeouts \(no reply\)/);
    expect(status()['ha-1']![0]).toBe('ok');
    // The site-wide acceptance over the window fell with it.
    const ap = c.health().accessPoints[0]!;
    expect(ap.status).toBe('degraded');
    expect(ap.acceptanceRatio).toBeCloseTo(12 / 20, 5);
    // Recovery.
    for (let s = 0; s < 40; s += 10) {
      now += 10_000;
      c.ingestAll([...outcome(now, HA1, 'accepted', 3), ...outcome(now, HA2, 'accepted', 3)]);
    }
    expect(status()['ha-2']![0]).toBe('ok');
    expect(HEALTH_RULES.windowSeconds).toBe(30);
  });

  it("keeps its history on its own clock when an access point's clock is hours off", () => {
    let now = Date.UTC(2026, 0, 1);
    const c = new Collector({
      accessPoints: ['ap-1'],
      homeAgents: [{ id: 'ha-2', address: HA2, hosted: false }],
      clock: () => now,
    });
    const skewed = 3 * 3600_000; // the access point's events carry its own time
    for (let s = 0; s < 120; s += 10) {
      now += 10_000;
      c.ingestAll(outcome(now + skewed, HA2, s < 60 ? 'accepted' : 'timeout', 2));
    }
    const ha = c.health().homeAgents[0]!;
    expect(ha.windowSeconds).toBeLessThanOrEqual(40);
    expect(ha.status).toBe('down');
    expect(ha.outcomes).toMatchObject({ accepted: 0, timeout: 8 });
  });

  it('draws the last hour per minute from the outcomes', () => {
    let now = Date.UTC(2026, 0, 1);
    const c = new Collector({ accessPoints: ['ap-1'], clock: () => now });
    for (let m = 0; m < 5; m++) {
      now += 60_000;
      c.ingestAll(outcome(now, HA1, m === 2 ? 'timeout' : 'accepted', m + 1));
    }
    const perMinute = c.health().outcomesPerMinute;
    const total = perMinute.reduce((t, p) => t + p.counts.accepted + p.counts.timeout, 0);
    expect(total).toBe(1 + 2 + 3 + 4 + 5);
    expect(perMinute.reduce((t, p) => t + p.counts.timeout, 0)).toBe(3);
    expect(perMinute.length).toBeLessThanOrEqual(61);
  });
});
