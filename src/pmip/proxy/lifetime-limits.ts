import type { Peer } from '../runtime/udp.ts';
import { endpointKey } from './discovery.ts';

/** A lifetime learnt from a foreign agent's 69 denial is never below this (seconds). */
export const LEARNT_LIFETIME_MIN_SECONDS = 30;
/** A lifetime learnt from a 69 denial is forgotten after this long (ms). */
export const LEARNT_LIFETIME_TTL_MS = 10 * 60_000;

interface LearntLimit {
  seconds: number;
  until: number;
}

/**
 * The longest lifetime each foreign agent accepts, learnt from its 69 denials ("requested
 * lifetime too long", RFC 5944 section 3.7.2: the reply's lifetime is the most it grants), by
 * registration endpoint. A 69 carries no authenticator, so what is learnt is bounded: never below
 * LEARNT_LIFETIME_MIN_SECONDS and forgotten after LEARNT_LIFETIME_TTL_MS. Pure state.
 */
export class LearntLifetimes {
  private readonly limits = new Map<string, LearntLimit>();

  /** A 69 from `fa` granting at most `seconds`, received at `now` (ms). */
  learn(fa: Peer, seconds: number, now: number): void {
    this.limits.set(endpointKey(fa), {
      seconds: Math.max(LEARNT_LIFETIME_MIN_SECONDS, seconds),
      until: now + LEARNT_LIFETIME_TTL_MS,
    });
  }

  /** The limit in force for `fa` at `now`, if any (an expired one is dropped). */
  limit(fa: Peer, now: number): number | undefined {
    const key = endpointKey(fa);
    const limit = this.limits.get(key);
    if (!limit) return undefined;
    if (now >= limit.until) {
      this.limits.delete(key);
      return undefined;
    }
    return limit.seconds;
  }
}
