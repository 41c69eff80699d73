/**
 * Every metric family of the Prometheus view, described once: name, type, HELP text and label
 * names (in the order samples carry them; a histogram's `le` is not listed). The renderers emit a
 * family by reference to its entry (`w.family(MOBILE_NODE.moves)`, samples under `.name`), the
 * prom-client metrics take their options from it (`promOptions`), and docs/metrics.md documents
 * each entry (test/exporters/families-table.test.ts holds the three together).
 */
import { counter, gauge, histogram } from './family.ts';
import type { FamilyDescription } from './family.ts';

export type { FamilyDescription } from './family.ts';
export { promOptions } from './family.ts';

const AP = ['access_point'];

/** Mobile-node side, per access point (mnRegistrationGroup, mnDiscoveryGroup of RFC 2006). */
export const MOBILE_NODE = {
  requestsSent: counter(
    'pmip_mn_registration_requests_sent_total',
    [...AP, 'kind'],
    'Registration requests sent by the access point for its clients, every transmission included, by kind (MIB: mnRegRequestsSent, mnDeRegRequestsSent).',
  ),
  retransmissions: counter(
    'pmip_mn_registration_retransmissions_total',
    AP,
    'Registration requests sent again after no reply; included in pmip_mn_registration_requests_sent_total (vendor MIB).',
  ),
  requestsToBroadcast: counter(
    'pmip_mn_registration_requests_broadcast_total',
    AP,
    'Registration requests sent to a directed broadcast address; a series once the access point sent one (MIB: mnRegRequestsWithDirectedBroadcast).',
  ),
  repliesReceived: counter(
    'pmip_mn_registration_replies_received_total',
    AP,
    'Registration and deregistration replies received and processed (MIB: mnRegRepliesRecieved, mnDeRegRepliesRecieved).',
  ),
  attempts: counter(
    'pmip_mn_registration_attempts_total',
    AP,
    'Registration attempts concluded: a request and its retransmissions, ended by one outcome (accepted, denied, timeout, unauthenticated or discarded) (vendor MIB: initial registrations, re-registrations and deregistrations).',
  ),
  accepted: counter(
    'pmip_mn_registrations_accepted_total',
    AP,
    'Attempts accepted by a verified reply, codes 0 and 1 (MIB: mnRegRequestsAccepted).',
  ),
  failures: counter(
    'pmip_mn_registration_failures_total',
    [...AP, 'outcome'],
    'Attempts that failed, by outcome: denied (a verified denial; MIB: mnRegRequestsDeniedByHA, mnRegRequestsDeniedByFA), timeout (no reply after the last retransmission), unauthenticated (only replies that failed authentication), discarded (only replies that were dropped, or nothing could be sent).',
  ),
  repliesDiscarded: counter(
    'pmip_mn_replies_discarded_total',
    [...AP, 'reason'],
    'Replies dropped silently, not acted on, by reason; a reason appears once the access point has seen it (MIB: mnRepliesInvalidHomeAddress, mnRepliesUnknownHA, mnRepliesInvalidID, mnRepliesDroppedInvalidExtension).',
  ),
  moves: counter(
    'pmip_mn_moves_total',
    [...AP, 'movement'],
    'Client movements between home and foreign networks (MIB: mnMoveFromHAToFA, mnMoveFromFAToFA, mnMoveFromFAToHA).',
  ),
  timeSyncs: counter(
    'pmip_mn_time_syncs_total',
    AP,
    'Time synchronisations with a home agent after an identification mismatch, code 133 (vendor MIB; the denial itself is mnRegRequestsDeniedByHADueToID).',
  ),
  solicitationsSent: counter(
    'pmip_mn_solicitations_sent_total',
    AP,
    'Agent solicitations sent (MIB: mnSolicitationsSent).',
  ),
  advertisementsReceived: counter(
    'pmip_mn_advertisements_received_total',
    AP,
    'Agent advertisements received (MIB: mnAdvertisementsReceived).',
  ),
  agentRebootsDetected: counter(
    'pmip_mn_agent_reboots_detected_total',
    AP,
    'Agent reboots detected from advertisement sequence numbers (MIB: mnAgentRebootsDectected).',
  ),
  gratuitousArpsSent: counter(
    'pmip_mn_gratuitous_arps_sent_total',
    AP,
    'Gratuitous ARPs sent for clients returning home (MIB: mnGratuitousARPsSend).',
  ),
  clients: gauge(
    'pmip_mobile_clients',
    [...AP, 'state'],
    'Mobile clients tracked, by access point and state (MIB: mnState).',
  ),
} as const;

/** One side of the agents as the access points see them: the same families for both kinds. */
function agentsSeen(kind: 'home' | 'foreign') {
  const words = `${kind} agent`;
  const by = `${kind}_agent`;
  const name = (suffix: string) => `pmip_${kind}_agent_${suffix}`;
  return {
    labelName: by,
    info: gauge(name('info'), [by, 'address'], `The address of each ${words} label value; always 1.`),
    requestsSent: counter(
      name('registration_requests_sent_total'),
      [by],
      `Registration requests the access points sent for the ${words}, every transmission (MIB: mnRegRequestsSent, per ${words}).`,
    ),
    repliesReceived: counter(
      name('registration_replies_received_total'),
      [by],
      `Replies the access points received and processed for attempts to the ${words} (MIB: mnRegRepliesRecieved, per ${words}).`,
    ),
    attempts: counter(
      name('registration_attempts_total'),
      [by],
      `Registration attempts to the ${words} concluded by the access points, every outcome.`,
    ),
    accepted: counter(
      name('registrations_accepted_total'),
      [by],
      `Attempts to the ${words} accepted (MIB: mnRegRequestsAccepted, per ${words}).`,
    ),
    failures: counter(
      name('registration_failures_total'),
      [by, 'outcome'],
      `Attempts to the ${words} that failed, by outcome (denied, timeout, unauthenticated, discarded).`,
    ),
    denials: counter(
      name('registration_denials_total'),
      [by, 'code', 'reason'],
      `Verified denials of attempts to the ${words}, by reply code (the issuer follows from the code: 64-127 foreign agent, 128-191 home agent; MIB: mnRegRequestsDeniedByHA, mnRegRequestsDeniedByFA, per ${words}).`,
    ),
    roundTrip: histogram(
      name('registration_round_trip_seconds'),
      [by],
      `Time from a request to the ${words} to its reply, seconds.`,
    ),
    lastReply: gauge(
      name('last_reply_timestamp_seconds'),
      [by],
      `When an access point last received a reply from the ${words} (verified or not), Unix seconds; absent before the first.`,
    ),
    linkAdvertisements: counter(
      name('link_advertisements_total'),
      [by],
      `Observed sites: agent advertisements the ${words} sent to the link (broadcast or multicast), which no one access point received; unicast ones count in pmip_mn_advertisements_received_total. Present once the capture held one (MIB: mnAdvertisementsReceived, per ${words}).`,
    ),
    linkRebootsDetected: counter(
      name('link_reboots_detected_total'),
      [by],
      `Observed sites: restarts of the ${words} seen in the sequence numbers of its advertisements to the link; a series for each agent with pmip_${kind}_agent_link_advertisements_total (MIB: mnAgentRebootsDectected, per ${words}).`,
    ),
  };
}

export type AgentsSeenFamilies = ReturnType<typeof agentsSeen>;

/** Home agents as the access points see them, and what only home agents have. */
export const HOME_AGENTS_SEEN = {
  ...agentsSeen('home'),
  probes: counter(
    'pmip_home_agent_probes_total',
    ['home_agent', 'outcome'],
    'Reachability probes from authoritative access points towards the home agent (a deliberately invalid registration to its subnet), by outcome (vendor MIB).',
  ),
  timeSyncOffset: gauge(
    'pmip_time_sync_offset_seconds',
    ['access_point', 'home_agent'],
    "Last time-sync offset an access point learnt for a home agent: the home agent's clock minus the access point's, seconds (0 in nonce mode); absent before the first sync (vendor MIB, follows mnRegRequestsDeniedByHADueToID).",
  ),
};

export const FOREIGN_AGENTS_SEEN = agentsSeen('foreign');

/** Home-agent side, per hosted home agent (haRegistrationGroup, haRegNodeCountersGroup of RFC 2006). */
export const HOME_AGENT = {
  requestsReceived: counter(
    'pmip_ha_registration_requests_received_total',
    ['home_agent', 'kind'],
    'Registration requests received by the home agent, by kind (MIB: haRegRequestsReceived, haDeRegRequestsReceived).',
  ),
  repliesSent: counter(
    'pmip_ha_registration_replies_sent_total',
    ['home_agent'],
    'Registration and deregistration replies sent by the home agent (MIB: haRegRepliesSent, haDeRegRepliesSent).',
  ),
  accepted: counter(
    'pmip_ha_registrations_accepted_total',
    ['home_agent'],
    'Registrations the home agent accepted, codes 0 and 1 (MIB: haRegistrationAccepted, haMultiBindingUnsupported).',
  ),
  denials: counter(
    'pmip_ha_registration_denials_total',
    ['home_agent', 'code', 'reason'],
    'Registrations the home agent denied, by reply code (MIB: haReasonUnspecified, haAdmProhibited, haInsufficientResource, haMNAuthenticationFailure, haFAAuthenticationFailure, haIDMismatch, haPoorlyFormedRequest, haTooManyBindings, haUnknownHA).',
  ),
  arpsSent: counter(
    'pmip_ha_arps_sent_total',
    ['home_agent', 'kind'],
    'ARPs sent by the home agent on behalf of away clients (MIB: haGratuitiousARPsSent, haProxyARPsSent).',
  ),
  advertisementsSent: counter(
    'pmip_ha_advertisements_sent_total',
    ['home_agent'],
    'Agent advertisements sent (MIB: maAdvertisementsSent).',
  ),
  bindings: gauge(
    'pmip_ha_bindings',
    ['home_agent'],
    'Mobility bindings held by the home agent (MIB: haMobilityBindingTable rows).',
  ),
} as const;

/** Foreign-agent side, per hosted foreign agent (faRegistrationGroup of RFC 2006). */
export const FOREIGN_AGENT = {
  requestsReceived: counter(
    'pmip_fa_registration_requests_received_total',
    ['foreign_agent', 'kind'],
    'Registration requests received by the foreign agent, by kind (MIB: faRegRequestsReceived).',
  ),
  requestsRelayed: counter(
    'pmip_fa_registration_requests_relayed_total',
    ['foreign_agent'],
    'Registration requests relayed to a home agent (MIB: faRegRequestsRelayed).',
  ),
  repliesRelayed: counter(
    'pmip_fa_registration_replies_relayed_total',
    ['foreign_agent'],
    'Home agent replies relayed to the access point (MIB: faRegRepliesRelayed).',
  ),
  denials: counter(
    'pmip_fa_registration_denials_total',
    ['foreign_agent', 'code', 'reason'],
    'Registrations the foreign agent denied itself, by reply code (MIB: faReasonUnspecified, faAdmProhibited, faInsufficientResource, faMNAuthenticationFailure, faRegLifetimeTooLong, faPoorlyFormedRequests, faEncapsulationUnavailable, faVJCompressionUnavailable, faHAUnreachable).',
  ),
  repliesDropped: counter(
    'pmip_fa_replies_dropped_total',
    ['foreign_agent', 'reason'],
    'Replies the foreign agent dropped: poorly formed, matching no pending request, or not from the home agent the request went to (MIB: faPoorlyFormedReplies).',
  ),
  advertisementsSent: counter(
    'pmip_fa_advertisements_sent_total',
    ['foreign_agent'],
    'Agent advertisements sent (MIB: maAdvertisementsSent).',
  ),
  visitors: gauge(
    'pmip_fa_visitors',
    ['foreign_agent'],
    'Visitors in the foreign agent visitor list (MIB: faVisitorTable rows).',
  ),
} as const;

/** Site-wide families: per-code denials, security violations, round trip, decoding, subnet map. */
export const SITE = {
  denials: counter(
    'pmip_registration_denials_total',
    ['code', 'reason', 'issuer'],
    'Denials in replies received by all access points, by reply code; reason and issuer from the reply-code table (MIB: mnRegRequestsDeniedByHA, mnRegRequestsDeniedByFA, mnRegRequestsDeniedByHADueToID for 133).',
  ),
  discardedAttempts: counter(
    'pmip_registration_discarded_attempts_total',
    ['reason'],
    'Attempts by all access points that ended discarded, by reason: only dropped replies (a reply discard reason), or nothing could be sent (no_security_association, no_home_agent, internal_error).',
  ),
  securityViolations: counter(
    'pmip_security_violations_total',
    ['node_kind', 'reason'],
    'Security violations detected, by kind of detecting node and reason (MIB: mipSecTotalViolations, mipSecViolationCounter, mipSecRecentViolationReason).',
  ),
  roundTrip: histogram(
    'pmip_registration_round_trip_seconds',
    [],
    'Time from sending a registration request to receiving its reply, seconds (vendor MIB).',
  ),
  malformed: counter(
    'pmip_malformed_datagrams_total',
    ['node_kind', 'socket', 'error_kind'],
    'Datagrams that failed to decode, by node kind, socket and error kind; dropped, never fatal.',
  ),
  authentication: gauge(
    'pmip_home_agent_authentication_info',
    ['home_agent', 'mode'],
    'How the access points authenticate to each home agent: per_node (RFC 5563 proxy mode, extension 34 with a per-node SA) or mobile_home (the client SA, extension 32).',
  ),
  lenientDecodes: counter(
    'pmip_lenient_decodes_total',
    ['node_kind', 'what'],
    'Datagrams decoded only leniently (extension 47 in the short form, RFC 5563 section 3.1), by node kind and what.',
  ),
  subnetMapUpdates: counter(
    'pmip_subnet_map_updates_total',
    ['source'],
    'Subnet map changes, by source of the change.',
  ),
  subnetMapRows: gauge(
    'pmip_subnet_map_rows',
    [],
    'Rows in the subnet map table (home agent address and mask).',
  ),
} as const;

/** The authoritative access points (AAP protocol) as this process sees them. */
export const AAP = {
  reachable: gauge(
    'pmip_aap_reachable',
    ['aap'],
    '1 when the authoritative access point answers, 0 when not, or (configured AAPs) not yet answered.',
  ),
  tableVersion: gauge(
    'pmip_aap_table_version',
    ['aap'],
    'Version of the subnet map last announced by the authoritative access point.',
  ),
  failovers: counter(
    'pmip_aap_failovers_total',
    [],
    'Failovers from one authoritative access point to another.',
  ),
  pushRetries: counter('pmip_aap_push_retries_total', [], 'Subnet map pushes to an access point sent again.'),
  handovers: counter(
    'pmip_aap_handovers_total',
    [],
    'Access points handed over to another authoritative access point.',
  ),
  reconciliations: counter(
    'pmip_aap_reconciliations_total',
    [],
    'Subnet map reconciliations between authoritative access points.',
  ),
  reconciledRows: counter(
    'pmip_aap_reconciled_rows_total',
    [],
    'Subnet map rows changed by reconciliations.',
  ),
  refused: counter(
    'pmip_aap_messages_refused_total',
    ['reason'],
    'AAP protocol messages refused, by reason.',
  ),
} as const;

/** RADIUS SA lookups, by configured server. */
export const RADIUS = {
  lookups: counter(
    'pmip_radius_lookups_total',
    ['server'],
    'SA lookups sent to the RADIUS server: one Access-Request exchange each, retransmissions not counted again.',
  ),
  requestsSent: counter(
    'pmip_radius_requests_sent_total',
    ['server'],
    'Access-Requests sent to the RADIUS server, retransmissions included.',
  ),
  accepts: counter(
    'pmip_radius_accepts_total',
    ['server', 'style'],
    'Lookups the RADIUS server answered with an Access-Accept that carried a usable SA, by attribute style (cisco av-pair, 3gpp2).',
  ),
  lookupFailures: counter(
    'pmip_radius_lookup_failures_total',
    ['server', 'reason'],
    'Lookups that gave no SA, by reason: reject (Access-Reject), timeout (no answer after the retries), malformed (an Access-Accept without a usable SA, or an unreadable answer), bad_authenticator (the Response Authenticator or Message-Authenticator check failed: shared secret).',
  ),
  failovers: counter(
    'pmip_radius_failovers_total',
    ['server'],
    'Times the next RADIUS server was asked after this one timed out or failed the authenticator check.',
  ),
  cacheHits: counter(
    'pmip_radius_cache_hits_total',
    ['server', 'cached'],
    'SA lookups answered from the cache, by the cached answer: accept (an SA) or reject (negative cache).',
  ),
} as const;

/** The collector's own health: events in, events dropped, client table size. */
export const COLLECTOR = {
  eventsIngested: counter('pmip_exporter_events_ingested_total', [], 'PMIP events the collector counted.'),
  eventsDropped: counter(
    'pmip_exporter_events_dropped_total',
    [],
    'PMIP events the collector could not use (unknown type, reply code out of range).',
  ),
  eventsFolded: counter(
    'pmip_exporter_events_folded_total',
    [],
    'Events from nodes not in the configuration, counted under the label value "other".',
  ),
  clientsTracked: gauge('pmip_exporter_tracked_clients', [], 'Client rows held by the collector.'),
  clientsExpired: counter(
    'pmip_exporter_clients_expired_total',
    [],
    'Client rows dropped after the idle time.',
  ),
  clientsUntracked: counter(
    'pmip_exporter_clients_untracked_total',
    [],
    'Clients not tracked because the client table was full.',
  ),
} as const;

/** The exporter's own self-metrics: each section's render, the page's render, the build. */
export const EXPORTER = {
  sectionDuration: gauge(
    'pmip_exporter_section_duration_seconds',
    ['section'],
    'Time each metric section took to render in this scrape, seconds (node_exporter: node_scrape_collector_duration_seconds).',
  ),
  sectionSuccess: gauge(
    'pmip_exporter_section_success',
    ['section'],
    '1 when the metric section rendered in this scrape, 0 when it failed and its families were left out (node_exporter: node_scrape_collector_success).',
  ),
  collectFailures: counter(
    'pmip_exporter_collect_failures_total',
    ['collector'],
    'Metric sections whose collection failed and were left out of a scrape, by section.',
  ),
  renderDuration: gauge(
    'pmip_exporter_render_duration_seconds',
    [],
    'Time the previous /metrics render took, seconds.',
  ),
  buildInfo: gauge(
    'pmip_build_info',
    ['version', 'events_version', 'nodejs_version'],
    'Build information: version, PmipEvent contract version and Node.js version; always 1.',
  ),
} as const;

/** The InfluxDB writer's self-metrics, registered only when `exporters.influxdb` is configured. */
export const INFLUXDB = {
  pointsWritten: counter(
    'pmip_influxdb_points_written_total',
    [],
    'Points the InfluxDB server accepted (2xx).',
  ),
  writeFailures: counter(
    'pmip_influxdb_write_failures_total',
    ['cause'],
    'InfluxDB write requests that failed, by cause (unauthorized, not_found, bad_request, throttled, server_error, timeout, unreachable, other).',
  ),
  pointsDropped: counter(
    'pmip_influxdb_points_dropped_total',
    ['reason'],
    'Points given up, by reason: buffer_full (the retry buffer dropped its oldest batch), rejected (a 4xx answer), retries_exhausted, shutdown (still unwritten at exit).',
  ),
  bufferedPoints: gauge(
    'pmip_influxdb_buffered_points',
    [],
    'Points queued or waiting for a retry, not yet accepted by the InfluxDB server.',
  ),
  lastWriteDuration: gauge(
    'pmip_influxdb_last_write_duration_seconds',
    [],
    'How long the last InfluxDB write request took, seconds (successful or not); 0 before the first.',
  ),
  lastSuccess: gauge(
    'pmip_influxdb_last_success_timestamp_seconds',
    [],
    'When the InfluxDB server last accepted a write, Unix seconds; 0 before the first.',
  ),
} as const;

const GROUPS = [
  MOBILE_NODE,
  HOME_AGENTS_SEEN,
  FOREIGN_AGENTS_SEEN,
  HOME_AGENT,
  FOREIGN_AGENT,
  SITE,
  AAP,
  RADIUS,
  COLLECTOR,
  EXPORTER,
  INFLUXDB,
];

/** Every family of the table, in table order. */
export const ALL_FAMILIES: readonly FamilyDescription[] = GROUPS.flatMap((g) =>
  Object.values(g).filter((v): v is FamilyDescription => typeof v === 'object'),
);
