/**
 * Per RADIUS server counters of the SA lookups (radius-exchange, radius-failover and
 * radius-cache-hit events). Servers are the configured ones only, so label values stay bounded;
 * an event naming another server is not counted (the collector counts it as dropped).
 */
import { RADIUS_ATTRIBUTE_STYLES, RADIUS_EXCHANGE_RESULTS } from '../pmip/events.ts';
import type {
  RadiusAttributeStyle,
  RadiusCacheHitEvent,
  RadiusExchangeEvent,
  RadiusExchangeResult,
  RadiusFailoverEvent,
} from '../pmip/events.ts';
import { zeros } from './counters.ts';

export interface RadiusServerStats {
  server: string;
  /** Access-Requests exchanges started (one per lookup per server tried). */
  lookups: number;
  /** Exchanges by how they ended: accept, reject, timeout, malformed, bad-authenticator. */
  results: Record<RadiusExchangeResult, number>;
  /** Access-Requests sent, retransmissions included. */
  requestsSent: number;
  /** Times the next server was tried after this one. */
  failovers: number;
  cacheHits: { accept: number; reject: number };
  /** Accepted SAs by attribute style. */
  acceptsByStyle: Record<RadiusAttributeStyle, number>;
  lastResult: RadiusExchangeResult | null;
  /** ms since the Unix epoch, of the last exchange's end. */
  lastResultAt: number | null;
  /** What was wrong with the last malformed or unauthenticated answer (no key material). */
  lastProblem: string | null;
  /** Sum and count of round trips of answered exchanges, seconds. */
  roundTripSum: number;
  roundTripCount: number;
}

export interface RadiusSnapshot {
  servers: RadiusServerStats[];
}

function empty(server: string): RadiusServerStats {
  return {
    server,
    lookups: 0,
    results: zeros(RADIUS_EXCHANGE_RESULTS),
    requestsSent: 0,
    failovers: 0,
    cacheHits: { accept: 0, reject: 0 },
    acceptsByStyle: zeros(RADIUS_ATTRIBUTE_STYLES),
    lastResult: null,
    lastResultAt: null,
    lastProblem: null,
    roundTripSum: 0,
    roundTripCount: 0,
  };
}

export class RadiusStatistics {
  private readonly byServer = new Map<string, RadiusServerStats>();

  constructor(servers: readonly string[]) {
    for (const s of servers) this.byServer.set(s, empty(s));
  }

  /** One exchange with one server; false when the server is not configured or the result unknown. */
  exchange(e: RadiusExchangeEvent, now: number): boolean {
    const s = this.byServer.get(e.server);
    if (!s || !RADIUS_EXCHANGE_RESULTS.includes(e.result)) return false;
    s.lookups++;
    s.results[e.result]++;
    s.requestsSent += e.transmissions;
    if (e.result === 'accept' && e.attributeStyle) s.acceptsByStyle[e.attributeStyle]++;
    s.lastResult = e.result;
    s.lastResultAt = now;
    if (e.detail !== undefined && (e.result === 'malformed' || e.result === 'bad-authenticator'))
      s.lastProblem = e.detail.slice(0, 200);
    if (e.roundTripSeconds !== undefined && e.roundTripSeconds >= 0) {
      s.roundTripSum += e.roundTripSeconds;
      s.roundTripCount++;
    }
    return true;
  }

  /** The next server was tried after `from`; false when `from` is not configured. */
  failover(e: RadiusFailoverEvent): boolean {
    const s = this.byServer.get(e.from);
    if (!s) return false;
    s.failovers++;
    return true;
  }

  /** A lookup answered from the cache; false when the server is not configured. */
  cacheHit(e: RadiusCacheHitEvent): boolean {
    const s = this.byServer.get(e.server);
    if (!s) return false;
    s.cacheHits[e.negative ? 'reject' : 'accept']++;
    return true;
  }

  snapshot(): RadiusSnapshot {
    return {
      servers: [...this.byServer.values()].map((s) => ({
        ...s,
        results: { ...s.results },
        cacheHits: { ...s.cacheHits },
        acceptsByStyle: { ...s.acceptsByStyle },
      })),
    };
  }
}
