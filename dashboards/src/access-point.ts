/**
 * PMIP access point: one access point, chosen with the `ap` variable. What its clients see:
 * registrations and their outcome, moves, discovery, time resyncs. The per-code reasons are
 * site-wide (docs/metrics.md: per-code breakdowns are not multiplied by access point), so the
 * overview answers "why" once this dashboard has answered "where".
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { defaultConfig, type DashboardsConfig } from './config.ts';
import { DATASOURCE, buildDashboard, overTime, rate, statPanel, timeseriesPanel } from './panels.ts';

/** The access point variable: one access point at a time (the label value of `access_point`). */
function accessPointVariable(config: DashboardsConfig): dashboard.VariableModel {
  const query = `label_values(pmip_mn_mobile_clients{${config.selectors.join(',')}}, access_point)`;
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
  const accepted = `sum(${r('pmip_mn_registrations_accepted_total')})`;
  const replies = `sum(${r('pmip_mn_registration_replies_received_total')})`;
  const sent = `sum(${r('pmip_mn_registration_requests_sent_total')})`;
  const denied = `sum(${r('pmip_mn_registrations_denied_total')})`;

  return buildDashboard(
    c,
    {
      uid: 'access-point',
      title: 'PMIP access point',
      description:
        'One proxy Mobile IP access point from pmip-exporter, chosen with the Access point variable: registrations, outcomes, moves, discovery and time resyncs.',
      extraVariables: [accessPointVariable(c)],
    },
    [
      {
        title: 'Access point $ap',
        panels: [
          statPanel({
            title: 'Clients',
            description: 'Client rows tracked at this access point (mnState rows).',
            unit: 'short',
            queries: [
              {
                expr: `sum(${overTime('max_over_time', c, 'pmip_mn_mobile_clients', ap)})`,
                legend: 'clients',
              },
            ],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Registration requests',
            description:
              'Registration requests this access point sends per second, retransmissions included.',
            unit: 'reqps',
            queries: [{ expr: sent, legend: 'sent' }],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Acceptance ratio',
            description: 'Accepted replies (codes 0 and 1) over all replies this access point received.',
            unit: 'percentunit',
            queries: [{ expr: `${accepted} / ${replies}`, legend: 'accepted' }],
            thresholds: acceptance,
            lowerIsWorse: true,
            decimals: 1,
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Denial ratio',
            description:
              'Denied replies over requests sent by this access point (alert PmipRegistrationDenialRatioHigh at the red level).',
            unit: 'percentunit',
            queries: [{ expr: `${denied} / ${sent}`, legend: 'denied' }],
            thresholds: denial,
            decimals: 1,
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Timeouts',
            description: 'Registrations per second abandoned after the last retransmission went unanswered.',
            unit: 'reqps',
            queries: [{ expr: `sum(${r('pmip_mn_registration_timeouts_total')})`, legend: 'timed out' }],
            width: 4,
            height: 4,
          }),
          statPanel({
            title: 'Time resyncs',
            description: 'Identification resynchronisations per second after a 133 from a home agent.',
            unit: 'cps',
            queries: [{ expr: `sum(${r('pmip_mn_time_syncs_total')})`, legend: 'resyncs' }],
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
              'Registration requests sent per second by kind (initial, renewal, deregistration), the retransmissions among them, and those sent to a directed broadcast.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (kind) (${r('pmip_mn_registration_requests_sent_total')})`,
                legend: '{{kind}}',
              },
              {
                expr: `sum(${r('pmip_mn_registration_retransmissions_total')})`,
                legend: 'retransmissions (included above)',
              },
              {
                expr: `sum(${r('pmip_mn_registration_requests_broadcast_total')})`,
                legend: 'to a directed broadcast',
              },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Outcomes',
            description:
              'Per second: accepted, denied by the issuer of the reply, timed out, and replies discarded unread.',
            unit: 'reqps',
            queries: [
              { expr: accepted, legend: 'accepted' },
              {
                expr: `sum by (issuer) (${r('pmip_mn_registrations_denied_total')})`,
                legend: 'denied by {{issuer}}',
              },
              { expr: `sum(${r('pmip_mn_registration_timeouts_total')})`, legend: 'timed out' },
              { expr: `sum(${r('pmip_mn_replies_discarded_total')})`, legend: 'reply discarded' },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Acceptance and denial ratio',
            description:
              'Accepted over replies received, and denied over requests sent, at this access point. Dashed lines: the denial ratio levels.',
            unit: 'percentunit',
            queries: [
              { expr: `${accepted} / ${replies}`, legend: 'accepted / replies' },
              { expr: `${denied} / ${sent}`, legend: 'denied / sent' },
            ],
            min: 0,
            max: 1,
            thresholds: denial,
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Moves',
            description:
              'Client movements per second onto this access point: home to foreign, foreign to foreign, foreign to home.',
            unit: 'cps',
            queries: [{ expr: `sum by (movement) (${r('pmip_mn_moves_total')})`, legend: '{{movement}}' }],
            width: 12,
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
              { expr: `sum(${r('pmip_mn_solicitations_sent_total')})`, legend: 'solicitations sent' },
              {
                expr: `sum(${r('pmip_mn_advertisements_received_total')})`,
                legend: 'advertisements received',
              },
              { expr: `sum(${r('pmip_mn_agent_reboots_detected_total')})`, legend: 'agent reboots detected' },
            ],
            width: 12,
            height: 8,
          }),
          timeseriesPanel({
            title: 'Time resyncs and gratuitous ARPs',
            description:
              'Identification resyncs per second after a 133, and gratuitous ARPs sent for clients returning home (mnGratuitousARPsSend).',
            unit: 'cps',
            queries: [
              { expr: `sum(${r('pmip_mn_time_syncs_total')})`, legend: 'time resyncs' },
              { expr: `sum(${r('pmip_mn_gratuitous_arps_sent_total')})`, legend: 'gratuitous ARPs' },
            ],
            width: 12,
            height: 8,
          }),
        ],
      },
    ],
  );
}
