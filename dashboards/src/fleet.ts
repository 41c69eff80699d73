/**
 * PMIP fleet: every site on one page, read from the central store that the sites' Prometheus
 * servers (agent mode) remote-write to (docs/fleet.md). One line per site: is registration
 * working (acceptance ratio, attempts per second), is a home agent down, which denial codes lead,
 * can the site be scraped at all. A table of the sites drills down into the per-site dashboards
 * with `var-site` set.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { defaultConfig, type DashboardsConfig } from './config.ts';
import {
  RATE_INTERVAL,
  buildDashboard,
  overTime,
  rate,
  selector,
  tablePanel,
  timeseriesPanel,
} from './panels.ts';

/** The per-site dashboards the fleet drills down into: uid suffix and title. */
const PER_SITE = [
  ['overview', 'PMIP overview'],
  ['access-point', 'PMIP access point'],
] as const;

/** Home agents down, per site: attempts towards it timed out and no reply of any kind came back (PmipHomeAgentUnreachable's test, over the rate interval). */
export function homeAgentsDown(c: DashboardsConfig): string {
  const byAgent = 'sum by (site, job, instance, home_agent)';
  const timedOut = `${byAgent} (${rate(c, 'pmip_home_agent_registration_failures_total', 'outcome="timeout"')}) > 0`;
  const silent = `${byAgent} (${rate(c, 'pmip_home_agent_registration_replies_received_total')}) == 0`;
  // 0 for a site with none down, so every site has its line.
  const sites = `0 * count by (site) (${overTime('last_over_time', c, c.infoMetric)})`;
  return `count by (site) ((${timedOut}) and (${silent})) or ${sites}`;
}

export function pmipFleet(config: DashboardsConfig = defaultConfig): dashboard.DashboardBuilder {
  const c = config;
  const denial = c.thresholds.denialRatio;
  const acceptance = { warning: 1 - denial.warning, critical: 1 - denial.critical };
  const last = (metric: string, ...extra: string[]) => overTime('last_over_time', c, metric, ...extra);
  const drillDown = PER_SITE.map(([uid, title]) =>
    new dashboard.DashboardLinkBuilder(`${title} of this site`)
      .type(dashboard.DashboardLinkType.Link)
      .url(`/d/${c.uidPrefix}-${uid}?var-site=\${__data.fields.site}&\${__url_time_range}`)
      .targetBlank(false),
  );

  const builder = buildDashboard(
    c,
    {
      uid: 'fleet',
      title: 'PMIP fleet',
      description:
        'Every site of a pmip-exporter fleet, from the central store the sites remote-write to: acceptance ratio, registration attempts, home agents down, top denial codes, scrape health; drill down into the per-site dashboards.',
    },
    [
      {
        title: 'Sites',
        panels: [
          tablePanel({
            title: 'Sites',
            description:
              'One row per site (the site label its Prometheus adds) with its registration attempts per second. Click a site for its PMIP overview or PMIP access point dashboard.',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (site) (${rate(c, 'pmip_mn_registration_attempts_total')})`,
                legend: '{{site}}',
              },
            ],
            columns: [['site', 'Site']],
            value: 'Attempts/s',
            width: 8,
            height: 10,
          }).dataLinks(drillDown),
          timeseriesPanel({
            title: 'Acceptance ratio by site',
            description:
              'Accepted attempts over concluded attempts in the last 2 minutes, per site (recording rules instance:pmip_registrations_accepted:rate2m and instance:pmip_registration_attempts:rate2m, evaluated where the alerts run). Dashed lines: the denial ratio levels, seen from the other side.',
            unit: 'percentunit',
            queries: [
              {
                expr: `sum by (site) (${last('instance:pmip_registrations_accepted:rate2m')}) / sum by (site) (${last('instance:pmip_registration_attempts:rate2m')})`,
                legend: '{{site}}',
              },
            ],
            thresholds: acceptance,
            lowerIsWorse: true,
            min: 0,
            max: 1,
            width: 16,
            height: 10,
          }),
        ],
      },
      {
        title: 'Registrations and home agents',
        panels: [
          timeseriesPanel({
            title: 'Registration attempts by site',
            description:
              'Registration attempts per second (first transmission to one outcome), per site, with the failed ones (denied, timeout, unauthenticated, discarded).',
            unit: 'reqps',
            queries: [
              {
                expr: `sum by (site) (${rate(c, 'pmip_mn_registration_attempts_total')})`,
                legend: '{{site}} attempts',
              },
              {
                expr: `sum by (site) (${rate(c, 'pmip_mn_registration_failures_total')})`,
                legend: '{{site}} failed',
              },
            ],
            width: 12,
            height: 9,
          }),
          timeseriesPanel({
            title: 'Home agents down by site',
            description:
              'Home agents whose registration attempts timed out while no reply of any kind reached the access points, per site (the test of alert PmipHomeAgentUnreachable, over the rate interval). 0: none.',
            unit: 'short',
            queries: [{ expr: homeAgentsDown(c), legend: '{{site}}' }],
            thresholds: { warning: 1, critical: 1 },
            min: 0,
            width: 12,
            height: 9,
          }),
          timeseriesPanel({
            title: 'Top denial codes',
            description:
              'The ten site, code and reason combinations with the most verified denials per second (by home agents and foreign agents); only codes that moved. The PMIP overview of a site names the agent.',
            unit: 'reqps',
            queries: [
              {
                expr: `topk(10, sum by (site, code, reason) (${rate(c, 'pmip_registration_denials_total')}) > 0)`,
                legend: '{{site}} {{code}} {{reason}}',
              },
            ],
            width: 12,
            height: 9,
          }),
          timeseriesPanel({
            title: 'Scrape health by site',
            description:
              'Worst scrape result of each site in each step (`up`, by the site Prometheus): 1 every exporter answered, 0 one did not (alert PmipExporterDown). A site whose line stops has stopped sending to the central store.',
            unit: 'short',
            queries: [
              {
                expr: `min by (site) (min_over_time(${selector(c, 'up')}[${RATE_INTERVAL}]))`,
                legend: '{{site}}',
              },
            ],
            min: 0,
            max: 1,
            width: 12,
            height: 9,
          }),
        ],
      },
    ],
  );
  // The per-site dashboards, with the chosen sites (and time range) carried over.
  for (const [uid, title] of PER_SITE)
    builder.link(
      new dashboard.DashboardLinkBuilder(title)
        .type(dashboard.DashboardLinkType.Link)
        .url(`/d/${c.uidPrefix}-${uid}`)
        .includeVars(true)
        .keepTime(true)
        .icon('dashboard'),
    );
  return builder;
}
