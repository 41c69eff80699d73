/** Lists every non-zero number in a collector snapshot by name: what an event changed. */
import {
  Fa,
  Ha,
  Mn,
  REGISTRATION_KINDS,
  REPLY_DISCARD_REASONS,
  SECURITY_VIOLATION_REASONS,
} from '../../src/collector/counters.ts';
import type { CollectorSnapshot, NodeGroupSnapshot } from '../../src/collector/snapshot.ts';

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
  });
}

export function changes(s: CollectorSnapshot): string[] {
  const out: string[] = [];
  groupChanges('ap', s.accessPoints, names.ap, out);
  groupChanges('ha', s.homeAgents, names.ha, out);
  groupChanges('fa', s.foreignAgents, names.fa, out);
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
