/** RADIUS SA lookup counters: collector ingest and the Prometheus families they feed. */
import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { renderSections } from '../../src/exporters/families/index.ts';
import type { PmipEvent } from '../../src/pmip/events.ts';

const base = { time: 1_000, node: 'ap-1', nodeKind: 'access-point' } as const;

function radiusLines(c: Collector): string[] {
  return renderSections(c.snapshot())
    .text.split('\n')
    .filter((l) => l.startsWith('pmip_radius_'));
}

describe('RADIUS counters', () => {
  it('are absent without RADIUS servers, and at 0 for each configured server from start-up', () => {
    expect(radiusLines(new Collector({ accessPoints: ['ap-1'] }))).toEqual([]);
    const c = new Collector({ accessPoints: ['ap-1'], radiusServers: ['aaa-1', 'aaa-2'] });
    const lines = radiusLines(c);
    expect(lines).toHaveLength(2 * (1 + 1 + 2 + 4 + 1 + 2));
    expect(lines.every((l) => l.endsWith(' 0'))).toBe(true);
    expect(lines).toContain('pmip_radius_lookup_failures_total{server="aaa-2",reason="bad_authenticator"} 0');
  });

  it('counts exchanges, failovers and cache hits by server; an unknown server is dropped', () => {
    const c = new Collector({ accessPoints: ['ap-1'], radiusServers: ['aaa-1', 'aaa-2'] });
    const events: PmipEvent[] = [
      { ...base, type: 'radius-exchange', server: 'aaa-1', result: 'timeout', transmissions: 3 },
      { ...base, type: 'radius-failover', from: 'aaa-1', to: 'aaa-2' },
      {
        ...base,
        type: 'radius-exchange',
        server: 'aaa-2',
        result: 'accept',
        transmissions: 1,
        attributeStyle: '3gpp2',
        roundTripSeconds: 0.002,
      },
      {
        ...base,
        type: 'radius-exchange',
        server: 'aaa-2',
        result: 'malformed',
        transmissions: 1,
        detail: 'Cisco-AVPair mobileip:spi#0: no key',
      },
      { ...base, type: 'radius-cache-hit', server: 'aaa-2', negative: false },
      { ...base, type: 'radius-cache-hit', server: 'aaa-2', negative: true },
      { ...base, type: 'radius-exchange', server: 'aaa-9', result: 'accept', transmissions: 1 },
    ];
    c.ingestAll(events);
    const lines = radiusLines(c);
    expect(lines).toEqual(
      expect.arrayContaining([
        'pmip_radius_lookups_total{server="aaa-1"} 1',
        'pmip_radius_requests_sent_total{server="aaa-1"} 3',
        'pmip_radius_lookup_failures_total{server="aaa-1",reason="timeout"} 1',
        'pmip_radius_failovers_total{server="aaa-1"} 1',
        'pmip_radius_lookups_total{server="aaa-2"} 2',
        'pmip_radius_accepts_total{server="aaa-2",style="3gpp2"} 1',
        'pmip_radius_accepts_total{server="aaa-2",style="cisco"} 0',
        'pmip_radius_lookup_failures_total{server="aaa-2",reason="malformed"} 1',
        'pmip_radius_cache_hits_total{server="aaa-2",cached="accept"} 1',
        'pmip_radius_cache_hits_total{server="aaa-2",cached="reject"} 1',
      ]),
    );
    expect(lines.join('\n')).not.toContain('aaa-9');
    const s = c.snapshot();
    expect(s.self.eventsDropped).toBe(1);
    expect(s.radius!.servers[1]).toMatchObject({
      lastResult: 'malformed',
      lastProblem: 'Cisco-AVPair mobileip:spi#0: no key',
    });
  });
});
