/**
 * PMIP overview: the whole site on one page, in the order a NOC reads it. Is registration
 * working (rates, acceptance, denials and why)? Are the clocks in step? Are clients moving and
 * bound? Is anyone failing authentication? Is the subnet map there? Is the exporter healthy?
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { defaultConfig, type DashboardsConfig } from './config.ts';
import {
  RATE_INTERVAL,
  buildDashboard,
  overTime,
  rate,
  selector,
  stateTimelinePanel,
  statPanel,
  timeseriesPanel,
} from './panels.ts';

export function pmipOverview(config: DashboardsConfig = defaultConfig): dashboard.DashboardBuilder {
  const c = config;
  const denial = c.thresholds.denialRatio;
  const acceptance = { warning: 1 - denial.warning, critical: 1 - denial.critical };
  const accepted = `sum(${rate(c, 'pmip_mn_registrations_accepted_total')})`;
  const replies = `sum(${rate(c, 'pmip_mn_registration_replies_received_total')})`;

  return buildDashboard(
    c,
    {
      uid: 'overview',
      title: 'PMIP overview',
      description:
        'Proxy Mobile IP site overview from pmip-exporter: registrations, denials, time sync, mobility, security, subnet map and exporter health.',
    },
    [
      {
        title: 'Summary',
        panels: [
          statPanel({
            title: 'Acceptance ratio',
            description:
              'Replies that accepted the registration (codes 0 and 1) over all replies the access points received (mnRegRequestsAccepted / mnRegRepliesRecieved).',
            unit: 'percentunit',
            queries: [{ expr: `${accepted} / ${replies}`, legend: 'accepted' }],
            thresholds: acceptance,
            lowerIsWorse: true,
            decimals: 1,
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Registration requests',
            description: 'Registration requests the access points send per second, retransmissions included.',
            unit: 'reqps',
            queries: [
              { expr: `sum(${rate(c, 'pmip_mn_registration_requests_sent_total')})`, legend: 'sent' },
            ],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Mobile clients',
            description: 'Client rows tracked at the access points, every state (mnState rows).',
            unit: 'short',
            queries: [
              { expr: `sum(${overTime('max_over_time', c, 'pmip_mobile_clients')})`, legend: 'clients' },
            ],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Mobility bindings',
            description: 'Mobility bindings held by the home agents (haMobilityBindingTable rows).',
            unit: 'short',
            queries: [
              { expr: `sum(${overTime('max_over_time', c, 'pmip_ha_bindings')})`, legend: 'bindings' },
            ],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Visitors',
            description: 'Visitors at the foreign agents (faVisitorTable rows).',
            unit: 'short',
            queries: [
              { expr: `sum(${overTime('max_over_time', c, 'pmip_fa_visitors')})`, legend: 'visitors' },
            ],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Subnet map rows',
            description:
              "Rows in the subnet map the access points use to find a client's home agent. Zero means no client away from home can register (alert PmipSubnetMapEmpty).",
            unit: 'short',
            queries: [
              { expr: `min(${overTime('min_over_time', c, 'pmip_subnet_map_rows')})`, legend: 'rows' },
            ],
            thresholds: { warning: 1, critical: 1 },
            lowerIsWorse: true,
            width: 4,
            height: 4,
          }),
        ],
      },
      {
        title: 'Registrations',
        panels: [
          timeseriesPanel({
            title: 'Registration requests by kind',
            description:
              'Registration requests sent by the access points per second, by kind (initial, renewal, deregistration; mnRegRequestsSent, mnDeRegRequestsSent), and the retransmissions among them.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (kind) (${rate(c, 'pmip_mn_registration_requests_sent_total')})`,
                legend: '{{kind}}',
              },
              {
                expr: `sum(${rate(c, 'pmip_mn_registration_retransmissions_total')})`,
                legend: 'retransmissions (included above)',
              },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Registration outcomes',
            description:
              'What became of the requests, per second: accepted, denied (by the issuer of the reply), timed out after the last retransmission, or reply discarded unread.',
            unit: 'reqps',
            queries: [
              { expr: accepted, legend: 'accepted' },
              {
                expr: `sum by (issuer) (${rate(c, 'pmip_mn_registrations_denied_total')})`,
                legend: 'denied by {{issuer}}',
              },
              { expr: `sum(${rate(c, 'pmip_mn_registration_timeouts_total')})`, legend: 'timed out' },
              { expr: `sum(${rate(c, 'pmip_mn_replies_discarded_total')})`, legend: 'reply discarded' },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Acceptance ratio',
            description:
              'Accepted replies over all replies received by the access points. Dashed lines: the warning and critical levels of the denial ratio, seen from the other side.',
            unit: 'percentunit',
            queries: [{ expr: `${accepted} / ${replies}`, legend: 'accepted / replies' }],
            min: 0,
            max: 1,
            thresholds: acceptance,
            lowerIsWorse: true,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Denial ratio',
            description:
              'Denied over sent, per access point (replies it could read) and per home agent (its own denials over the requests it received, which shows 131 storms the access points cannot read). Alert PmipRegistrationDenialRatioHigh fires at the red line.',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (access_point) (${rate(c, 'pmip_mn_registrations_denied_total')}) / sum by (access_point) (${rate(c, 'pmip_mn_registration_requests_sent_total')})`,
                legend: '{{access_point}}',
              },
              {
                expr: `sum by (home_agent) (${rate(c, 'pmip_ha_registration_denials_total')}) / sum by (home_agent) (${rate(c, 'pmip_ha_registration_requests_received_total')})`,
                legend: '{{home_agent}} (home agent)',
              },
            ],
            min: 0,
            max: 1,
            thresholds: denial,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Registration round trip',
            description:
              'Time from a registration request to its reply at the access points: median, 90th and 99th percentile, estimated from the histogram buckets.',
            unit: 's',
            queries: [0.5, 0.9, 0.99].map((q) => ({
              expr: `histogram_quantile(${q}, sum by (le) (${rate(c, 'pmip_registration_round_trip_seconds_bucket')}))`,
              legend: `p${Math.round(q * 100)}`,
            })),
            min: 0,
            thresholds: c.thresholds.roundTripSeconds,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Denials by code and reason',
            description:
              'Denials per second by reply code: as received by the access points, and as sent by the home agents and foreign agents themselves (131 and 132 replies usually fail authentication at the access point, so they show on the agent side).',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (code, reason) (${rate(c, 'pmip_registration_denials_total')})`,
                legend: '{{code}} {{reason}} (received)',
              },
              {
                expr: `sum by (code, reason) (${rate(c, 'pmip_ha_registration_denials_total')})`,
                legend: '{{code}} {{reason}} (sent by home agents)',
              },
              {
                expr: `sum by (code, reason) (${rate(c, 'pmip_fa_registration_denials_total')})`,
                legend: '{{code}} {{reason}} (sent by foreign agents)',
              },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Replies discarded by reason',
            description:
              'Replies the access points dropped without acting on them (mnRepliesInvalidHomeAddress, mnRepliesUnknownHA, mnRepliesInvalidID, mnRepliesDroppedInvalidExtension, no pending request).',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (reason) (${rate(c, 'pmip_mn_reply_discards_total')})`,
                legend: '{{reason}}',
              },
            ],
            width: 12,
            height: 8,
          }),
        ],
      },
      {
        title: 'Time synchronisation',
        panels: [
          timeseriesPanel({
            title: 'Time resyncs',
            description:
              'Identification resynchronisations per second after a 133 (identification mismatch), per access point, and the 133 denials each home agent sent. A steady rate means a clock keeps drifting (alert PmipIdentificationMismatchBurst).',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (access_point) (${rate(c, 'pmip_mn_time_syncs_total')})`,
                legend: 'resyncs at {{access_point}}',
              },
              {
                expr: `sum by (home_agent) (${rate(c, 'pmip_ha_registration_denials_total', 'code="133"')})`,
                legend: '133 sent by {{home_agent}}',
              },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Time-sync offset per home agent',
            description:
              "Last offset learnt at a resync: the home agent's clock minus the access point's, in seconds (positive: the home agent is ahead; 0 in nonce mode). No line before the first resync.",
            unit: 's',
            queries: [
              {
                expr: `max by (home_agent) (${overTime('last_over_time', c, 'pmip_time_sync_offset_seconds')})`,
                legend: '{{home_agent}}',
              },
            ],
            width: 12,
            height: 8,
          }),
        ],
      },
      {
        title: 'Mobility',
        panels: [
          timeseriesPanel({
            title: 'Moves',
            description:
              'Client movements per second: home to foreign, foreign to foreign, foreign to home (mnMoveFromHAToFA, mnMoveFromFAToFA, mnMoveFromFAToHA).',
            unit: 'cps',
            queries: [
              { expr: `sum by (movement) (${rate(c, 'pmip_mn_moves_total')})`, legend: '{{movement}}' },
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Clients by state',
            description:
              'Tracked clients by state: home, registered (bound away from home), pending (registering), isolated (registration failed), unknown.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (state) (${overTime('max_over_time', c, 'pmip_mobile_clients')})`,
                legend: '{{state}}',
              },
            ],
            stack: true,
            min: 0,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Bindings and visitors',
            description:
              'Mobility bindings per home agent (haMobilityBindingTable) and visitors per foreign agent (faVisitorTable).',
            unit: 'short',
            queries: [
              {
                expr: `sum by (home_agent) (${overTime('max_over_time', c, 'pmip_ha_bindings')})`,
                legend: 'bindings at {{home_agent}}',
              },
              {
                expr: `sum by (foreign_agent) (${overTime('max_over_time', c, 'pmip_fa_visitors')})`,
                legend: 'visitors at {{foreign_agent}}',
              },
            ],
            min: 0,
            width: 8,
            height: 8,
          }),
        ],
      },
      {
        title: 'Security',
        panels: [
          timeseriesPanel({
            title: 'Security violations by reason',
            description:
              'Security violations per second by the node that detected them and the reason (mipSecViolationReason): a wrong key shows as bad-authenticator at the home agent and at the access point (alert PmipAuthenticationFailures).',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (node_kind, reason) (${rate(c, 'pmip_security_violations_total')})`,
                legend: '{{reason}} at {{node_kind}}',
              },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Malformed datagrams',
            description:
              'Datagrams per second that failed to decode, by receiving node kind, socket and error kind. Counted and dropped, never fatal; a rise means a broken or hostile peer.',
            unit: 'pps',
            queries: [
              {
                expr: `sum by (node_kind, socket, error_kind) (${rate(c, 'pmip_malformed_datagrams_total')})`,
                legend: '{{node_kind}} {{socket}}: {{error_kind}}',
              },
            ],
            width: 12,
            height: 8,
          }),
        ],
      },
      {
        title: 'Subnet map and authoritative access points',
        panels: [
          stateTimelinePanel({
            title: 'AAP reachability',
            description:
              'Whether each authoritative access point (AAP) was reachable, as the access points report it; red is unreachable (alert PmipAapUnreachable).',
            unit: 'bool_yes_no',
            queries: [
              {
                expr: `min by (aap) (${overTime('min_over_time', c, 'pmip_aap_reachable')})`,
                legend: '{{aap}}',
              },
            ],
            states: [
              [1, 'reachable', 'green'],
              [0, 'unreachable', 'red'],
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Subnet map rows',
            description:
              'Rows in the subnet map table, and the table version each AAP last announced. Zero rows for five minutes fires PmipSubnetMapEmpty.',
            unit: 'short',
            queries: [
              { expr: `min(${overTime('min_over_time', c, 'pmip_subnet_map_rows')})`, legend: 'rows' },
              {
                expr: `max by (aap) (${overTime('last_over_time', c, 'pmip_aap_table_version')})`,
                legend: 'version announced by {{aap}}',
              },
            ],
            min: 0,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Subnet map updates and AAP protocol',
            description:
              "Subnet map changes per second by source, and the AAP protocol's events: failovers between AAPs, push retries, access point handovers, reconciliations, refused messages.",
            unit: 'cps',
            queries: [
              {
                expr: `sum by (source) (${rate(c, 'pmip_subnet_map_updates_total')})`,
                legend: 'map update ({{source}})',
              },
              { expr: `sum(${rate(c, 'pmip_aap_failovers_total')})`, legend: 'failovers' },
              { expr: `sum(${rate(c, 'pmip_aap_push_retries_total')})`, legend: 'push retries' },
              { expr: `sum(${rate(c, 'pmip_aap_handovers_total')})`, legend: 'handovers' },
              { expr: `sum(${rate(c, 'pmip_aap_reconciliations_total')})`, legend: 'reconciliations' },
              {
                expr: `sum by (reason) (${rate(c, 'pmip_aap_messages_refused_total')})`,
                legend: 'refused ({{reason}})',
              },
            ],
            width: 8,
            height: 8,
          }),
        ],
      },
      {
        title: 'Home and foreign agents',
        panels: [
          timeseriesPanel({
            title: 'Home agent requests',
            description:
              'Registration requests received per second by each home agent, by kind (haRegRequestsReceived, haDeRegRequestsReceived).',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (home_agent, kind) (${rate(c, 'pmip_ha_registration_requests_received_total')})`,
                legend: '{{home_agent}} {{kind}}',
              },
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Foreign agent relaying',
            description:
              'Requests relayed to home agents and replies dropped per second, per foreign agent (faRegRequestsRelayed, faPoorlyFormedReplies).',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (foreign_agent) (${rate(c, 'pmip_fa_registration_requests_relayed_total')})`,
                legend: '{{foreign_agent}} relayed',
              },
              {
                expr: `sum by (foreign_agent, reason) (${rate(c, 'pmip_fa_replies_dropped_total')})`,
                legend: '{{foreign_agent}} dropped ({{reason}})',
              },
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Home agent reachability probes',
            description:
              'Probes per second from the access points towards each home agent, by outcome; timed-out probes mean the home agent is unreachable (alert PmipRegistrationTimeouts).',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (home_agent, outcome) (${rate(c, 'pmip_ha_probes_total')})`,
                legend: '{{home_agent}} {{outcome}}',
              },
            ],
            width: 8,
            height: 8,
          }),
        ],
      },
      {
        title: 'Exporter',
        panels: [
          stateTimelinePanel({
            title: 'Scrape health',
            description:
              'Whether Prometheus could scrape each exporter instance (`up`); red is down (alert PmipExporterDown).',
            unit: 'bool_yes_no',
            queries: [
              {
                expr: `min by (instance) (min_over_time(${selector(c, 'up')}[${RATE_INTERVAL}]))`,
                legend: '{{instance}}',
              },
            ],
            states: [
              [1, 'up', 'green'],
              [0, 'down', 'red'],
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Metrics render time',
            description:
              'Time the previous /metrics render took. Rendering blocks the event loop that also runs PMIP signalling (alert PmipMetricsRenderSlow at the red line).',
            unit: 's',
            queries: [
              {
                expr: `max by (instance) (${overTime('max_over_time', c, 'pmip_exporter_render_duration_seconds')})`,
                legend: '{{instance}}',
              },
            ],
            min: 0,
            thresholds: c.thresholds.renderSeconds,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Events',
            description:
              'Engine events per second the collector counted, could not use (dropped), or counted under the label value "other" (from unconfigured nodes).',
            unit: 'cps',
            queries: [
              { expr: `sum(${rate(c, 'pmip_exporter_events_ingested_total')})`, legend: 'ingested' },
              { expr: `sum(${rate(c, 'pmip_exporter_events_dropped_total')})`, legend: 'dropped' },
              { expr: `sum(${rate(c, 'pmip_exporter_events_folded_total')})`, legend: 'folded into "other"' },
            ],
            width: 8,
            height: 8,
          }),
        ],
      },
    ],
  );
}
