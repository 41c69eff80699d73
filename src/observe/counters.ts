/** What the observer counts of the capture itself, and the `observation` document built from it. */

export type SkipKind =
  'unsupported-link-type' | 'not-ipv4' | 'ip-fragment' | 'truncated' | 'malformed' | 'capture-error';

/** What the observer saw of the capture itself; part of the statistics document (`observation`). */
export interface ObservationStatistics {
  timeoutSeconds: number;
  port: number;
  capture: {
    frames: number;
    bytes: number;
    firstPacketAt: string | null;
    lastPacketAt: string | null;
  };
  messages: {
    requests: number;
    replies: number;
    relayedRequests: number;
    relayedReplies: number;
    /** Requests with a reserved SPI (0-255): home agent probes, not registrations. */
    probes: number;
    probesAnswered: number;
    advertisements: number;
    solicitations: number;
  };
  /** Requested (requests, relay legs excluded) and granted (replies) lifetimes: seconds -> messages. */
  lifetimes: { requested: Record<string, number>; granted: Record<string, number> };
  authentication: { verified: number; failed: number; notChecked: number };
  attempts: {
    inProgress: number;
    /** Attempts a new one from the same sender replaced before they ended (not outcomes). */
    replaced: number;
    /** Attempts whose sender stopped retransmitting early, without a reply (not outcomes). */
    abandoned: number;
    firstSightMoves: number;
    untracked: number;
  };
  agentSequenceRestarts: number;
  skipped: Record<SkipKind, number>;
}

/** The running counts (one object, shared by the observer's parts). */
export class ObserverCounters {
  frames = 0;
  bytes = 0;
  requests = 0;
  replies = 0;
  relayedRequests = 0;
  relayedReplies = 0;
  probes = 0;
  probesAnswered = 0;
  advertisements = 0;
  solicitations = 0;
  verified = 0;
  failed = 0;
  notChecked = 0;
  replaced = 0;
  abandoned = 0;
  firstSightMoves = 0;
  untracked = 0;
  restarts = 0;
  /**
   * Lifetimes asked (requests) and granted (replies): messages per lifetime in seconds. A lifetime
   * is 16 bits on the wire (RFC 5944 section 3.3), so a plain array indexed by it: no hashing per
   * message.
   */
  readonly requested = new Float64Array(0x10000);
  readonly granted = new Float64Array(0x10000);
  readonly skipped: Record<SkipKind, number> = {
    'unsupported-link-type': 0,
    'not-ipv4': 0,
    'ip-fragment': 0,
    truncated: 0,
    malformed: 0,
    'capture-error': 0,
  };

  document(o: {
    timeoutSeconds: number;
    port: number;
    firstAt: number;
    lastAt: number;
    inProgress: number;
  }): ObservationStatistics {
    const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);
    const byValue = (counts: Float64Array) => {
      const out: Record<string, number> = {};
      for (let k = 0; k < counts.length; k++) if (counts[k]! > 0) out[String(k)] = counts[k]!;
      return out;
    };
    return {
      timeoutSeconds: o.timeoutSeconds,
      port: o.port,
      capture: {
        frames: this.frames,
        bytes: this.bytes,
        firstPacketAt: iso(o.firstAt),
        lastPacketAt: iso(o.lastAt),
      },
      messages: {
        requests: this.requests,
        replies: this.replies,
        relayedRequests: this.relayedRequests,
        relayedReplies: this.relayedReplies,
        probes: this.probes,
        probesAnswered: this.probesAnswered,
        advertisements: this.advertisements,
        solicitations: this.solicitations,
      },
      lifetimes: { requested: byValue(this.requested), granted: byValue(this.granted) },
      authentication: { verified: this.verified, failed: this.failed, notChecked: this.notChecked },
      attempts: {
        inProgress: o.inProgress,
        replaced: this.replaced,
        abandoned: this.abandoned,
        firstSightMoves: this.firstSightMoves,
        untracked: this.untracked,
      },
      agentSequenceRestarts: this.restarts,
      skipped: { ...this.skipped },
    };
  }
}

export function countIn(m: Map<number, number>, key: number): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}
