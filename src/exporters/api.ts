/**
 * The JSON API (/api/v1/*) and the query validation the pages share: every endpoint reads the
 * collector, and a bad query parameter (unknown name, wrong value) is refused with 400 and the
 * reason.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import { z } from 'zod';
import type { Collector } from '../collector/collector.ts';
import { CLIENT_STATES } from '../collector/clients.ts';
import type { ClientView } from '../collector/clients.ts';
import { parseQuery } from '../http/query.ts';
import type { ClientState } from '../pmip/events.ts';
import { statisticsDocument } from './statistics.ts';

// The query handling of both HTTP servers (unknown, repeated and bad parameters) lives there.
export { BadQueryError, parseQuery } from '../http/query.ts';

export interface ExporterActions {
  /** Re-fetches the subnet map from the AAP (the Subnet Map page's Refresh button). */
  refreshSubnetMap?: () => Promise<void>;
}

const noParameters = z.object({}).strict();

export function clientQuerySchema(accessPoints: readonly string[]) {
  return z
    .object({
      access_point: z
        .string()
        .refine((v) => v === '' || accessPoints.includes(v), { error: 'not a known access point' })
        .optional(),
      state: z
        .union([z.enum(CLIENT_STATES as [ClientState, ...ClientState[]]), z.literal('')], {
          error: `must be one of ${CLIENT_STATES.join(', ')}`,
        })
        .optional(),
      limit: z.coerce
        .number({ error: 'must be a number' })
        .int({ error: 'must be an integer' })
        .min(1, { error: 'must be at least 1' })
        .max(10_000, { error: 'must be at most 10000' })
        .optional(),
      offset: z.coerce
        .number({ error: 'must be a number' })
        .int({ error: 'must be an integer' })
        .min(0, { error: 'must be at least 0' })
        .optional(),
    })
    .strict();
}

export interface ClientPage {
  total: number;
  offset: number;
  limit: number;
  clients: ClientView[];
}

export function queryClients(
  collector: Collector,
  query: unknown,
  defaultLimit = 1000,
): ClientPage & {
  filter: { accessPoint?: string; state?: ClientState };
} {
  const q = parseQuery(clientQuerySchema(collector.labels().accessPoints), query);
  const filter = {
    accessPoint: q.access_point || undefined,
    state: (q.state || undefined) as ClientState | undefined,
  };
  const all = collector.clients(filter).sort((a, b) => a.mac.localeCompare(b.mac));
  const offset = q.offset ?? 0;
  const limit = q.limit ?? defaultLimit;
  return { total: all.length, offset, limit, clients: all.slice(offset, offset + limit), filter };
}

export function apiRouter(collector: Collector, actions: ExporterActions): Router {
  const router = express.Router();
  const plain = (path: string, body: () => unknown) =>
    router.get(path, (req: Request, res: Response) => {
      parseQuery(noParameters, req.query);
      res.json(body());
    });
  plain('/statistics', () => statisticsDocument(collector.snapshot()));
  plain('/subnet-map', () => ({ rows: collector.subnetMap() }));
  plain('/security-associations', () => ({ securityAssociations: collector.securityAssociations() }));
  plain('/aaps', () => ({ aaps: collector.aaps() }));
  plain('/bindings', () => ({ bindings: collector.bindings() }));
  plain('/visitors', () => ({ visitors: collector.visitors() }));
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
