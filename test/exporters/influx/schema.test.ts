/**
 * The line protocol the schema writes, without a server: escaping of tag and string values,
 * integer and float fields, the per-attempt point with the client as a field only, and the
 * nanosecond timestamps with their sequence.
 */
import { describe, expect, it } from 'vitest';
import { escapeTag, nanos, outcomeLine, snapshotLines } from '../../../src/exporters/influx/schema.ts';
import type { RegistrationOutcomeEvent } from '../../../src/pmip/events.ts';
import { scriptedCollector } from './helpers.ts';

const outcome: RegistrationOutcomeEvent = {
  type: 'registration-outcome',
  time: 1_700_000_000_123,
  node: 'ap lobby,1',
  nodeKind: 'access-point',
  client: { mac: '02:00:00:00:00:07', address: '198.51.100.7' },
  kind: 'initial',
  outcome: 'denied',
  homeAgent: '198.51.100.1',
  code: 131,
  reason: 'ha-mn-failed-authentication',
  issuer: 'home-agent',
  transmissions: 2,
  roundTripSeconds: 0.0125,
};

describe('InfluxDB line protocol', () => {
  it('escapes commas, spaces, equals signs and backslashes in tag values', () => {
    expect(escapeTag('ap lobby,1=x\\y')).toBe('ap\\ lobby\\,1\\=x\\\\y');
    expect(escapeTag('ap-1')).toBe('ap-1');
  });

  it('writes one registration attempt with the client as fields, never as a tag', () => {
    const line = outcomeLine(outcome, 'north', 42, {
      homeAgent: (a) => (a === '198.51.100.1' ? 'ha-north' : undefined),
      foreignAgent: () => undefined,
    });
    const [tags, fields, time] = line.split(/(?<!\\) /);
    expect(tags).toBe(
      'pmip_registration,site=north,access_point=ap\\ lobby\\,1,kind=initial,outcome=denied,home_agent=ha-north',
    );
    expect(fields).toContain('client="02:00:00:00:00:07"');
    expect(fields).toContain('client_address="198.51.100.7"');
    expect(fields).toContain('transmissions=2i');
    expect(fields).toContain('code=131i');
    expect(fields).toContain('reason="ha_mn_failed_authentication"');
    expect(fields).toContain('round_trip_seconds=0.0125');
    expect(time).toBe('1700000000123000042');
    expect(tags).not.toContain('02:00');
  });

  it('names an agent the collector does not know "other", keeping its address in a field', () => {
    const line = outcomeLine(outcome, 'north', 0, {
      homeAgent: () => undefined,
      foreignAgent: () => undefined,
    });
    expect(line).toContain(',home_agent=other ');
    expect(line).toContain('home_agent_address="198.51.100.1"');
  });

  it('gives every point of a snapshot the snapshot time, integer counters and float ratios', async () => {
    const { collector } = await scriptedCollector();
    const s = collector.snapshot();
    const lines = snapshotLines(s, 'north');
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) {
      expect(l.endsWith(` ${nanos(s.time)}`)).toBe(true);
      expect(l).toMatch(/^pmip_[a-z_]+,site=north/);
    }
    const site = lines.find((l) => l.startsWith('pmip_site,'))!;
    expect(site).toMatch(/ (.*,)?attempts=\d+i/);
    expect(site).toMatch(/,acceptance_ratio=0?\.?\d/);
    expect(nanos(5, 1_000_001)).toBe('5000001');
  });
});
