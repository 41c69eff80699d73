/** Lists every non-zero number in a collector snapshot by name: what an event changed. */
import {
  Fa,
  Ha,
  Mn,
  OUTCOMES,
  REGISTRATION_KINDS,
  REGISTRATION_OUTCOME_KINDS,
  Seen,
  REPLY_DISCARD_REASONS,
  SECURITY_VIOLATION_REASONS,
} from '../../src/collector/counters.ts';
import type {
  CollectorSnapshot,
  NodeGroupSnapshot,
  SeenAgentsSnapshot,
} from '../../src/collector/snapshot.ts';

function columnNames(layout: Record<string, number>): string[] {
  const names: string[] = [];
  const entries = Object.entries(layout).filter(([k]) => k !== 'width');
  for (const [name, column] of entries) {
    const groups: Record<string, readonly string[]> = {
      requestsSent: REGISTRATION_KINDS,
      requestsReceived: REGISTRATION_KINDS,
      discarded: REPLY_DISCARD_REASONS,
      securityViolations: SECURITY_VIOLATION_REASONS,
    };
    const sub = groups[name];
    if (sub) sub.forEach((s, i) => (names[column + i] = `${name}.${s}`));
    else names[column] = name;
  }
  return names;
}

const names = { ap: columnNames(Mn), ha: columnNames(Ha), fa: columnNames(Fa) };

function groupChanges(prefix: string, g: NodeGroupSnapshot, cols: string[], out: string[]): void {
  g.ids.forEach((id, i) => {
    const slot = g.slots[i]!;
    for (let c = 0; c < g.width; c++) {
      const v = g.counters[slot * g.width + c]!;
      if (v !== 0) out.push(`${prefix}[${id}].${cols[c]}=${v}`);
    }
    g.codes[slot]?.forEach((v, code) => {
      if (v !== 0) out.push(`${prefix}[${id}].code${code}=${v}`);
    });
    outcomeChanges(`${prefix}[${id}]`, g, slot, out);
  });
}

function outcomeChanges(prefix: string, g: NodeGroupSnapshot, slot: number, out: string[]): void {
  REGISTRATION_OUTCOME_KINDS.forEach((k, i) => {
    const v = g.outcomes[slot * OUTCOMES + i]!;
    if (v !== 0) out.push(`${prefix}.outcome.${k}=${v}`);
  });
}

/** Agents seen from the access points: counts, 'set' for the last-reply time, the round-trip count only. */
function seenChanges(prefix: string, g: SeenAgentsSnapshot, out: string[]): void {
  g.ids.forEach((id, i) => {
    const slot = g.slots[i]!;
    const b = slot * g.width;
    const p = `${prefix}[${id}]`;
    if (g.counters[b + Seen.requestsSent]) out.push(`${p}.requestsSent=${g.counters[b + Seen.requestsSent]}`);
    if (g.counters[b + Seen.repliesReceived])
      out.push(`${p}.repliesReceived=${g.counters[b + Seen.repliesReceived]}`);
    if (g.counters[b + Seen.lastReplyAt]) out.push(`${p}.lastReplyAt=set`);
    if (g.counters[b + Seen.roundTripCount])
      out.push(`${p}.roundTrip.count=${g.counters[b + Seen.roundTripCount]}`);
    for (const k of ['linkAdvertisements', 'linkRebootsDetected'] as const)
      if (g.counters[b + Seen[k]]) out.push(`${p}.${k}=${g.counters[b + Seen[k]]}`);
    g.codes[slot]?.forEach((v, code) => {
      if (v !== 0) out.push(`${p}.code${code}=${v}`);
    });
    g.claimedCodes[slot]?.forEach((v, code) => {
      if (v !== 0) out.push(`${p}.claimed${code}=${v}`);
    });
    outcomeChanges(p, g, slot, out);
  });
}

export function changes(s: CollectorSnapshot): string[] {
  const out: string[] = [];
  groupChanges('ap', s.accessPoints, names.ap, out);
  groupChanges('ha', s.homeAgents, names.ha, out);
  groupChanges('fa', s.foreignAgents, names.fa, out);
  seenChanges('haSeen', s.homeAgentsSeen, out);
  seenChanges('faSeen', s.foreignAgentsSeen, out);
  for (const o of s.timeOffsets) out.push(`offset[${o.accessPoint},${o.homeAgent}]=${o.offsetSeconds}`);
  for (const [k, v] of Object.entries(s.attemptDiscards)) if (v) out.push(`discardedAttempts.${k}=${v}`);
  s.accessPoints.ids.forEach((id, i) => {
    const n = s.accessPoints.clients[s.accessPoints.slots[i]!]!;
    if (n) out.push(`ap[${id}].clients=${n}`);
  });
  s.homeAgents.ids.forEach((id, i) => {
    const slot = s.homeAgents.slots[i]!;
    if (s.homeAgents.bindings[slot]) out.push(`ha[${id}].bindings=${s.homeAgents.bindings[slot]}`);
    if (!Number.isNaN(s.homeAgents.timeSyncOffsets[slot]!))
      out.push(`ha[${id}].offset=${s.homeAgents.timeSyncOffsets[slot]}`);
  });
  s.foreignAgents.ids.forEach((id, i) => {
    const n = s.foreignAgents.visitors[s.foreignAgents.slots[i]!]!;
    if (n) out.push(`fa[${id}].visitors=${n}`);
  });
  s.denialsByCode.forEach((v, code) => {
    if (v) out.push(`site.code${code}=${v}`);
  });
  for (const [state, n] of Object.entries(s.clientsByState)) if (n) out.push(`clients.${state}=${n}`);
  if (s.roundTrip.count) out.push(`roundTrip.count=${s.roundTrip.count}`);
  for (const m of s.malformed) out.push(`malformed.${m.nodeKind}.${m.socket}.${m.errorKind}=${m.count}`);
  if (s.subnetMap.lastReportedRows !== null) out.push(`subnetMap.rows=${s.subnetMap.lastReportedRows}`);
  for (const [k, v] of Object.entries(s.subnetMap.updates)) if (v) out.push(`subnetMap.updates.${k}=${v}`);
  for (const [k, v] of Object.entries(s.aap)) if (typeof v === 'number' && v) out.push(`aap.${k}=${v}`);
  for (const [k, v] of Object.entries(s.aap.refused)) if (v) out.push(`aap.refused.${k}=${v}`);
  for (const a of s.aap.status) {
    if (a.reachable !== null) out.push(`aap[${a.aap}].reachable=${a.reachable}`);
    if (a.lastVersion !== null) out.push(`aap[${a.aap}].version=${a.lastVersion}`);
  }
  return out.sort();
}
