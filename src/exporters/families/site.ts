/** Site-wide families: per-code denials, security violations, clients by state, round trip, AAPs. */
import { Fa, Ha, Mn, SECURITY_VIOLATION_REASONS } from '../../collector/counters.ts';
import type { CollectorSnapshot, NodeGroupSnapshot } from '../../collector/snapshot.ts';
import { columnTotal } from '../../collector/snapshot.ts';
import { replyCode } from '../../collector/vocabulary.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { formatValue, label } from '../serializer.ts';
import {
  FOREIGN_AGENT_ALERT_CODES,
  HOME_AGENT_ALERT_CODES,
  codeLabels,
  codesToShow,
  enumLabel,
  single,
} from './common.ts';
import { AAP, SITE } from './table.ts';
import type { FamilyDescription } from './table.ts';

export function renderSiteFamilies(w: ExpositionWriter, s: CollectorSnapshot): void {
  w.family(SITE.denials);
  for (const code of codesToShow(
    [...FOREIGN_AGENT_ALERT_CODES, ...HOME_AGENT_ALERT_CODES],
    [s.denialsByCode],
  )) {
    if (replyCode(code).accepted) continue;
    w.sample(
      SITE.denials.name,
      `${codeLabels(code)},${enumLabel('issuer', replyCode(code).issuer)}`,
      s.denialsByCode[code]!,
    );
  }

  byEnum(w, SITE.discardedAttempts, 'reason', s.attemptDiscards);

  w.family(SITE.securityViolations);
  const groups: Array<[string, NodeGroupSnapshot, number]> = [
    ['access-point', s.accessPoints, Mn.securityViolations],
    ['home-agent', s.homeAgents, Ha.securityViolations],
    ['foreign-agent', s.foreignAgents, Fa.securityViolations],
  ];
  for (const [kind, g, column] of groups) {
    SECURITY_VIOLATION_REASONS.forEach((reason, r) => {
      w.sample(
        SITE.securityViolations.name,
        `${enumLabel('node_kind', kind)},${enumLabel('reason', reason)}`,
        columnTotal(g, column + r),
      );
    });
  }

  const rt = s.roundTrip;
  const rtName = SITE.roundTrip.name;
  w.family(SITE.roundTrip);
  let cumulative = 0;
  rt.bounds.forEach((bound, i) => {
    cumulative += rt.counts[i]!;
    w.sample(`${rtName}_bucket`, label('le', formatValue(bound)), cumulative);
  });
  w.sample(`${rtName}_bucket`, 'le="+Inf"', rt.count);
  w.sample(`${rtName}_sum`, '', rt.sum);
  w.sample(`${rtName}_count`, '', rt.count);

  perRow(
    w,
    SITE.malformed,
    s.malformed,
    (m) =>
      `${enumLabel('node_kind', m.nodeKind)},${enumLabel('socket', m.socket)},${enumLabel('error_kind', m.errorKind)}`,
    (m) => m.count,
  );
  // Only for a site where some home agent is in proxy mode: other sites keep their exposition.
  if (s.homeAgentAuthentication.length > 0)
    perRow(
      w,
      SITE.authentication,
      s.homeAgentAuthentication,
      (a) => `${label('home_agent', a.homeAgent)},${enumLabel('mode', a.mode)}`,
      () => 1,
    );
  // Only once something was read leniently: a site that never sees one keeps its exposition.
  if (s.lenientDecodes.length > 0)
    perRow(
      w,
      SITE.lenientDecodes,
      s.lenientDecodes,
      (m) => `${enumLabel('node_kind', m.nodeKind)},${enumLabel('what', m.what)}`,
      (m) => m.count,
    );

  byEnum(w, SITE.subnetMapUpdates, 'source', s.subnetMap.updates);

  renderAapFamilies(w, s);
}

function renderAapFamilies(w: ExpositionWriter, s: CollectorSnapshot): void {
  w.family(AAP.reachable);
  for (const a of s.aap.status)
    if (a.reachable !== null || a.configured)
      w.sample(AAP.reachable.name, label('aap', a.aap), a.reachable === true ? 1 : 0);
  w.family(AAP.tableVersion);
  for (const a of s.aap.status)
    if (a.lastVersion !== null) w.sample(AAP.tableVersion.name, label('aap', a.aap), a.lastVersion);
  single(w, AAP.failovers, s.aap.failovers);
  single(w, AAP.pushRetries, s.aap.pushRetries);
  single(w, AAP.handovers, s.aap.handovers);
  single(w, AAP.reconciliations, s.aap.reconciliations);
  single(w, AAP.reconciledRows, s.aap.reconciledRows);
  byEnum(w, AAP.refused, 'reason', s.aap.refused);
}
/** The subnet map size: a family of its own because it reads an injected view that may fail. */
export function renderSubnetMapRows(w: ExpositionWriter, rows: number | null): void {
  w.family(SITE.subnetMapRows);
  if (rows !== null) w.sample(SITE.subnetMapRows.name, '', rows);
}

/** A family with one sample per row of a snapshot list. */
function perRow<T>(
  w: ExpositionWriter,
  d: FamilyDescription,
  rows: readonly T[],
  labels: (row: T) => string,
  value: (row: T) => number,
): void {
  w.family(d);
  for (const r of rows) w.sample(d.name, labels(r), value(r));
}

/** A family with one sample per value of one enumeration label, from a record of counts. */
function byEnum(
  w: ExpositionWriter,
  d: FamilyDescription,
  labelName: string,
  counts: Record<string, number>,
): void {
  w.family(d);
  for (const [value, n] of Object.entries(counts)) w.sample(d.name, enumLabel(labelName, value), n);
}
