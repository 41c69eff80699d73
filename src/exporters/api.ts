/**
 * The JSON API (/api/v1/*) and the query validation the pages share: every endpoint reads the
 * collector, and a bad query parameter (unknown name, wrong value) is refused with 400 and the
 * reason.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import { z } from 'zod';
import type { Collector, HealthReport } from '../collector/collector.ts';
import { CLIENT_STATES } from '../collector/clients.ts';
import type { ClientView } from '../collector/clients.ts';
import { REGISTRATION_OUTCOME_KINDS } from '../collector/counters.ts';
import { parseQuery } from '../http/query.ts';
import type { ClientState, RegistrationOutcomeKind } from '../collector/vocabulary.ts';
import { influxdbStatistics } from './influx/status.ts';
import type { InfluxWriterStatus } from './influx/writer.ts';
import { statisticsDocument } from './statistics.ts';
import type { StatisticsDocument } from './statistics.ts';

// The query handling of both HTTP servers (unknown, repeated and bad parameters) lives there.
export { BadQueryError, parseQuery } from '../http/query.ts';

export interface ExporterActions {
  /** Re-fetches the subnet map from the AAP (the Subnet Map page's Refresh button). */
  refreshSubnetMap?: () => Promise<void>;
}

const noParameters = z.object({}).strict();

/** The columns `/api/v1/clients` and the Mobile Clients page sort by (`sort=`). */
export const CLIENT_SORT_KEYS = [
  'mac',
  'address',
  'nai',
  'access_point',
  'ssid',
  'state',
  'home_agent',
  'care_of_address',
  'lifetime_left',
  'last_outcome',
  'last_seen',
] as const;
export type ClientSortKey = (typeof CLIENT_SORT_KEYS)[number];

/** `outcome=`: a last-outcome kind, or `none` for clients with no concluded attempt yet. */
export const CLIENT_OUTCOME_FILTERS = [...REGISTRATION_OUTCOME_KINDS, 'none'] as const;
export type ClientOutcomeFilter = RegistrationOutcomeKind | 'none';

const MAX_SEARCH_LENGTH = 100;

/** A home agent as the pages name it: its label value and, when known, its address. */
export interface KnownHomeAgent {
  name: string;
  address: string | null;
}

export interface ClientQueryContext {
  accessPoints: readonly string[];
  /** Called only when `home_agent` is given. */
  homeAgents: () => readonly KnownHomeAgent[];
}

const oneOf = <T extends string>(values: readonly T[]) =>
  z
    .union([z.enum(values as unknown as [T, ...T[]]), z.literal('')], {
      error: `must be one of ${values.join(', ')}`,
    })
    .optional();

/** An optional integer query parameter from `min` (to `max`), each rule named in its error. */
export function integerParameter(min: number, max?: number, notANumber = 'must be a number') {
  const n = z.coerce
    .number({ error: notANumber })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be at least ${min}` });
  return (max === undefined ? n : n.max(max, { error: `must be at most ${max}` })).optional();
}

export function clientQuerySchema(context: ClientQueryContext) {
  return z
    .object({
      q: z
        .string()
        .max(MAX_SEARCH_LENGTH, { error: `must be at most ${MAX_SEARCH_LENGTH} characters` })
        .optional(),
      access_point: z
        .string()
        .refine((v) => v === '' || context.accessPoints.includes(v), { error: 'not a known access point' })
        .optional(),
      state: oneOf(CLIENT_STATES),
      home_agent: z
        .string()
        .refine((v) => v === '' || context.homeAgents().some((h) => h.name === v || h.address === v), {
          error: 'not a known home agent (give its name or address)',
        })
        .optional(),
      outcome: oneOf(CLIENT_OUTCOME_FILTERS),
      sort: oneOf(CLIENT_SORT_KEYS),
      order: oneOf(['asc', 'desc'] as const),
      limit: integerParameter(1, 10_000),
      offset: integerParameter(0),
    })
    .strict();
}

/** The home agents a `home_agent` filter may name: every label value, with its address when known. */
export function knownHomeAgents(collector: Collector, health = collector.health()): KnownHomeAgent[] {
  const out = new Map<string, KnownHomeAgent>();
  for (const h of health.homeAgents) out.set(h.name, { name: h.name, address: h.address });
  for (const name of collector.labels().homeAgents)
    if (!out.has(name)) out.set(name, { name, address: null });
  return [...out.values()];
}

export interface ClientFilterView {
  q?: string;
  accessPoint?: string;
  state?: ClientState;
  homeAgent?: string;
  outcome?: ClientOutcomeFilter;
}

export interface ClientPage {
  total: number;
  offset: number;
  limit: number;
  sort: ClientSortKey;
  order: 'asc' | 'desc';
  clients: ClientView[];
}

function ipv4Number(a: string | null): number | null {
  if (a === null) return null;
  const parts = a.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!Number.isInteger(v) || v < 0 || v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

type SortValue = string | number | null;

/** The value a column sorts by: addresses numerically, names as the pages show them. */
function sortValue(c: ClientView, key: ClientSortKey): SortValue {
  switch (key) {
    case 'mac':
      return c.mac;
    case 'address':
      return ipv4Number(c.address) ?? c.address;
    case 'nai':
      return c.nai;
    case 'access_point':
      return c.accessPoint;
    case 'ssid':
      return c.ssid;
    case 'state':
      return c.state;
    case 'home_agent':
      return c.homeAgent === null ? null : `${c.homeAgentName ?? ''}\u0000${c.homeAgent}`;
    case 'care_of_address':
      return c.careOfAddress === null ? null : (ipv4Number(c.careOfAddress) ?? c.careOfAddress);
    case 'lifetime_left':
      return c.lifetimeLeftSeconds;
    case 'last_outcome':
      return c.lastOutcome?.text ?? null;
    case 'last_seen':
      return c.lastSeen;
  }
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1; // numeric addresses before anything else
  if (typeof b === 'number') return 1;
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}

/** Sorted by `key` (null values last in either order), ties by MAC. */
export function sortClients(rows: ClientView[], key: ClientSortKey, order: 'asc' | 'desc'): ClientView[] {
  const sign = order === 'desc' ? -1 : 1;
  const keyed = rows.map((c) => ({ c, v: sortValue(c, key) }));
  keyed.sort((x, y) => {
    if (x.v === null || y.v === null) {
      if (x.v !== y.v) return x.v === null ? 1 : -1;
    } else {
      const d = compareValues(x.v, y.v);
      if (d !== 0) return sign * d;
    }
    return x.c.mac < y.c.mac ? -1 : x.c.mac > y.c.mac ? 1 : 0;
  });
  return keyed.map((k) => k.c);
}

const separators = /[:.-]/g;

/**
 * `q`: a case-insensitive substring of the MAC, the address or the NAI. A MAC written another way
 * (02-00-00-00-00-01, 0200.0000.0001, 020000000001) matches too: without colons, hex digits only
 * (and not an IPv4 address prefix), it is compared without separators.
 */
function matches(c: ClientView, q: string): boolean {
  const mac = c.mac.toLowerCase();
  if (mac.includes(q) || c.address.includes(q) || (c.nai?.toLowerCase().includes(q) ?? false)) return true;
  if (q.includes(':') || !/^[0-9a-f.-]+$/.test(q) || /^\d{1,3}(\.\d{0,3})*$/.test(q)) return false;
  const bare = q.replace(separators, '');
  return bare !== '' && mac.replace(separators, '').includes(bare);
}

export function queryClients(
  collector: Collector,
  query: unknown,
  defaultLimit = 1000,
): ClientPage & { filter: ClientFilterView } {
  let homeAgents: KnownHomeAgent[] | undefined;
  const q = parseQuery(
    clientQuerySchema({
      accessPoints: collector.labels().accessPoints,
      homeAgents: () => (homeAgents ??= knownHomeAgents(collector)),
    }),
    query,
  );
  const filter: ClientFilterView = {};
  if (q.q) filter.q = q.q;
  if (q.access_point) filter.accessPoint = q.access_point;
  if (q.state) filter.state = q.state;
  if (q.home_agent) filter.homeAgent = q.home_agent;
  if (q.outcome) filter.outcome = q.outcome;
  const { accessPoint, state } = filter;
  let rows = collector.clients({
    ...(accessPoint !== undefined ? { accessPoint } : {}),
    ...(state !== undefined ? { state } : {}),
  });
  if (filter.homeAgent !== undefined) {
    const wanted = filter.homeAgent;
    // A name stands for the agent's address too (rows of an agent with no name carry the address).
    const address = homeAgents?.find((h) => h.name === wanted)?.address ?? wanted;
    rows = rows.filter(
      (c) => c.homeAgent === wanted || c.homeAgent === address || c.homeAgentName === wanted,
    );
  }
  if (filter.outcome !== undefined) {
    const wanted = filter.outcome;
    rows = rows.filter((c) => (wanted === 'none' ? c.lastOutcome === null : c.lastOutcome?.kind === wanted));
  }
  if (filter.q !== undefined) {
    const needle = filter.q.trim().toLowerCase();
    if (needle !== '') rows = rows.filter((c) => matches(c, needle));
  }
  const sort = q.sort || 'mac';
  const order = q.order || 'asc';
  const all = sortClients(rows, sort, order);
  const offset = q.offset ?? 0;
  const limit = q.limit ?? defaultLimit;
  return {
    total: all.length,
    offset,
    limit,
    sort,
    order,
    clients: all.slice(offset, offset + limit),
    filter,
  };
}

/** `/api/v1/health`: the collector's health report with times as ISO 8601 strings. */
export function healthDocument(report: HealthReport) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const rows = (list: HealthReport['homeAgents']) =>
    list.map((r) => ({ ...r, lastReplyAt: r.lastReplyAt === null ? null : iso(r.lastReplyAt) }));
  return {
    time: iso(report.time),
    rules: report.rules,
    accessPoints: rows(report.accessPoints),
    homeAgents: rows(report.homeAgents),
    foreignAgents: rows(report.foreignAgents),
    outcomesPerMinute: report.outcomesPerMinute.map((p) => ({ time: iso(p.time), counts: p.counts })),
    roundTripLastHour: {
      bounds: [...report.roundTripLastHour.bounds],
      counts: report.roundTripLastHour.counts,
    },
    agentRestarts: report.agentRestarts.map((r) => ({ ...r, time: iso(r.time) })),
  };
}

/** Status readers of the exporter's own parts, shown beside the collector's figures. */
export interface ExporterViews {
  /** The InfluxDB writer, when configured: `influxdb` in the statistics document. */
  influxdb?: () => InfluxWriterStatus;
}

/** The statistics document, with the exporter parts' figures that are configured. */
export function statisticsWithViews(collector: Collector, views: ExporterViews): StatisticsDocument {
  const doc = statisticsDocument(collector.snapshot());
  if (views.influxdb) doc.influxdb = influxdbStatistics(views.influxdb());
  return doc;
}

export function apiRouter(collector: Collector, actions: ExporterActions, views: ExporterViews = {}): Router {
  const router = express.Router();
  const plain = (path: string, body: () => unknown) =>
    router.get(path, (req: Request, res: Response) => {
      parseQuery(noParameters, req.query);
      res.json(body());
    });
  plain('/statistics', () => statisticsWithViews(collector, views));
  plain('/subnet-map', () => ({ rows: collector.subnetMap() }));
  plain('/security-associations', () => {
    const radius = collector.snapshot().radius;
    return {
      securityAssociations: collector.securityAssociations(),
      // Present when RADIUS servers are configured: each server's lookup counters (never a secret).
      ...(radius ? { radiusServers: radius.servers } : {}),
    };
  });
  plain('/aaps', () => ({ aaps: collector.aaps() }));
  plain('/bindings', () => ({ bindings: collector.bindings() }));
  plain('/visitors', () => ({ visitors: collector.visitors() }));
  plain('/health', () => healthDocument(collector.health()));
  router.get('/clients', (req, res) => {
    const { filter: _filter, ...page } = queryClients(collector, req.query);
    res.json(page);
  });
  router.post('/subnet-map/refresh', async (req, res) => {
    parseQuery(noParameters, req.query);
    if (!actions.refreshSubnetMap) {
      res.status(501).json({ error: 'no refresh action configured' });
      return;
    }
    await actions.refreshSubnetMap();
    res.json({ refreshed: true, rows: collector.subnetMap().length });
  });
  return router;
}
