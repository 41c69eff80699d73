/**
 * PMIP access point: one access point, chosen with the `ap` variable. What its clients see:
 * registration attempts and their outcome, clients by state, moves, discovery, time resyncs and
 * the offset it learnt per home agent. The per-code reasons are per home agent and site-wide
 * (docs/metrics.md: per-code breakdowns are not multiplied by access point), so the overview
 * answers "who" and "why" once this dashboard has answered "where".
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { defaultConfig, type DashboardsConfig } from './config.ts';
import { DATASOURCE, buildDashboard, overTime, rate, statPanel, timeseriesPanel } from './panels.ts';

/** The access point variable: one access point at a time (the label value of `access_point`). */
function accessPointVariable(config: DashboardsConfig): dashboard.VariableModel {
  const query = `label_values(pmip_mobile_clients{${config.selectors.join(',')}}, access_point)`;
  return new dashboard.QueryVariableBuilder('ap')
    .label('Access point')
    .description('The access point to show (its id in the exporter configuration).')
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .multi(false)
    .includeAll(false)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .build();
}

export function pmipAccessPoint(config: DashboardsConfig = defaultConfig): dashboard.DashboardBuilder {
  const c = config;
  const ap = 'access_point="$ap"';
  const denial = c.thresholds.denialRatio;
  const acceptance = { warning: 1 - denial.warning, critical: 1 - denial.critical };
  const r = (metric: string, ...extra: string[]) => rate(c, metric, ap, ...extra);
  const last = (metric: string, ...extra: string[]) => overTime('last_over_time', c, metric, ap, ...extra);
  const accepted = `sum by (site) (${r('pmip_mn_registrations_accepted_total')})`;
  const attempts = `sum by (site) (${r('pmip_mn_registration_attempts_total')})`;
  const failed = (outcome: string) =>
    `sum by (site) (${r('pmip_mn_registration_failures_total', `outcome="${outcome}"`)})`;

  return buildDashboard(
    c,
    {
      uid: 'access-point',
      title: 'PMIP access point',
      description:
        'One proxy Mobile IP access point from pmip-exporter, chosen with the Access point variable: registration attempts and their outcomes, clients, moves, discovery and time resyncs.',
      extraVariables: [accessPointVariable(c)],
    },
    [
      {
        title: 'Access point $ap',
        panels: [
          statPanel({
            title: 'Clients',
            description: 'Client rows tracked at this access point, every state (mnState rows).',
            unit: 'short',
            queries: [{ expr: `sum by (site) (${last('pmip_mobile_clients')})`, legend: 'clients' }],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Registration attempts',
            description:
              'Registration attempts this access point concluded per second, every outcome (a request and its retransmissions are one attempt).',
            unit: 'reqps',
            queries: [{ expr: attempts, legend: 'attempts' }],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Acceptance ratio',
            description:
              'Accepted attempts over concluded attempts at this access point; timeouts and replies that fail authentication count against it.',
            unit: 'percentunit',
            queries: [{ expr: `${accepted} / ${attempts}`, legend: 'accepted' }],
            thresholds: acceptance,
            lowerIsWorse: true,
            decimals: 1,
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Denial ratio',
            description:
              'Verified denials over concluded attempts at this access point (alert PmipRegistrationDenialRatioHigh at the red level).',
            unit: 'percentunit',
            queries: [{ expr: `${failed('denied')} / ${attempts}`, legend: 'denied' }],
            thresholds: denial,
            decimals: 1,
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Timeouts',
            description:
              'Attempts per second that got no reply at all after the last retransmission (alerts PmipRegistrationTimeouts, PmipHomeAgentUnreachable).',
            unit: 'reqps',
            queries: [{ expr: failed('timeout'), legend: 'timed out' }],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Unauthenticated',
            description:
              'Attempts per second whose replies all failed authentication at this access point: a key or SPI that differs from the home agent (alert PmipAuthenticationFailures).',
            unit: 'reqps',
            queries: [{ expr: failed('unauthenticated'), legend: 'unauthenticated' }],
            width: 4,
            height: 4,
          }),
        ],
      },
      {
        title: 'Registrations',
        panels: [
          timeseriesPanel({
            title: 'Requests by kind',
            description:
              'Registration requests sent per second, every transmission, by kind (initial, renewal, deregistration), the retransmissions among them, and those sent to a directed broadcast.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (site, kind) (${r('pmip_mn_registration_requests_sent_total')})`,
                legend: '{{kind}}',
              },
              {
                expr: `sum by (site) (${r('pmip_mn_registration_retransmissions_total')})`,
                legend: 'retransmissions (included above)',
              },
              {
                // The series exists once the access point sent one: 0 until then (per site, from
                // the requests it sent, so every site keeps its own line).
                expr: `sum by (site) (${r('pmip_mn_registration_requests_broadcast_total')}) or 0 * sum by (site) (${r('pmip_mn_registration_requests_sent_total')})`,
                legend: 'to a directed broadcast',
              },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Attempts by outcome',
            description:
              'Concluded attempts per second: accepted, denied (verified), timeout (no reply at all), unauthenticated (replies failed authentication), discarded.',
            unit: 'reqps',
            queries: [
              { expr: accepted, legend: 'accepted' },
              {
                expr: `sum by (site, outcome) (${r('pmip_mn_registration_failures_total')})`,
                legend: '{{outcome}}',
              },
            ],
            stack: true,
            min: 0,
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Acceptance and denial ratio',
            description:
              'Accepted over concluded attempts, and verified denials over concluded attempts, at this access point. Dashed lines: the denial ratio levels.',
            unit: 'percentunit',
            queries: [
              { expr: `${accepted} / ${attempts}`, legend: 'accepted / attempts' },
              { expr: `${failed('denied')} / ${attempts}`, legend: 'denied / attempts' },
            ],
            min: 0,
            max: 1,
            thresholds: denial,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Clients by state',
            description:
              'Clients tracked at this access point by state: home, registered, pending, isolated, unknown. Each client counts once.',
            unit: 'short',
            queries: [{ expr: `sum by (site, state) (${last('pmip_mobile_clients')})`, legend: '{{state}}' }],
            stack: true,
            min: 0,
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Moves',
            description:
              'Client movements per second onto this access point: home to foreign, foreign to foreign, foreign to home.',
            unit: 'cps',
            queries: [
              { expr: `sum by (site, movement) (${r('pmip_mn_moves_total')})`, legend: '{{movement}}' },
            ],
            width: 8,
            height: 8,
          }),
        ],
      },
      {
        title: 'Discovery and time',
        panels: [
          timeseriesPanel({
            title: 'Agent discovery',
            description:
              'Agent solicitations sent, agent advertisements received and agent reboots detected per second (mnSolicitationsSent, mnAdvertisementsReceived, mnAgentRebootsDectected).',
            unit: 'pps',
            queries: [
              {
                expr: `sum by (site) (${r('pmip_mn_solicitations_sent_total')})`,
                legend: 'solicitations sent',
              },
              {
                expr: `sum by (site) (${r('pmip_mn_advertisements_received_total')})`,
                legend: 'advertisements received',
              },
              {
                expr: `sum by (site) (${r('pmip_mn_agent_reboots_detected_total')})`,
                legend: 'agent reboots detected',
              },
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Time resyncs and gratuitous ARPs',
            description:
              'Identification resyncs per second after a 133, and gratuitous ARPs sent for clients returning home (mnGratuitousARPsSend).',
            unit: 'cps',
            queries: [
              { expr: `sum by (site) (${r('pmip_mn_time_syncs_total')})`, legend: 'time resyncs' },
              {
                expr: `sum by (site) (${r('pmip_mn_gratuitous_arps_sent_total')})`,
                legend: 'gratuitous ARPs',
              },
            ],
            width: 8,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Time-sync offset per home agent',
            description:
              "Last offset this access point learnt for each home agent at a resync: the home agent's clock minus this access point's, seconds (0 in nonce mode). No line before the first resync.",
            unit: 's',
            queries: [
              {
                expr: `max by (site, home_agent) (${last('pmip_time_sync_offset_seconds')})`,
                legend: '{{home_agent}}',
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
