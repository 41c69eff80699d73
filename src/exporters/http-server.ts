/**
 * The exporter's HTTP(S) server (express 5): /metrics, the health endpoints, the statistics pages
 * and the JSON API, behind the optional TLS and basic auth of a web configuration file.
 */
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import compression from 'compression';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Collector } from '../collector/collector.ts';
import { listenForUrl } from '../http/listen.ts';
import { methodNotAllowed } from '../http/methods.ts';
import { BadQueryError, noQueryParameters, parseQuery } from '../http/query.ts';
import { apiRouter, integerParameter, knownHomeAgents, queryClients, statisticsWithViews } from './api.ts';
import type { ExporterViews } from './api.ts';
import { registerInfluxMetrics } from './influx/metrics.ts';
import type { ExporterActions } from './api.ts';
import { aapsPage } from './pages/aaps.ts';
import { CLIENTS_PAGE_LIMIT, clientsPage } from './pages/clients.ts';
import { html } from './pages/html.ts';
import type { SafeHtml } from './pages/html.ts';
import { landingPage } from './pages/landing.ts';
import { layout } from './pages/layout.ts';
import { securityAssociationsPage } from './pages/security-associations.ts';
import { statisticsPage } from './pages/statistics.ts';
import { subnetMapPage } from './pages/subnet-map.ts';
import { createPrometheusExporter } from './prometheus.ts';
import type { PrometheusExporter, PrometheusExporterOptions } from './prometheus.ts';
import { statisticsDocument } from './statistics.ts';
import { BasicAuthChecker, loadWebConfig } from './web-config.ts';
import type { WebConfig } from './web-config.ts';

export type { ExporterActions } from './api.ts';

export interface ExporterServerOptions {
  collector: Collector;
  listen: { host: string; port: number };
  /** exporter-toolkit web configuration (TLS, basic auth, headers). */
  webConfigFile?: string;
  actions?: ExporterActions;
  logger: Logger;
  prometheus?: Omit<PrometheusExporterOptions, 'collector'>;
  /** The exporter's own parts (the InfluxDB writer): their figures on the pages, JSON and /metrics. */
  views?: ExporterViews;
}

export interface ExporterServer {
  /** Base URL, e.g. http://127.0.0.1:9434 */
  url: string;
  exporter: PrometheusExporter;
  close(): Promise<void>;
}

/**
 * Bodies of at least 1 KiB (every real exposition), zlib level 1 (fastest): on a 500-access-point
 * page (1 MB) it deflates in about 60% of level 6's time to 6.4% of the text instead of 5.4%
 * (bench/fleet.bench.ts), so render + gzip stays near the render budget.
 */
const metricsCompression = compression({ threshold: 1024, level: 1 });

export function createExporterApp(
  options: Pick<ExporterServerOptions, 'collector' | 'actions' | 'logger' | 'views'>,
  exporter: PrometheusExporter,
  web: WebConfig = { headers: {} },
): express.Express {
  const { collector, logger } = options;
  const actions = options.actions ?? {};
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  const headers = { 'X-Content-Type-Options': 'nosniff', ...web.headers };
  app.use((_req, res, next) => {
    res.set(headers);
    next();
  });
  if (web.users) {
    const checker = new BasicAuthChecker(web.users);
    app.use((req, res, next) => {
      checker.check(req.get('authorization')).then(
        (ok) => {
          if (ok) return next();
          res.set('WWW-Authenticate', 'Basic realm="pmip-exporter", charset="UTF-8"');
          res.status(401).type('text/plain').send('Unauthorized\n');
        },
        (err: unknown) => next(err),
      );
    });
  }

  // A state-changing request (the Refresh form, POST /api/v1/subnet-map/refresh, any other) only
  // from the same origin: a cross-site page must not trigger an action with the user's credentials.
  app.use((req, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || !isCrossSite(req)) return next();
    if (req.path.startsWith('/api/')) res.status(403).json({ error: 'cross-site request refused' });
    else res.status(403).type('text/plain').send('cross-site request refused\n');
  });

  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('Healthy\n');
  });
  app.get('/-/ready', (_req, res) => {
    res.type('text/plain').send('Ready\n');
  });
  // gzip when the scraper asks for it (Prometheus sends `Accept-Encoding: gzip`, as node_exporter
  // answers): the compression middleware negotiates the coding (RFC 9110 section 12.5.3), sets
  // `Vary: Accept-Encoding`, and deflates on the libuv thread pool, off the event loop that
  // carries PMIP signalling. Identity otherwise. Only /metrics: the pages stay as they are.
  app.get('/metrics', metricsCompression, async (_req, res) => {
    const body = await exporter.render();
    res.set('Content-Type', exporter.contentType).send(body);
  });

  const page = (res: Response, html: string) => res.type('html').send(html);
  const noQuery = (req: Request) => parseQuery(noQueryParameters, req.query);
  app.get('/', (req, res) => {
    const { refresh } = parseQuery(overviewQuery, req.query);
    page(
      res,
      landingPage({
        health: collector.health(),
        statistics: statisticsDocument(collector.snapshot()),
        refreshSeconds: refresh,
      }),
    );
  });
  app.get('/statistics', (req, res) => {
    noQuery(req);
    page(res, statisticsPage(statisticsWithViews(collector, options.views ?? {})));
  });
  app.get('/clients', (req, res) => {
    const result = queryClients(collector, req.query, CLIENTS_PAGE_LIMIT);
    const health = collector.health(); // the collector's clock and the home agents' names
    page(
      res,
      clientsPage({
        page: result,
        accessPoints: collector.labels().accessPoints,
        homeAgents: knownHomeAgents(collector, health),
        now: health.time,
      }),
    );
  });
  app.get('/subnet-map', (req, res) => {
    const { refreshed } = parseQuery(subnetMapQuery, req.query);
    const message = refreshed === '1' ? 'Subnet map refreshed from the AAP.' : undefined;
    page(
      res,
      subnetMapPage({
        rows: collector.subnetMap(),
        canRefresh: actions.refreshSubnetMap !== undefined,
        message,
        homeAgentNames: new Map(collector.health().homeAgents.map((h) => [h.address, h.name])),
      }),
    );
  });
  app.post('/subnet-map/refresh', async (req, res) => {
    noQuery(req);
    if (!actions.refreshSubnetMap) {
      res.status(501).type('text/plain').send('no refresh action configured\n');
      return;
    }
    await actions.refreshSubnetMap();
    logger.info({ action: 'refresh-subnet-map' }, 'subnet map refreshed on request');
    res.redirect(303, '/subnet-map?refreshed=1');
  });
  app.get('/security-associations', (req, res) => {
    noQuery(req);
    page(res, securityAssociationsPage(collector.securityAssociations(), collector.snapshot().radius));
  });
  app.get('/aaps', (req, res) => {
    noQuery(req);
    page(res, aapsPage(collector.aaps(), statisticsDocument(collector.snapshot()).aap));
  });
  app.use('/api/v1', apiRouter(collector, actions, options.views));

  app.use(
    methodNotAllowed(app, (req, res, allow) => {
      const message = `method not allowed: ${req.method} ${req.path} (allowed: ${allow})`;
      if (req.path.startsWith('/api/')) res.json({ error: message });
      else res.type('html').send(layout('Method not allowed', '', escapedParagraph(message)));
    }),
  );
  app.use((req, res) => {
    if (req.path.startsWith('/api/')) res.status(404).json({ error: 'not found' });
    else
      res
        .status(404)
        .type('html')
        .send(layout('Not found', '', escapedParagraph(`No page at ${req.path}.`)));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const bad = err instanceof BadQueryError;
    const status = bad ? 400 : 500;
    const message = bad ? err.message : 'internal error';
    if (!bad) logger.error({ err: errorSummary(err), path: req.path }, 'request failed');
    if (req.path.startsWith('/api/')) res.status(status).json({ error: message });
    else
      res
        .status(status)
        .type('html')
        .send(layout(bad ? 'Bad request' : 'Error', '', escapedParagraph(message)));
  });
  return app;
}

/** The overview's query: `refresh=15` reloads the page every 15 s. */
const overviewQuery = z
  .object({
    refresh: integerParameter(5, 3600, 'must be a number of seconds'),
  })
  .strict();

/** The Subnet Map page's query: `refreshed=1` after the Refresh form's redirect. */
const subnetMapQuery = z.object({ refreshed: z.enum(['1'], { error: 'must be 1' }).optional() }).strict();

/**
 * A request a browser sent for another site's page (Fetch Metadata). Clients that send no
 * Sec-Fetch-Site (curl, Prometheus, older browsers) are not cross-site by this test.
 */
function isCrossSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

function escapedParagraph(text: string): SafeHtml {
  return html`<p>${text}</p>`;
}

/** Name and message only: an error object's other fields never reach the log. */
function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error
    ? { name: err.name, message: err.message }
    : { name: 'Error', message: String(err) };
}

/** How often one section's failures are logged at most (the counter counts every one). */
export const SECTION_FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Logs a failed part of `/metrics` (a section, the snapshot, the registry): the first failure at
 * once, then at most one line per part and minute, saying how many went unlogged in between (a
 * scrape every few seconds must not flood the log). Parts are a fixed set: the map stays small.
 */
export function sectionFailureLog(
  logger: Logger,
  now: () => number = Date.now,
): (collector: string, err: unknown) => void {
  const last = new Map<string, { at: number; unlogged: number }>();
  return (collector, err) => {
    const t = now();
    const seen = last.get(collector);
    if (seen && t - seen.at < SECTION_FAILURE_LOG_INTERVAL_MS) {
      seen.unlogged++;
      return;
    }
    logger.error(
      { collector, err: errorSummary(err), ...(seen?.unlogged ? { unloggedFailures: seen.unlogged } : {}) },
      `/metrics: ${collector} failed and was left out of the scrape (pmip_exporter_collect_failures_total)`,
    );
    last.set(collector, { at: t, unlogged: 0 });
  };
}

export async function startExporterServer(options: ExporterServerOptions): Promise<ExporterServer> {
  const web = options.webConfigFile ? await loadWebConfig(options.webConfigFile) : { headers: {} };
  const exporter = createPrometheusExporter({
    collector: options.collector,
    ...options.prometheus,
    onFailure: options.prometheus?.onFailure ?? sectionFailureLog(options.logger),
  });
  if (options.views?.influxdb) registerInfluxMetrics(exporter.registry, options.views.influxdb);
  const app = createExporterApp(options, exporter, web);
  const server: Server = web.tls ? createHttpsServer(web.tls, app) : createHttpServer(app);
  const url = await listenForUrl(server, options.listen, web.tls ? 'https' : 'http');
  options.logger.info({ url, tls: Boolean(web.tls), basicAuth: Boolean(web.users) }, 'exporter listening');
  return {
    url,
    exporter,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
