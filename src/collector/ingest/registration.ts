/**
 * Ingest of the access points' registration traffic (RFC 5944 section 3): requests sent, replies
 * received and dropped, each attempt's outcome, time synchronisation with a home agent.
 */
import { ATTEMPT_DISCARD_REASONS } from '../../pmip/events.ts';
import {
  Ha,
  Mn,
  OUTCOMES,
  Seen,
  add,
  addCode,
  discardOffset,
  kindOffset,
  outcomeOffset,
} from '../counters.ts';
import { isReplyCode, latest } from './state.ts';
import type { IngestTable } from './types.ts';

const INTERNAL_ERROR = ATTEMPT_DISCARD_REASONS.indexOf('internal-error');

export const registrationIngest = {
  'registration-sent': (s, e) => {
    const c = s.ap.counters;
    const b = s.ap.registry.slot(e.node) * Mn.width;
    add(c, b + Mn.requestsSent + kindOffset(e.kind));
    if (e.retransmission) add(c, b + Mn.retransmissions);
    if (e.toBroadcast) add(c, b + Mn.requestsToBroadcast);
    add(s.haSeen.counters, s.ha.registry.slot(e.homeAgent) * Seen.width + Seen.requestsSent);
    if (e.foreignAgent !== undefined)
      add(s.faSeen.counters, s.fa.registry.slot(e.foreignAgent) * Seen.width + Seen.requestsSent);
  },

  'reply-received': (s, e) => {
    const code = e.code;
    if (!isReplyCode(code)) return false;
    const a = s.ap.registry.slot(e.node);
    const c = s.ap.counters;
    const b = a * Mn.width;
    add(c, b + Mn.repliesReceived);
    // The code's meaning as the access point read it (the event carries it): not looked up again.
    if (e.accepted) add(c, b + Mn.accepted);
    else {
      add(
        c,
        b +
          (e.issuer === 'home-agent'
            ? Mn.deniedByHomeAgent
            : e.issuer === 'foreign-agent'
              ? Mn.deniedByForeignAgent
              : Mn.deniedOther),
      );
      add(s.denialsByCode, code);
      addCode(s.ap.codes, a, code);
    }
    // One bucket for the histogram and both agents' rows (the same bounds).
    const rtt = e.roundTripSeconds;
    const bucket = s.roundTrip.bucketOf(rtt);
    s.roundTrip.observeIn(bucket, rtt);
    // Times on the collector's clock: an access point's own clock may be off (hours, in the demo).
    const at = s.clock();
    s.seenReply(s.haSeen, s.ha.registry.slot(e.homeAgent), at, rtt, bucket);
    if (e.foreignAgent !== undefined)
      s.seenReply(s.faSeen, s.fa.registry.slot(e.foreignAgent), at, rtt, bucket);
  },

  'registration-outcome': (s, e) => {
    // The copy closes the interval before this event: it must not contain it.
    // On the collector's clock, never the event's: one access point with a skewed clock must
    // not move the history's next step hours away.
    const now = s.clock();
    s.recordHistory(now);
    // When the last unusable reply came, as an age on the access point's clock, moved to ours.
    const replyAt = e.lastReplyAt === undefined ? undefined : now - Math.max(0, e.time - e.lastReplyAt);
    const o = outcomeOffset(e.outcome);
    add(s.ap.outcomes, s.ap.registry.slot(e.node) * OUTCOMES + o);
    if (e.homeAgent !== undefined) {
      const h = s.ha.registry.slot(e.homeAgent);
      add(s.haSeen.outcomes, h * OUTCOMES + o);
      if (e.code !== undefined && isReplyCode(e.code)) {
        if (e.outcome === 'denied') addCode(s.haSeen.codes, h, e.code);
        else if (e.outcome === 'unauthenticated') addCode(s.claimedCodes, h, e.code);
      }
      // A reply that could not be used still shows the agent answering: when it came.
      if (replyAt !== undefined) latest(s.haSeen.counters, h * Seen.width + Seen.lastReplyAt, replyAt);
    }
    if (e.foreignAgent !== undefined) {
      const f = s.fa.registry.slot(e.foreignAgent);
      if (replyAt !== undefined) latest(s.faSeen.counters, f * Seen.width + Seen.lastReplyAt, replyAt);
      add(s.faSeen.outcomes, f * OUTCOMES + o);
      if (e.outcome === 'denied' && e.code !== undefined && isReplyCode(e.code))
        addCode(s.faSeen.codes, f, e.code);
    }
    if (e.outcome === 'discarded') {
      const r = ATTEMPT_DISCARD_REASONS.indexOf(e.reason as never);
      add(s.attemptDiscards, r < 0 ? INTERNAL_ERROR : r);
    }
  },

  'reply-discarded': (s, e) => {
    add(s.ap.counters, s.ap.registry.slot(e.node) * Mn.width + Mn.discarded + discardOffset(e.reason));
  },

  'time-sync': (s, e) => {
    const a = s.ap.registry.slot(e.node);
    add(s.ap.counters, a * Mn.width + Mn.timeSyncs);
    const h = s.ha.registry.slot(e.homeAgent);
    add(s.ha.counters, h * Ha.width + Ha.timeSyncs);
    s.timeSyncOffsets[h] = e.offsetSeconds;
    s.offsets.set(a * s.ha.registry.capacity + h, { offset: e.offsetSeconds, at: e.time, mode: e.mode });
  },
} satisfies Partial<IngestTable>;
