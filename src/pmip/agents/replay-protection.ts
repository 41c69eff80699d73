import type { SecurityAssociation } from '../security/store.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  identificationHigh,
  identificationLow,
  identificationToUnixSeconds,
  makeIdentification,
  type RandomSource,
} from '../wire/identification.ts';

/**
 * The home agent's replay protection (RFC 5944 section 5.7): with timestamps, the highest
 * identification accepted per home address and the allowed clock skew; with nonces, the nonce
 * each home address must use next. The check is a pure function of that state; the state and the
 * nonce draws live in `ReplayProtection`.
 */

/** What the home agent remembers about one home address. */
export interface ReplayState {
  /** Timestamp mode: the highest identification accepted so far. */
  lastAccepted?: bigint;
  /** Nonce mode: the nonce the node must put in the high 32 bits next. */
  nonce?: number;
}

/** The identification a reply carries. */
export type ReplyIdentification =
  /** The request's own identification. */
  | { kind: 'echo' }
  /** A value computed by the check (timestamp mode: the home agent's time, the node's low half). */
  | { kind: 'value'; value: bigint }
  /** Nonce mode: a fresh nonce in the high 32 bits, the request's low 32 bits. */
  | { kind: 'fresh-nonce' };

export type IdentificationCheck =
  { ok: true } | { ok: false; reply: ReplyIdentification; violation: boolean };

/**
 * Checks a request's identification against the SA's replay mode. A failure says which
 * identification the 133 reply carries, and whether it is a security violation (a nonce mismatch
 * for a node that has had a nonce, or any timestamp failure; a node's first nonce request is not).
 */
export function checkIdentification(
  identification: bigint,
  sa: Pick<SecurityAssociation, 'replay' | 'replayWindowSeconds'>,
  state: ReplayState,
  now: number,
): IdentificationCheck {
  if (sa.replay === 'nonce') {
    if (state.nonce !== undefined && identificationHigh(identification) === state.nonce) return { ok: true };
    // Section 5.7.2: the low half comes back, the high half is the nonce to use next.
    return { ok: false, reply: { kind: 'fresh-nonce' }, violation: state.nonce !== undefined };
  }
  const skew = Math.abs(identificationToUnixSeconds(identification) - now / 1000);
  const last = state.lastAccepted;
  if (skew <= sa.replayWindowSeconds && (last === undefined || identification > last)) return { ok: true };
  // Section 5.7.1: keep the node's low 32 bits, put our own time (seconds) in the high 32 bits,
  // so that the sender can resynchronise. Echoing the request's identification would not.
  const haSeconds = Math.floor(now / 1000) + NTP_UNIX_OFFSET_SECONDS;
  return {
    ok: false,
    reply: { kind: 'value', value: makeIdentification(haSeconds, identificationLow(identification)) },
    violation: true,
  };
}

/** The identification of an authenticated reply after a good check: echo, or a fresh nonce. */
export function acceptedReplyIdentification(sa: Pick<SecurityAssociation, 'replay'>): ReplyIdentification {
  return sa.replay === 'timestamp' ? { kind: 'echo' } : { kind: 'fresh-nonce' };
}

/** The replay state of every home address, and the nonce draws. */
export class ReplayProtection {
  private readonly lastAccepted = new Map<string, bigint>();
  private readonly nonces = new Map<string, number>();

  constructor(private readonly random: RandomSource) {}

  state(homeAddress: string): ReplayState {
    const state: ReplayState = {};
    const last = this.lastAccepted.get(homeAddress);
    if (last !== undefined) state.lastAccepted = last;
    const nonce = this.nonces.get(homeAddress);
    if (nonce !== undefined) state.nonce = nonce;
    return state;
  }

  /** Timestamp mode: remembers an accepted identification. */
  accepted(homeAddress: string, identification: bigint): void {
    this.lastAccepted.set(homeAddress, identification);
  }

  /** The reply's identification; a fresh nonce is drawn (and remembered) when asked for. */
  resolve(homeAddress: string, request: bigint, reply: ReplyIdentification): bigint {
    if (reply.kind === 'echo') return request;
    if (reply.kind === 'value') return reply.value;
    return makeIdentification(this.freshNonce(homeAddress), identificationLow(request));
  }

  private freshNonce(homeAddress: string): number {
    const previous = this.nonces.get(homeAddress);
    let nonce = this.random.uint32() >>> 0;
    if (nonce === previous) nonce = (nonce + 1) >>> 0;
    this.nonces.set(homeAddress, nonce);
    return nonce;
  }
}
