/**
 * Ingest of the agents' own events (home agent and foreign agent, RFC 5944 section 3.7-3.8):
 * requests received, relayed and denied, replies sent and dropped, bindings and visitors.
 */
import type { BindingEvent, ReplyDropReason } from '../../pmip/events.ts';
import { isAccepted } from '../../pmip/reply-codes.ts';
import { Fa, Ha, add, addCode, kindOffset } from '../counters.ts';
import { isReplyCode } from './state.ts';
import type { IngestState } from './state.ts';
import type { IngestTable } from './types.ts';

const DROP_COLUMN: Readonly<Record<ReplyDropReason, number>> = {
  'no-pending-request': Fa.repliesDroppedNoPendingRequest,
  'poorly-formed': Fa.repliesDroppedPoorlyFormed,
  'unexpected-source': Fa.repliesDroppedUnexpectedSource,
};

/** binding-created, binding-renewed: counted in `column`, the binding row (re)set. */
function setBinding(column: number): (s: IngestState, e: BindingEvent) => void {
  return (s, e) => {
    const slot = s.ha.registry.slot(e.node);
    add(s.ha.counters, slot * Ha.width + column);
    s.bindingTable.set(slot, e.homeAddress, e.careOfAddress, e.lifetime, s.clock());
  };
}

/** binding-removed, binding-expired: counted in `column`, the binding row gone. */
function deleteBinding(column: number): (s: IngestState, e: BindingEvent) => void {
  return (s, e) => {
    const slot = s.ha.registry.slot(e.node);
    add(s.ha.counters, slot * Ha.width + column);
    s.bindingTable.delete(slot, e.homeAddress);
  };
}

export const agentIngest = {
  'request-received': (s, e) => {
    if (e.nodeKind === 'foreign-agent')
      add(s.fa.counters, s.fa.registry.slot(e.node) * Fa.width + Fa.requestsReceived + kindOffset(e.kind));
    else add(s.ha.counters, s.ha.registry.slot(e.node) * Ha.width + Ha.requestsReceived + kindOffset(e.kind));
  },

  'request-relayed': (s, e) => {
    add(s.fa.counters, s.fa.registry.slot(e.node) * Fa.width + Fa.requestsRelayed);
  },

  'reply-sent': (s, e) => {
    if (!isReplyCode(e.code)) return false;
    if (e.nodeKind === 'foreign-agent') {
      const b = s.fa.registry.slot(e.node) * Fa.width;
      add(s.fa.counters, b + (e.relayed ? Fa.repliesRelayed : Fa.repliesSent));
    } else {
      const b = s.ha.registry.slot(e.node) * Ha.width;
      add(s.ha.counters, b + Ha.repliesSent);
      // Codes 0 and 1 accept (RFC 5944 section 3.4): a range rule, not a table lookup.
      if (isAccepted(e.code)) add(s.ha.counters, b + Ha.accepted);
    }
  },

  'request-denied': (s, e) => {
    if (!isReplyCode(e.code)) return false;
    const fa = e.nodeKind === 'foreign-agent';
    const g = fa ? s.fa : s.ha;
    const slot = g.registry.slot(e.node);
    add(g.counters, slot * g.width + (fa ? Fa.denied : Ha.denied));
    addCode(g.codes, slot, e.code);
  },

  'binding-created': setBinding(Ha.bindingsCreated),
  'binding-renewed': setBinding(Ha.bindingsRenewed),
  'binding-removed': deleteBinding(Ha.bindingsRemoved),
  'binding-expired': deleteBinding(Ha.bindingsExpired),

  'visitor-added': (s, e) => {
    const slot = s.fa.registry.slot(e.node);
    add(s.fa.counters, slot * Fa.width + Fa.visitorsAdded);
    s.visitorTable.set(slot, e.homeAddress, e.homeAgent, e.lifetime, s.clock());
  },

  'visitor-removed': (s, e) => {
    const slot = s.fa.registry.slot(e.node);
    add(s.fa.counters, slot * Fa.width + Fa.visitorsRemoved);
    s.visitorTable.delete(slot, e.homeAddress);
  },

  'reply-dropped': (s, e) => {
    add(s.fa.counters, s.fa.registry.slot(e.node) * Fa.width + DROP_COLUMN[e.reason]);
  },
} satisfies Partial<IngestTable>;
