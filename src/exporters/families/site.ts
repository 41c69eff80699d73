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
} from './common.ts';

export function renderSiteFamilies(w: ExpositionWriter, s: CollectorSnapshot): void {
  w.family(
    'pmip_registration_denials_total',
    'counter',
    'Denials in replies received by all access points, by reply code; reason and issuer from the reply-code table (MIB: mnRegRequestsDeniedByHA, mnRegRequestsDeniedByFA, mnRegRequestsDeniedByHADueToID for 133).',
  );
  for (const code of codesToShow(
    [...FOREIGN_AGENT_ALERT_CODES, ...HOME_AGENT_ALERT_CODES],
    [s.denialsByCode],
  )) {
    if (replyCode(code).accepted) continue;
    w.sample(
      'pmip_registration_denials_total',
      `${codeLabels(code)},${enumLabel('issuer', replyCode(code).issuer)}`,
      s.denialsByCode[code]!,
    );
  }

  w.family(
    'pmip_registration_discarded_attempts_total',
    'counter',
    'Attempts by all access points that ended discarded, by reason: only dropped replies (a reply discard reason), or nothing could be sent (no_security_association, no_home_agent, internal_error).',
  );
  for (const [reason, n] of Object.entries(s.attemptDiscards))
    w.sample('pmip_registration_discarded_attempts_total', enumLabel('reason', reason), n);

  w.family(
    'pmip_security_violations_total',
    'counter',
    'Security violations detected, by kind of detecting node and reason (MIB: mipSecTotalViolations, mipSecViolationCounter, mipSecRecentViolationReason).',
  );
  const groups: Array<[string, NodeGroupSnapshot, number]> = [
    ['access-point', s.accessPoints, Mn.securityViolations],
    ['home-agent', s.homeAgents, Ha.securityViolations],
    ['foreign-agent', s.foreignAgents, Fa.securityViolations],
  ];
  for (const [kind, g, column] of groups) {
    SECURITY_VIOLATION_REASONS.forEach((reason, r) => {
      w.sample(
        'pmip_security_violations_total',
        `${enumLabel('node_kind', kind)},${enumLabel('reason', reason)}`,
        columnTotal(g, column + r),
      );
    });
  }

  const rt = s.roundTrip;
  w.family(
    'pmip_registration_round_trip_seconds',
    'histogram',
    'Time from sending a registration request to receiving its reply, seconds (vendor MIB).',
  );
  let cumulative = 0;
  rt.bounds.forEach((bound, i) => {
    cumulative += rt.counts[i]!;
    w.sample('pmip_registration_round_trip_seconds_bucket', label('le', formatValue(bound)), cumulative);
  });
  w.sample('pmip_registration_round_trip_seconds_bucket', 'le="+Inf"', rt.count);
  w.sample('pmip_registration_round_trip_seconds_sum', '', rt.sum);
  w.sample('pmip_registration_round_trip_seconds_count', '', rt.count);

  w.family(
    'pmip_malformed_datagrams_total',
    'counter',
    'Datagrams that failed to decode, by node kind, socket and error kind; dropped, never fatal.',
  );
  for (const m of s.malformed) {
    w.sample(
      'pmip_malformed_datagrams_total',
      `${enumLabel('node_kind', m.nodeKind)},${enumLabel('socket', m.socket)},${enumLabel('error_kind', m.errorKind)}`,
      m.count,
    );
  }

  // Only for a site where some home agent is in proxy mode: other sites keep their exposition.
  if (s.homeAgentAuthentication.length > 0) {
    w.family(
      'pmip_home_agent_authentication_info',
      'gauge',
      'How the access points authenticate to each home agent: per_node (RFC 5563 proxy mode, extension 34 with a per-node SA) or mobile_home (the client SA, extension 32).',
    );
    for (const a of s.homeAgentAuthentication)
      w.sample(
        'pmip_home_agent_authentication_info',
        `${label('home_agent', a.homeAgent)},${enumLabel('mode', a.mode)}`,
        1,
      );
  }

  // Only once something was read leniently: a site that never sees one keeps its exposition.
  if (s.lenientDecodes.length > 0) {
    w.family(
      'pmip_lenient_decodes_total',
      'counter',
      'Datagrams decoded only leniently (extension 47 in the short form, RFC 5563 section 3.1), by node kind and what.',
    );
    for (const m of s.lenientDecodes)
      w.sample(
        'pmip_lenient_decodes_total',
        `${enumLabel('node_kind', m.nodeKind)},${enumLabel('what', m.what)}`,
        m.count,
      );
  }

  w.family('pmip_subnet_map_updates_total', 'counter', 'Subnet map changes, by source of the change.');
  for (const [source, n] of Object.entries(s.subnetMap.updates)) {
    w.sample('pmip_subnet_map_updates_total', enumLabel('source', source), n);
  }

  renderAapFamilies(w, s);
}

function renderAapFamilies(w: ExpositionWriter, s: CollectorSnapshot): void {
  w.family(
    'pmip_aap_reachable',
    'gauge',
    '1 when the authoritative access point answers, 0 when not, or (configured AAPs) not yet answered.',
  );
  for (const a of s.aap.status)
    if (a.reachable !== null || a.configured)
      w.sample('pmip_aap_reachable', label('aap', a.aap), a.reachable === true ? 1 : 0);
  w.family(
    'pmip_aap_table_version',
    'gauge',
    'Version of the subnet map last announced by the authoritative access point.',
  );
  for (const a of s.aap.status)
    if (a.lastVersion !== null) w.sample('pmip_aap_table_version', label('aap', a.aap), a.lastVersion);
  const counters: Array<[string, string, number]> = [
    [
      'pmip_aap_failovers_total',
      'Failovers from one authoritative access point to another.',
      s.aap.failovers,
    ],
    ['pmip_aap_push_retries_total', 'Subnet map pushes to an access point sent again.', s.aap.pushRetries],
    [
      'pmip_aap_handovers_total',
      'Access points handed over to another authoritative access point.',
      s.aap.handovers,
    ],
    [
      'pmip_aap_reconciliations_total',
      'Subnet map reconciliations between authoritative access points.',
      s.aap.reconciliations,
    ],
    ['pmip_aap_reconciled_rows_total', 'Subnet map rows changed by reconciliations.', s.aap.reconciledRows],
  ];
  for (const [name, help, value] of counters) {
    w.family(name, 'counter', help);
    w.sample(name, '', value);
  }
  w.family('pmip_aap_messages_refused_total', 'counter', 'AAP protocol messages refused, by reason.');
  for (const [reason, n] of Object.entries(s.aap.refused))
    w.sample('pmip_aap_messages_refused_total', enumLabel('reason', reason), n);
}

/** The subnet map size: a family of its own because it reads an injected view that may fail. */
export function renderSubnetMapRows(w: ExpositionWriter, rows: number | null): void {
  w.family('pmip_subnet_map_rows', 'gauge', 'Rows in the subnet map table (home agent address and mask).');
  if (rows !== null) w.sample('pmip_subnet_map_rows', '', rows);
}
