/**
 * The one configuration the dashboards are a function of: where the data comes from, the label
 * selectors every query carries, and the thresholds the panels colour by (the same numbers as the
 * alert rules in alerts/pmip.rules.yml, so a red panel and a firing alert agree).
 */

export interface Thresholds {
  /** Amber from here. */
  warning: number;
  /** Red from here. */
  critical: number;
}

export interface DashboardsConfig {
  /** Data source plugin the `datasource` variable offers. */
  datasourceType: 'prometheus';
  /** Metric whose `job` and `instance` labels fill those variables (always present, one series per exporter). */
  infoMetric: string;
  /**
   * The label that names a site in a fleet (added by each site's Prometheus, never by the
   * exporter); every query carries `<siteLabel>=~"$site"` and every aggregation keeps it.
   */
  siteLabel: string;
  /** Label matchers every query carries, in order; Grafana variables are written as `$name`. */
  selectors: readonly string[];
  uidPrefix: string;
  tags: readonly string[];
  refresh: string;
  timeFrom: string;
  thresholds: {
    /** Denied / sent registration requests (alert PmipRegistrationDenialRatioHigh at `critical`). */
    denialRatio: Thresholds;
    /** Request-to-reply time, seconds (99th percentile panel). */
    roundTripSeconds: Thresholds;
    /** Time one /metrics render took (alert PmipMetricsRenderSlow at `critical`). */
    renderSeconds: Thresholds;
  };
}

export const defaultConfig: DashboardsConfig = {
  datasourceType: 'prometheus',
  infoMetric: 'pmip_build_info',
  siteLabel: 'site',
  selectors: ['site=~"$site"', 'job=~"$job"', 'instance=~"$instance"'],
  uidPrefix: 'pmip',
  tags: ['pmip', 'mobile-ip'],
  refresh: '30s',
  timeFrom: 'now-3h',
  thresholds: {
    denialRatio: { warning: 0.05, critical: 0.2 },
    roundTripSeconds: { warning: 0.25, critical: 0.5 },
    renderSeconds: { warning: 0.1, critical: 0.25 },
  },
};
