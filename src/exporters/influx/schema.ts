/**
 * The InfluxDB schema (docs/influxdb.md): the collector's snapshot as line-protocol points, and the
 * opt-in per-attempt measurement. Pure functions: a snapshot (or one event) in, lines out. Tags are
 * bounded (site, access point, home agent, foreign agent, code, reason, issuer, kind, outcome, aap;
 * the same values as the Prometheus labels); a client's MAC or address is only ever a field.
 * Counters are integer fields (`i`), ratios and seconds float fields. Every point of one snapshot
 * carries the snapshot's time, so a query for the last value of a field reads one consistent set.
 */
import { CLIENT_STATES } from '../../collector/clients.ts';
import {
  Mn,
  OUTCOMES,
  REGISTRATION_KINDS,
  REGISTRATION_OUTCOME_KINDS,
  REPLY_DISCARD_REASONS,
  SECURITY_VIOLATION_REASONS,
  Seen,
  outcomeOffset,
} from '../../collector/counters.ts';
import type { CollectorSnapshot, NodeGroupSnapshot, SeenAgentsSnapshot } from '../../collector/snapshot.ts';
import type { RegistrationOutcomeEvent } from '../../collector/vocabulary.ts';
import { replyCode } from '../../collector/vocabulary.ts';
import { snake } from '../families/common.ts';

/** Measurement names, one place (docs/influxdb.md lists each with its tags and fields). */
export const MEASUREMENTS = {
  accessPoint: 'pmip_access_point',
  homeAgent: 'pmip_home_agent',
  foreignAgent: 'pmip_foreign_agent',
  homeAgentDenials: 'pmip_home_agent_denials',
  foreignAgentDenials: 'pmip_foreign_agent_denials',
  denials: 'pmip_denials',
  timeOffset: 'pmip_time_offset',
  site: 'pmip_site',
  aap: 'pmip_aap',
  registration: 'pmip_registration',
} as const;

const ACCEPTED = outcomeOffset('accepted');
const FAILURES = REGISTRATION_OUTCOME_KINDS.slice(1);
const MOVES: Array<[string, number]> = [
  ['moves_home_to_foreign', Mn.movesHomeToForeign],
  ['moves_foreign_to_foreign', Mn.movesForeignToForeign],
  ['moves_foreign_to_home', Mn.movesForeignToHome],
];
const AP_COUNTERS: Array<[string, number]> = [
  ...REGISTRATION_KINDS.map((k, i): [string, number] => [`requests_sent_${k}`, Mn.requestsSent + i]),
  ['retransmissions', Mn.retransmissions],
  ['requests_broadcast', Mn.requestsToBroadcast],
  ['replies_received', Mn.repliesReceived],
  ...REPLY_DISCARD_REASONS.map((r, i): [string, number] => [
    `replies_discarded_${snake(r)}`,
    Mn.discarded + i,
  ]),
  ...MOVES,
  ['time_syncs', Mn.timeSyncs],
  ['solicitations_sent', Mn.solicitationsSent],
  ['advertisements_received', Mn.advertisementsReceived],
  ['agent_reboots_detected', Mn.agentRebootsDetected],
  ['gratuitous_arps_sent', Mn.gratuitousArpsSent],
];

/** Timestamps are written in nanoseconds: ms * 1e6 plus a sequence, as a decimal string. */
export function nanos(ms: number, sequence = 0): string {
  return `${Math.floor(ms)}${String(sequence % 1_000_000).padStart(6, '0')}`;
}

/** Tag values (the operator's ids, the reply-code table's reasons): commas, spaces, `=` escaped. */
export function escapeTag(value: string): string {
  return /[,= \\\n]/.test(value) ? value.replace(/[,= \\]/g, (c) => `\\${c}`).replace(/\n/g, '\\n') : value;
}

/** String field values: in double quotes, `"` and `\` escaped. */
function quoted(value: string): string {
  if (!/["\\\n]/.test(value)) return `"${value}"`;
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/**
 * One point in line protocol, built by hand: the client's `Point` sorts and escapes every key on
 * each call (about 90 us per point of 40 fields measured here, 55 ms for one 500-access-point
 * snapshot); our measurement, tag and field names are fixed identifiers that need no escaping, and
 * only tag and string values are escaped. Tags are written in the order given (InfluxDB sorts them).
 */
class Line {
  private head: string;
  private fields = '';
  constructor(
    measurement: string,
    site: string,
    private readonly time: string,
  ) {
    this.head = `${measurement},site=${escapeTag(site)}`;
  }
  tag(key: string, value: string): this {
    if (value !== '') this.head += `,${key}=${escapeTag(value)}`;
    return this;
  }
  intField(key: string, value: number): this {
    this.fields += `${this.fields === '' ? '' : ','}${key}=${Math.trunc(value)}i`;
    return this;
  }
  floatField(key: string, value: number): this {
    if (Number.isFinite(value)) this.fields += `${this.fields === '' ? '' : ','}${key}=${value}`;
    return this;
  }
  stringField(key: string, value: string): this {
    this.fields += `${this.fields === '' ? '' : ','}${key}=${quoted(value)}`;
    return this;
  }
  toString(): string {
    return `${this.head} ${this.fields} ${this.time}`;
  }
}

function point(measurement: string, site: string, time: string): Line {
  return new Line(measurement, site, time);
}

function line(p: Line): string {
  return p.toString();
}

/** Attempts, accepted and failures by outcome of one node, plus the acceptance ratio once there is an attempt. */
function outcomeFields(p: Line, g: NodeGroupSnapshot, slot: number): void {
  const base = slot * OUTCOMES;
  let attempts = 0;
  for (let v = 0; v < OUTCOMES; v++) attempts += g.outcomes[base + v]!;
  p.intField('attempts', attempts).intField('accepted', g.outcomes[base + ACCEPTED]!);
  FAILURES.forEach((o, i) => p.intField(`failures_${o}`, g.outcomes[base + ACCEPTED + 1 + i]!));
  if (attempts > 0) p.floatField('acceptance_ratio', g.outcomes[base + ACCEPTED]! / attempts);
}

function seenPoints(
  out: string[],
  g: SeenAgentsSnapshot,
  measurement: string,
  denials: string,
  tag: 'home_agent' | 'foreign_agent',
  site: string,
  time: string,
): void {
  for (let i = 0; i < g.slots.length; i++) {
    const slot = g.slots[i]!;
    const id = g.ids[i]!;
    const c = (column: number): number => g.counters[slot * g.width + column]!;
    const p = point(measurement, site, time)
      .tag(tag, id)
      .stringField('address', g.addresses[i]!)
      .intField('requests_sent', c(Seen.requestsSent))
      .intField('replies_received', c(Seen.repliesReceived));
    outcomeFields(p, g, slot);
    const count = c(Seen.roundTripCount);
    p.intField('round_trips', count).floatField('round_trip_seconds_sum', c(Seen.roundTripSum));
    if (count > 0) p.floatField('round_trip_mean_seconds', c(Seen.roundTripSum) / count);
    if (c(Seen.lastReplyAt) > 0) p.floatField('last_reply_timestamp_seconds', c(Seen.lastReplyAt) / 1000);
    if (tag === 'home_agent')
      p.intField('probes_sent', c(Seen.probesSent))
        .intField('probes_answered', c(Seen.probesAnswered))
        .intField('probes_timed_out', c(Seen.probesTimedOut));
    // Observed sites: advertisements to the link (no access point received them), once there is one.
    if (c(Seen.linkAdvertisements) > 0 || c(Seen.linkRebootsDetected) > 0)
      p.intField('link_advertisements', c(Seen.linkAdvertisements)).intField(
        'link_reboots_detected',
        c(Seen.linkRebootsDetected),
      );
    out.push(line(p));
    const codes = g.codes[slot];
    if (codes)
      for (let code = 0; code < 256; code++)
        if (codes[code]! > 0)
          out.push(line(codePoint(denials, site, time, code).tag(tag, id).intField('count', codes[code]!)));
  }
}

function codePoint(measurement: string, site: string, time: string, code: number): Line {
  const rc = replyCode(code);
  return point(measurement, site, time)
    .tag('code', String(code))
    .tag('reason', rc.reason)
    .tag('issuer', snake(rc.issuer));
}

/**
 * Every point of one snapshot: per access point, per home agent and foreign agent as the access
 * points see them (and their denials by code), the site-wide denials by code, the time offsets,
 * the site totals and the AAPs.
 */
export function snapshotLines(s: CollectorSnapshot, site: string): string[] {
  const time = nanos(s.time);
  const out: string[] = [];
  const ap = s.accessPoints;
  const states = CLIENT_STATES.length;
  for (let i = 0; i < ap.slots.length; i++) {
    const slot = ap.slots[i]!;
    const p = point(MEASUREMENTS.accessPoint, site, time).tag('access_point', ap.ids[i]!);
    for (const [field, column] of AP_COUNTERS) p.intField(field, ap.counters[slot * ap.width + column]!);
    let violations = 0;
    for (let r = 0; r < SECURITY_VIOLATION_REASONS.length; r++)
      violations += ap.counters[slot * ap.width + Mn.securityViolations + r]!;
    p.intField('security_violations', violations);
    outcomeFields(p, ap, slot);
    p.intField('clients', ap.clients[slot]!);
    CLIENT_STATES.forEach((st, k) => p.intField(`clients_${st}`, ap.clientsByState[slot * states + k]!));
    out.push(line(p));
  }
  seenPoints(
    out,
    s.homeAgentsSeen,
    MEASUREMENTS.homeAgent,
    MEASUREMENTS.homeAgentDenials,
    'home_agent',
    site,
    time,
  );
  seenPoints(
    out,
    s.foreignAgentsSeen,
    MEASUREMENTS.foreignAgent,
    MEASUREMENTS.foreignAgentDenials,
    'foreign_agent',
    site,
    time,
  );
  for (let code = 0; code < 256; code++) {
    const n = s.denialsByCode[code]!;
    if (n > 0 && !replyCode(code).accepted)
      out.push(line(codePoint(MEASUREMENTS.denials, site, time, code).intField('count', n)));
  }
  for (const o of s.timeOffsets)
    out.push(
      line(
        point(MEASUREMENTS.timeOffset, site, time)
          .tag('access_point', o.accessPoint)
          .tag('home_agent', o.homeAgent)
          .floatField('offset_seconds', o.offsetSeconds)
          .stringField('mode', o.mode),
      ),
    );

  const total = point(MEASUREMENTS.site, site, time);
  let clients = 0;
  for (const st of CLIENT_STATES) {
    total.intField(`clients_${st}`, s.clientsByState[st] ?? 0);
    clients += s.clientsByState[st] ?? 0;
  }
  total.intField('clients', clients);
  let attempts = 0;
  let accepted = 0;
  for (const slot of ap.slots) {
    for (let v = 0; v < OUTCOMES; v++) attempts += ap.outcomes[slot * OUTCOMES + v]!;
    accepted += ap.outcomes[slot * OUTCOMES + ACCEPTED]!;
  }
  total.intField('attempts', attempts).intField('accepted', accepted);
  if (attempts > 0) total.floatField('acceptance_ratio', accepted / attempts);
  let denials = 0;
  for (let code = 0; code < 256; code++) if (!replyCode(code).accepted) denials += s.denialsByCode[code]!;
  total.intField('denials', denials);
  for (const [reason, n] of Object.entries(s.attemptDiscards))
    total.intField(`discarded_${snake(reason)}`, n);
  total
    .intField('round_trips', s.roundTrip.count)
    .floatField('round_trip_seconds_sum', s.roundTrip.sum)
    .intField(
      'malformed_datagrams',
      s.malformed.reduce((t, m) => t + m.count, 0),
    )
    .intField('aap_failovers', s.aap.failovers)
    .intField('aap_push_retries', s.aap.pushRetries)
    .intField('aap_handovers', s.aap.handovers)
    .intField('aap_reconciliations', s.aap.reconciliations)
    .intField('events_ingested', s.self.eventsIngested)
    .intField('events_dropped', s.self.eventsDropped);
  if (s.roundTrip.count > 0) total.floatField('round_trip_mean_seconds', s.roundTrip.sum / s.roundTrip.count);
  if (s.subnetMap.lastReportedRows !== null) total.intField('subnet_map_rows', s.subnetMap.lastReportedRows);
  out.push(line(total));

  for (const a of s.aap.status) {
    if (a.reachable === null && !a.configured) continue;
    const p = point(MEASUREMENTS.aap, site, time)
      .tag('aap', a.aap)
      .intField('reachable', a.reachable === true ? 1 : 0);
    if (a.lastVersion !== null) p.intField('table_version', a.lastVersion);
    out.push(line(p));
  }
  return out;
}

/** Label values for an outcome's agents: the configured name when known, else `other` (the address is a field). */
export type AgentName = (address: string) => string | undefined;

/**
 * One concluded registration attempt (opt-in). The client (MAC and address) is a field, never a
 * tag; the sequence keeps two attempts of the same series in the same millisecond apart.
 */
export function outcomeLine(
  e: RegistrationOutcomeEvent,
  site: string,
  sequence: number,
  names: { homeAgent: AgentName; foreignAgent: AgentName },
): string {
  const p = point(MEASUREMENTS.registration, site, nanos(e.time, sequence))
    .tag('access_point', e.node)
    .tag('kind', e.kind)
    .tag('outcome', e.outcome)
    .stringField('client', e.client.mac)
    .stringField('client_address', e.client.address)
    .intField('transmissions', e.transmissions);
  if (e.homeAgent !== undefined)
    p.tag('home_agent', names.homeAgent(e.homeAgent) ?? 'other').stringField(
      'home_agent_address',
      e.homeAgent,
    );
  if (e.foreignAgent !== undefined)
    p.tag('foreign_agent', names.foreignAgent(e.foreignAgent) ?? 'other').stringField(
      'foreign_agent_address',
      e.foreignAgent,
    );
  if (e.code !== undefined) p.intField('code', e.code);
  if (e.reason !== undefined) p.stringField('reason', snake(e.reason));
  if (e.roundTripSeconds !== undefined) p.floatField('round_trip_seconds', e.roundTripSeconds);
  return line(p);
}
