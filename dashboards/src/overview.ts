/**
 * PMIP overview: the whole site on one page, in the order a NOC reads it. Is registration
 * working (attempts, acceptance, failures and why)? Which home agent or foreign agent is it
 * (from what the access points see, so a site whose agents are third-party routers has data)?
 * Are the clocks in step? Are clients moving? Is anyone failing authentication? Is the subnet map
 * there? Is the exporter healthy? The lab's hosted agents' own counters are in a folded last row.
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
  tablePanel,
  timeseriesPanel,
  type PanelBuilderWithId,
} from './panels.ts';

type Agent = 'home_agent' | 'foreign_agent';

const WORDS: Record<Agent, { one: string; many: string; prefix: string }> = {
  home_agent: { one: 'home agent', many: 'home agents', prefix: 'pmip_home_agent' },
  foreign_agent: { one: 'foreign agent', many: 'foreign agents', prefix: 'pmip_foreign_agent' },
};

/**
 * One row of panels per agent kind, from the access points' side of the conversation
 * (pmip_home_agent_*, pmip_foreign_agent_*): present on a real site, whose agents this process
 * does not host.
 */
function agentPanels(c: DashboardsConfig, agent: Agent): PanelBuilderWithId[] {
  const { one, many, prefix } = WORDS[agent];
  const m = (suffix: string) => `${prefix}_${suffix}`;
  const by = (what: string) => `sum by (site, ${agent}) (${rate(c, m(what))})`;
  const acceptance = {
    warning: 1 - c.thresholds.denialRatio.warning,
    critical: 1 - c.thresholds.denialRatio.critical,
  };
  const denials =
    agent === 'home_agent'
      ? 'Denial codes 128-139 exist from start-up for every configured home agent; a 133 is normal once per access point after a reboot (it resynchronises), 131/132 mean a key or SPI differs.'
      : 'Denial codes 64-82 exist from start-up for every configured foreign agent; one 69 per access point is normal (it lowers the lifetime it asks for), 78-82 mean the foreign agent cannot reach the home agent.';
  return [
    timeseriesPanel({
      title: `Attempts per ${one}`,
      description: `Registration attempts the access points concluded per second, per ${one} they were for (every outcome: accepted, denied, timeout, unauthenticated, discarded).`,
      unit: 'reqps',
      queries: [{ expr: by('registration_attempts_total'), legend: `{{${agent}}}` }],
      min: 0,
      width: 8,
      height: 8,
    }),
    timeseriesPanel({
      title: `Acceptance ratio per ${one}`,
      description: `Accepted attempts over concluded attempts, per ${one}. A timeout or a reply that fails authentication counts against it: a silent ${one} falls to 0. Dashed lines: the denial ratio levels, seen from the other side.`,
      unit: 'percentunit',
      queries: [
        {
          expr: `${by('registrations_accepted_total')} / ${by('registration_attempts_total')}`,
          legend: `{{${agent}}}`,
        },
      ],
      min: 0,
      max: 1,
      thresholds: acceptance,
      lowerIsWorse: true,
      width: 8,
      height: 8,
    }),
    timeseriesPanel({
      title: `Failures per ${one} by outcome`,
      description: `Failed attempts per second, per ${one} and outcome: denied (a verified denial), timeout (no reply at all: ${one} down or unreachable, alert PmipHomeAgentUnreachable), unauthenticated (replies came but failed authentication: a key or SPI, alert PmipAuthenticationFailures), discarded. Only series that moved.`,
      unit: 'reqps',
      queries: [
        {
          expr: `sum by (site, ${agent}, outcome) (${rate(c, m('registration_failures_total'))}) > 0`,
          legend: `{{${agent}}} {{outcome}}`,
        },
      ],
      min: 0,
      width: 8,
      height: 8,
    }),
    timeseriesPanel({
      title: `Round trip per ${one}`,
      description: `Time from a registration request to the ${one}'s reply at the access points, median and 90th percentile per ${one}, estimated from its histogram buckets.`,
      unit: 's',
      queries: [0.5, 0.9].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (site, ${agent}, le) (${rate(c, m('registration_round_trip_seconds_bucket'))}))`,
        legend: `{{${agent}}} p${Math.round(q * 100)}`,
      })),
      min: 0,
      thresholds: c.thresholds.roundTripSeconds,
      width: 8,
      height: 8,
    }),
    timeseriesPanel({
      title: `Denials per ${one} by code`,
      description: `Verified denials per second of attempts to each ${one}, by reply code and reason (whoever issued them). Only codes that moved. ${denials}`,
      unit: 'reqps',
      queries: [
        {
          expr: `sum by (site, ${agent}, code, reason) (${rate(c, m('registration_denials_total'))}) > 0`,
          legend: `{{${agent}}} {{code}} {{reason}}`,
        },
      ],
      min: 0,
      width: 8,
      height: 8,
    }),
    timeseriesPanel({
      title: `Last reply per ${one}`,
      description: `Time since an access point last received a reply from each ${one} (verified or not). It climbs while a ${one} is silent; no line before its first reply.`,
      unit: 's',
      queries: [
        {
          expr: `time() - max by (site, ${agent}) (${overTime('max_over_time', c, m('last_reply_timestamp_seconds'))})`,
          legend: `{{${agent}}}`,
        },
      ],
      min: 0,
      width: 8,
      height: 8,
    }),
    timeseriesPanel({
      title: `Requests and replies per ${one}`,
      description: `Registration requests the access points sent towards each ${one} per second (every transmission, retransmissions included) and the replies they received from it. Requests with no replies: the ${one} is silent.`,
      unit: 'pps',
      queries: [
        { expr: by('registration_requests_sent_total'), legend: `{{${agent}}} requests` },
        { expr: by('registration_replies_received_total'), legend: `{{${agent}}} replies` },
      ],
      min: 0,
      width: 8,
      height: 8,
    }),
    timeseriesPanel({
      title: `Advertisements and restarts per ${one} on the link`,
      description: `Observed sites (pmip-exporter observe): agent advertisements each ${one} sent to the link (broadcast or multicast) per second, and its restarts, seen where an advertisement's sequence number started again below 256 (RFC 5944 section 2.1.1): a ${one} that restarted has lost its ${agent === 'home_agent' ? 'bindings' : 'visitor list'}, so its clients must register again. No series on a proxied site (its access points count what they receive on the access point dashboard).`,
      unit: 'short',
      queries: [
        { expr: by('link_advertisements_total'), legend: `{{${agent}}} advertisements/s` },
        {
          expr: `sum by (site, ${agent}) (increase(${selector(c, m('link_reboots_detected_total'))}[${RATE_INTERVAL}]))`,
          legend: `{{${agent}}} restarts`,
        },
      ],
      min: 0,
      width: 8,
      height: 8,
    }),
    tablePanel({
      title: `${many[0]!.toUpperCase()}${many.slice(1)}`,
      description: `The address of every ${one} label value (the configured name, else the address itself).`,
      unit: 'none',
      queries: [
        {
          expr: `max by (site, ${agent}, address) (${overTime('last_over_time', c, m('info'))})`,
          legend: '',
        },
      ],
      columns: [
        [agent, `${one[0]!.toUpperCase()}${one.slice(1)}`],
        ['address', 'Address'],
      ],
      width: 8,
      height: 8,
    }),
  ];
}

export function pmipOverview(config: DashboardsConfig = defaultConfig): dashboard.DashboardBuilder {
  const c = config;
  const denial = c.thresholds.denialRatio;
  const acceptance = { warning: 1 - denial.warning, critical: 1 - denial.critical };
  const accepted = `sum by (site) (${rate(c, 'pmip_mn_registrations_accepted_total')})`;
  const attempts = `sum by (site) (${rate(c, 'pmip_mn_registration_attempts_total')})`;
  const last = (metric: string, ...extra: string[]) => overTime('last_over_time', c, metric, ...extra);

  return buildDashboard(
    c,
    {
      uid: 'overview',
      title: 'PMIP overview',
      description:
        'Proxy Mobile IP site overview from pmip-exporter: registration attempts and outcomes, home agents and foreign agents as the access points see them, time sync, mobility, security, subnet map and exporter health.',
    },
    [
      {
        title: 'Summary',
        panels: [
          statPanel({
            title: 'Acceptance ratio',
            description:
              'Accepted attempts over concluded attempts (accepted, denied, timed out, unauthenticated, discarded) in the last 2 minutes, so a one-minute outage shows. From the recording rules instance:pmip_registrations_accepted:rate2m and instance:pmip_registration_attempts:rate2m (load alerts/pmip.rules.yml).',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (site) (${last('instance:pmip_registrations_accepted:rate2m')}) / sum by (site) (${last('instance:pmip_registration_attempts:rate2m')})`,
                legend: 'accepted',
              },
            ],
            thresholds: acceptance,
            lowerIsWorse: true,
            decimals: 1,
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Registration attempts',
            description:
              'Registration attempts the access points concluded per second, every outcome (an attempt is a request and its retransmissions).',
            unit: 'reqps',
            queries: [{ expr: attempts, legend: 'attempts' }],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Failed attempts',
            description:
              'Attempts per second that did not end accepted: denied, timed out, unauthenticated or discarded (Registrations: Attempts by outcome says which).',
            unit: 'reqps',
            queries: [
              { expr: `sum by (site) (${rate(c, 'pmip_mn_registration_failures_total')})`, legend: 'failed' },
            ],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Mobile clients',
            description:
              'Client rows tracked at the access points, every state (mnState rows), each counted once.',
            unit: 'short',
            queries: [{ expr: `sum by (site) (${last('pmip_mobile_clients')})`, legend: 'clients' }],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Isolated clients',
            description:
              'Clients whose last registration failed and that are not bound: no connectivity away from home until a retry succeeds.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (site) (${last('pmip_mobile_clients', 'state="isolated"')})`,
                legend: 'isolated',
              },
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
              {
                expr: `min by (site) (${overTime('min_over_time', c, 'pmip_subnet_map_rows')})`,
                legend: 'rows',
              },
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
            title: 'Attempts by outcome',
            description:
              'Concluded registration attempts per second by outcome: accepted; denied (a verified denial); timeout (no reply at all); unauthenticated (replies came but failed authentication); discarded (replies dropped unread, or nothing could be sent).',
            unit: 'reqps',
            queries: [
              { expr: accepted, legend: 'accepted' },
              {
                expr: `sum by (site, outcome) (${rate(c, 'pmip_mn_registration_failures_total')})`,
                legend: '{{outcome}}',
              },
            ],
            stack: true,
            min: 0,
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Registration requests by kind',
            description:
              'Registration requests sent by the access points per second, every transmission, by kind (initial, renewal, deregistration; mnRegRequestsSent, mnDeRegRequestsSent), and the retransmissions among them.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (site, kind) (${rate(c, 'pmip_mn_registration_requests_sent_total')})`,
                legend: '{{kind}}',
              },
              {
                expr: `sum by (site) (${rate(c, 'pmip_mn_registration_retransmissions_total')})`,
                legend: 'retransmissions (included above)',
              },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Acceptance ratio',
            description:
              'Accepted attempts over concluded attempts, site-wide and per access point. Timeouts and replies that fail authentication count against it. Dashed lines: the denial ratio levels, seen from the other side.',
            unit: 'percentunit',
            queries: [
              { expr: `${accepted} / ${attempts}`, legend: 'site {{site}}' },
              {
                expr: `sum by (site, access_point) (${rate(c, 'pmip_mn_registrations_accepted_total')}) / sum by (site, access_point) (${rate(c, 'pmip_mn_registration_attempts_total')})`,
                legend: '{{access_point}}',
              },
            ],
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
              'Verified denials over concluded attempts, per access point and per home agent (the two sides of alert PmipRegistrationDenialRatioHigh, which names the code at the home agent; it fires at the red line).',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (site, access_point) (${rate(c, 'pmip_mn_registration_failures_total', 'outcome="denied"')}) / sum by (site, access_point) (${rate(c, 'pmip_mn_registration_attempts_total')})`,
                legend: '{{access_point}}',
              },
              {
                expr: `sum by (site, home_agent) (${rate(c, 'pmip_home_agent_registration_failures_total', 'outcome="denied"')}) / sum by (site, home_agent) (${rate(c, 'pmip_home_agent_registration_attempts_total')})`,
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
              expr: `histogram_quantile(${q}, sum by (site, le) (${rate(c, 'pmip_registration_round_trip_seconds_bucket')}))`,
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
              'Verified denials per second in the replies the access points received, by reply code, reason and issuer. Only codes that moved. Replies that fail authentication are not here (they are unauthenticated attempts and security violations).',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (site, code, reason, issuer) (${rate(c, 'pmip_registration_denials_total')}) > 0`,
                legend: '{{code}} {{reason}} ({{issuer}})',
              },
            ],
            min: 0,
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Discarded attempts and replies',
            description:
              'Attempts per second that ended discarded, by reason (replies dropped unread, no security association, no home agent known, internal error), and the replies the access points dropped without acting on them (mnRepliesInvalidHomeAddress, mnRepliesUnknownHA, mnRepliesInvalidID, mnRepliesDroppedInvalidExtension, no pending request).',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (site, reason) (${rate(c, 'pmip_registration_discarded_attempts_total')})`,
                legend: 'attempt: {{reason}}',
              },
              {
                expr: `sum by (site, reason) (${rate(c, 'pmip_mn_replies_discarded_total')})`,
                legend: 'reply: {{reason}}',
              },
            ],
            min: 0,
            width: 12,
            height: 8,
          }),
        ],
      },
      {
        title: 'Home agents, as the access points see them',
        panels: [
          ...agentPanels(c, 'home_agent'),
          timeseriesPanel({
            title: 'Home agent reachability probes',
            description:
              'Subnet map reachability probes per second towards each home agent, by outcome; timed-out probes mean the home agent is unreachable (alert PmipRegistrationTimeouts); what the access points see, so a site whose home agents are routers has it.',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (site, home_agent, outcome) (${rate(c, 'pmip_home_agent_probes_total')})`,
                legend: '{{home_agent}} {{outcome}}',
              },
            ],
            width: 8,
            height: 8,
          }),
        ],
      },
      { title: 'Foreign agents, as the access points see them', panels: agentPanels(c, 'foreign_agent') },
      {
        title: 'Time synchronisation',
        panels: [
          timeseriesPanel({
            title: 'Time resyncs',
            description:
              'Identification resynchronisations per second after a 133 (identification mismatch), per access point, and the 133 denials per home agent. A steady rate means a clock keeps drifting (alert PmipIdentificationMismatchBurst).',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (site, access_point) (${rate(c, 'pmip_mn_time_syncs_total')})`,
                legend: 'resyncs at {{access_point}}',
              },
              {
                expr: `sum by (site, home_agent) (${rate(c, 'pmip_home_agent_registration_denials_total', 'code="133"')})`,
                legend: '133 from {{home_agent}}',
              },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Time-sync offset per access point and home agent',
            description:
              "Last offset each access point learnt for each home agent at a resync: the home agent's clock minus the access point's, in seconds (positive: the home agent is ahead; 0 in nonce mode). No line before the first resync.",
            unit: 's',
            queries: [
              {
                expr: `max by (site, access_point, home_agent) (${last('pmip_time_sync_offset_seconds')})`,
                legend: '{{home_agent}} at {{access_point}}',
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
              { expr: `sum by (site, movement) (${rate(c, 'pmip_mn_moves_total')})`, legend: '{{movement}}' },
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Clients by state',
            description:
              'Tracked clients by state: home, registered (bound away from home), pending (registering), isolated (registration failed), unknown. Each client counts once, in its state at the end of each step.',
            unit: 'short',
            queries: [{ expr: `sum by (site, state) (${last('pmip_mobile_clients')})`, legend: '{{state}}' }],
            stack: true,
            min: 0,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Clients per access point',
            description: 'Tracked clients per access point, every state.',
            unit: 'short',
            queries: [
              {
                expr: `sum by (site, access_point) (${last('pmip_mobile_clients')})`,
                legend: '{{access_point}}',
              },
            ],
            stack: true,
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
              'Security violations per second by the kind of node that detected them and the reason (mipSecViolationReason). A wrong key shows as bad_authenticator at the access points (and at a hosted home agent). Only series that moved (alert PmipAuthenticationFailures).',
            unit: 'cps',
            queries: [
              {
                expr: `sum by (site, node_kind, reason) (${rate(c, 'pmip_security_violations_total')}) > 0`,
                legend: '{{reason}} at {{node_kind}}',
              },
            ],
            min: 0,
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
                expr: `sum by (site, node_kind, socket, error_kind) (${rate(c, 'pmip_malformed_datagrams_total')})`,
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
              'Whether each authoritative access point (AAP) was reachable, as the access points report it; red is unreachable, including an AAP that never answered (alert PmipAapUnreachable).',
            unit: 'bool_yes_no',
            queries: [
              {
                expr: `min by (site, aap) (${overTime('min_over_time', c, 'pmip_aap_reachable')})`,
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
              {
                expr: `min by (site) (${overTime('min_over_time', c, 'pmip_subnet_map_rows')})`,
                legend: 'rows',
              },
              {
                expr: `max by (site, aap) (${last('pmip_aap_table_version')})`,
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
                expr: `sum by (site, source) (${rate(c, 'pmip_subnet_map_updates_total')})`,
                legend: 'map update ({{source}})',
              },
              { expr: `sum by (site) (${rate(c, 'pmip_aap_failovers_total')})`, legend: 'failovers' },
              { expr: `sum by (site) (${rate(c, 'pmip_aap_push_retries_total')})`, legend: 'push retries' },
              { expr: `sum by (site) (${rate(c, 'pmip_aap_handovers_total')})`, legend: 'handovers' },
              {
                expr: `sum by (site) (${rate(c, 'pmip_aap_reconciliations_total')})`,
                legend: 'reconciliations',
              },
              {
                expr: `sum by (site, reason) (${rate(c, 'pmip_aap_messages_refused_total')})`,
                legend: 'refused ({{reason}})',
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
                expr: `min by (site, instance) (min_over_time(${selector(c, 'up')}[${RATE_INTERVAL}]))`,
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
                expr: `max by (site, instance) (${overTime('max_over_time', c, 'pmip_exporter_render_duration_seconds')})`,
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
              {
                expr: `sum by (site) (${rate(c, 'pmip_exporter_events_ingested_total')})`,
                legend: 'ingested',
              },
              { expr: `sum by (site) (${rate(c, 'pmip_exporter_events_dropped_total')})`, legend: 'dropped' },
              {
                expr: `sum by (site) (${rate(c, 'pmip_exporter_events_folded_total')})`,
                legend: 'folded into "other"',
              },
            ],
            width: 8,
            height: 8,
          }),
        ],
      },
      {
        title: 'Hosted lab agents',
        collapsed: true,
        panels: [
          timeseriesPanel({
            title: 'Hosted home agent requests',
            description:
              'Registration requests received per second by each home agent this process hosts (lab and demo only; empty on a site whose home agents are routers), by kind (haRegRequestsReceived, haDeRegRequestsReceived).',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (site, home_agent, kind) (${rate(c, 'pmip_ha_registration_requests_received_total')})`,
                legend: '{{home_agent}} {{kind}}',
              },
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Hosted home agent denials by code',
            description:
              'Denials per second sent by each hosted home agent, by code: includes the 131s whose replies the access points cannot authenticate (they hold another key). Only codes that moved.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (site, home_agent, code, reason) (${rate(c, 'pmip_ha_registration_denials_total')}) > 0`,
                legend: '{{home_agent}} {{code}} {{reason}}',
              },
            ],
            min: 0,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Hosted bindings and visitors',
            description:
              'Mobility bindings per hosted home agent (haMobilityBindingTable) and visitors per hosted foreign agent (faVisitorTable).',
            unit: 'short',
            queries: [
              {
                expr: `sum by (site, home_agent) (${last('pmip_ha_bindings')})`,
                legend: 'bindings at {{home_agent}}',
              },
              {
                expr: `sum by (site, foreign_agent) (${last('pmip_fa_visitors')})`,
                legend: 'visitors at {{foreign_agent}}',
              },
            ],
            min: 0,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Hosted foreign agent relaying',
            description:
              'Requests relayed to home agents and replies dropped per second, per hosted foreign agent (faRegRequestsRelayed, faPoorlyFormedReplies).',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (site, foreign_agent) (${rate(c, 'pmip_fa_registration_requests_relayed_total')})`,
                legend: '{{foreign_agent}} relayed',
              },
              {
                expr: `sum by (site, foreign_agent, reason) (${rate(c, 'pmip_fa_replies_dropped_total')})`,
                legend: '{{foreign_agent}} dropped ({{reason}})',
              },
            ],
            width: 8,
            height: 8,
          }),
        ],
      },
    ],
  );
}
