/** The exporters: views of the collector (Prometheus, pages, JSON API). */
export { startExporterServer, createExporterApp } from './http-server.ts';
export type { ExporterActions, ExporterServer, ExporterServerOptions } from './http-server.ts';
export { createPrometheusExporter } from './prometheus.ts';
export type { PrometheusExporter, PrometheusExporterOptions } from './prometheus.ts';
export { statisticsDocument, STATISTICS_VERSION } from './statistics.ts';
export type { StatisticsDocument } from './statistics.ts';
export { loadWebConfig, WebConfigError } from './web-config.ts';
