/**
 * Ingest of what any node reports about its own input: security violations (mipSecViolationGroup,
 * RFC 2006), datagrams that failed to decode, and datagrams decoded only leniently.
 */
import { LENIENT_DECODES } from '../../pmip/events.ts';
import { Fa, Ha, Mn, add, violationOffset } from '../counters.ts';
import type { IngestTable } from './types.ts';

export const anyNodeIngest = {
  'security-violation': (s, e) => {
    const g = s.groupOf(e.nodeKind);
    const base =
      g === s.ap ? Mn.securityViolations : g === s.ha ? Ha.securityViolations : Fa.securityViolations;
    add(g.counters, g.registry.slot(e.node) * g.width + base + violationOffset(e.reason));
  },

  'malformed-datagram': (s, e) => {
    s.countMalformed(e.nodeKind, e.socket, e.errorKind);
  },

  'lenient-decode': (s, e) => {
    if (!LENIENT_DECODES.includes(e.what)) return false;
    const key = `${e.nodeKind}\u0000${e.what}`;
    const entry = s.lenient.get(key) ?? { nodeKind: e.nodeKind, what: e.what, count: 0 };
    entry.count++;
    s.lenient.set(key, entry);
  },
} satisfies Partial<IngestTable>;
