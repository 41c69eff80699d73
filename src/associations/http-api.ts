/**
 * The association HTTP API: how a site tells the engine which wireless client is on which access
 * point (from hostapd's action script, a wireless controller's webhook, or anything that can run
 * curl). It has a listener of its own (`associations.http.listen`), separate from the exporter, and
 * every request under /api/ carries a bearer token (`associations.http.token`), compared in
 * constant time and never logged. Documented in docs/associations.md.
 *
 *   POST   /api/v1/associations        {mac, address, ssid, accessPoint, nai?}   associate (or move)
 *   DELETE /api/v1/associations/{mac}[?accessPoint=ID]                           disassociate
 *   GET    /api/v1/associations                                                 list
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { listenForUrl } from '../http/listen.ts';
import { methodNotAllowed } from '../http/methods.ts';
import { BadQueryError, noQueryParameters, parseQuery } from '../http/query.ts';
import type { Association, ClientView } from '../pmip/proxy/access-point.ts';
import type { SsidSettings } from '../pmip/proxy/rules.ts';
import { isIpv4 } from '../pmip/wire/ipv4.ts';

/** What the API needs of an access point (AccessPoint has it all). */
export interface AssociationTarget {
  readonly id: string;
  readonly config: { readonly ssids: readonly SsidSettings[] };
  associate(a: Association): void;
  disassociate(mac: string): void;
  /** Re-registers a visiting client now; with the refresh, its SA is looked up past the RADIUS cache. */
  renew?(mac: string, options?: { refreshSecurityAssociation?: boolean }): boolean;
  client(mac: string): ClientView | undefined;
  clientViews(): ClientView[];
}

export interface AssociationsApiOptions {
  /** The access points on this host (by their `id`). */
  accessPoints: Iterable<AssociationTarget>;
  /** The bearer token every request must carry. */
  token: string;
  logger: Logger;
  /** Largest request body accepted, bytes (default 16 KiB). */
  bodyLimitBytes?: number;
}

export interface AssociationsServerOptions extends AssociationsApiOptions {
  listen: { host: string; port: number };
}

export interface AssociationsServer {
  /** Base URL, e.g. http://127.0.0.1:9435 */
  url: string;
  /** Stops accepting connections; requests in progress finish (at most `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** One association as the API lists it: the access point's client row. */
export interface AssociationView extends ClientView {
  accessPoint: string;
}

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$|^[0-9a-f]{2}(-[0-9a-f]{2}){5}$/i;
const MAC_RULE = 'must be a MAC address such as 02:00:00:00:00:01';

/** Lowercase, colon-separated: one client has one key whatever the sender's spelling. */
export function normalizeMac(mac: string): string {
  return mac.toLowerCase().replaceAll('-', ':');
}

const requiredString = (rule: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : rule) });

/** The longest NAI: the NAI extension's length is one octet (RFC 2794), counted in UTF-8 bytes. */
export const NAI_MAX_BYTES = 255;

/** Why `nai` cannot be sent in a registration, or undefined when it can. */
export function naiProblem(nai: string): string | undefined {
  if (nai.length === 0) return 'must not be empty';
  // A lone surrogate has no UTF-8 form: it would go out as U+FFFD, another NAI than the one given.
  if (/[\uD800-\uDFFF]/u.test(nai)) return 'must be valid Unicode text (a lone surrogate has no UTF-8 form)';
  const bytes = Buffer.byteLength(nai, 'utf8');
  if (bytes > NAI_MAX_BYTES) return `at most ${NAI_MAX_BYTES} bytes in UTF-8 (got ${bytes})`;
  return undefined;
}

/**
 * Why `address` cannot be a wireless client's address, or undefined when it can: a dotted quad,
 * and a unicast address (a client cannot hold 0.0.0.0, the limited broadcast address, a multicast
 * group or a class E address).
 */
export function clientAddressProblem(address: string): string | undefined {
  if (!isIpv4(address)) return 'must be a dotted-quad IPv4 address';
  const first = Number(address.split('.')[0]);
  if (address === '0.0.0.0') return 'must be a unicast client address, not 0.0.0.0 (unspecified)';
  if (address === '255.255.255.255')
    return 'must be a unicast client address, not 255.255.255.255 (limited broadcast)';
  if (first >= 224 && first <= 239)
    return 'must be a unicast client address, not a multicast address (224.0.0.0/4)';
  if (first >= 240) return 'must be a unicast client address, not a class E address (240.0.0.0/4, reserved)';
  return undefined;
}

/** A zod refinement from a `...Problem` function: its message is the issue. */
const problemCheck =
  (problem: (value: string) => string | undefined) =>
  (value: string, ctx: z.RefinementCtx): void => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };

function associationSchema(accessPoints: ReadonlyMap<string, AssociationTarget>) {
  return z
    .object({
      mac: requiredString(MAC_RULE).regex(MAC_PATTERN, MAC_RULE).transform(normalizeMac),
      address: requiredString('must be a dotted-quad IPv4 address').superRefine(
        problemCheck(clientAddressProblem),
      ),
      ssid: requiredString('must be a string')
        .min(1, 'must not be empty')
        .max(32, 'at most 32 characters (802.11 SSID)'),
      accessPoint: requiredString('must be a string').refine((id) => accessPoints.has(id), {
        message: `must be an access point on this host (${[...accessPoints.keys()].join(', ')})`,
      }),
      nai: z.string({ error: 'must be a string' }).superRefine(problemCheck(naiProblem)).optional(),
    })
    .strict();
}

/** A request the API refuses: status and the reason (`field: rule`), sent as `{error}`. */
export class AssociationRequestError extends Error {
  override readonly name = 'AssociationRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function reasonOf(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys')
        return `body: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      const path = i.path.map(String).join('.');
      return `${path || 'body'}: ${i.message}`;
    })
    .join('; ');
}

/** The first segment of a path that does not percent-decode, if any. */
function badlyEncodedSegment(path: string): string | undefined {
  return path.split('/').find((segment) => {
    try {
      decodeURIComponent(segment);
      return false;
    } catch {
      return true;
    }
  });
}

/** Constant-time check of a presented token against the configured one (both hashed to 32 bytes). */
export function bearerTokenChecker(token: string): (presented: string) => boolean {
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (presented) => timingSafeEqual(createHash('sha256').update(presented, 'utf8').digest(), expected);
}

export function createAssociationsApp(options: AssociationsApiOptions): express.Express {
  const { logger } = options;
  const accessPoints = new Map<string, AssociationTarget>();
  for (const ap of options.accessPoints) accessPoints.set(ap.id, ap);
  const schema = associationSchema(accessPoints);
  const tokenMatches = bearerTokenChecker(options.token);

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
    next();
  });

  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('Healthy\n');
  });

  // The token before anything else: an unauthenticated request gets nothing parsed.
  app.use('/api', (req, res, next) => {
    const header = req.get('authorization');
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
    if (!match) {
      logger.warn(
        { remote: req.socket.remoteAddress, reason: 'missing' },
        'association API: no bearer token',
      );
      res.set('WWW-Authenticate', 'Bearer realm="pmip-exporter associations"');
      res
        .status(401)
        .json({ error: 'authorization: a bearer token is required (Authorization: Bearer TOKEN)' });
      return;
    }
    if (!tokenMatches(match[1]!)) {
      logger.warn(
        { remote: req.socket.remoteAddress, reason: 'wrong' },
        'association API: wrong bearer token',
      );
      res.set('WWW-Authenticate', 'Bearer realm="pmip-exporter associations", error="invalid_token"');
      res.status(401).json({ error: 'authorization: the bearer token is not valid' });
      return;
    }
    next();
  });
  // Any content type is read as JSON: `curl -d '{...}'` without a Content-Type header works too.
  // Not strict: `null`, `1` or `"x"` are JSON too, refused below as not an object.
  app.use(
    '/api',
    express.json({ limit: options.bodyLimitBytes ?? 16 * 1024, type: () => true, strict: false }),
  );

  const noQuery = (req: Request): void => {
    parseQuery(noQueryParameters, req.query);
  };
  const deleteQuery = z.object({ accessPoint: z.string().optional() }).strict();

  app.get('/api/v1/associations', (req, res) => {
    noQuery(req);
    const associations: AssociationView[] = [];
    for (const ap of accessPoints.values())
      for (const c of ap.clientViews()) associations.push({ accessPoint: ap.id, ...c });
    associations.sort((a, b) => a.accessPoint.localeCompare(b.accessPoint) || a.mac.localeCompare(b.mac));
    res.json({ associations });
  });

  app.post('/api/v1/associations', (req, res) => {
    noQuery(req);
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new AssociationRequestError(
        400,
        'body: must be a JSON object {mac, address, ssid, accessPoint, nai?}',
      );
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new AssociationRequestError(400, reasonOf(parsed.error));
    const a = parsed.data;
    const target = accessPoints.get(a.accessPoint)!;

    // The client is on one access point at a time: associating here moves it from anywhere else.
    let known = false;
    let movedFrom: string | null = null;
    for (const ap of accessPoints.values()) {
      if (!ap.client(a.mac)) continue;
      known = true;
      if (ap !== target) {
        ap.disassociate(a.mac);
        movedFrom = ap.id;
      }
    }
    const ssid = target.config.ssids.find((s) => s.name === a.ssid);
    const proxied = ssid?.pmip === true;
    if (proxied) {
      target.associate({
        mac: a.mac,
        address: a.address,
        ssid: a.ssid,
        ...(a.nai !== undefined ? { nai: a.nai } : {}),
      });
    } else {
      // Not ours to proxy; an older association of this MAC on this access point ends here.
      target.disassociate(a.mac);
    }
    const client = target.client(a.mac) ?? null;
    logger.info(
      { mac: a.mac, address: a.address, ssid: a.ssid, accessPoint: target.id, movedFrom, proxied },
      movedFrom ? 'client moved' : 'client associated',
    );
    res.status(known ? 200 : 201).json({
      association: {
        mac: a.mac,
        address: a.address,
        ssid: a.ssid,
        accessPoint: target.id,
        ...(a.nai !== undefined ? { nai: a.nai } : {}),
      },
      proxied,
      ...(proxied
        ? {}
        : {
            reason: ssid
              ? `PMIP is disabled on SSID "${a.ssid}" of access point ${target.id}`
              : `SSID "${a.ssid}" is not configured on access point ${target.id}: not proxied`,
          }),
      movedFrom,
      client,
    });
  });

  // Refresh of a client: its SA is looked up again (past the RADIUS cache) and it re-registers.
  app.post('/api/v1/associations/:mac/refresh', (req, res) => {
    parseQuery(noQueryParameters, req.query);
    const raw = req.params.mac;
    if (typeof raw !== 'string' || !MAC_PATTERN.test(raw))
      throw new AssociationRequestError(400, `mac: ${MAC_RULE}`);
    const mac = normalizeMac(raw);
    const holders = [...accessPoints.values()].filter((ap) => ap.client(mac) !== undefined);
    if (holders.length === 0)
      throw new AssociationRequestError(
        404,
        `mac: ${mac} is not associated with any access point on this host`,
      );
    const renewed = holders.filter((ap) => ap.renew?.(mac, { refreshSecurityAssociation: true }) === true);
    logger.info({ mac, accessPoint: holders.map((ap) => ap.id).join(',') }, 'client refreshed');
    res.json({ mac, accessPoint: holders[0]!.id, refreshed: renewed.length > 0 });
  });

  app.delete('/api/v1/associations/:mac', (req, res) => {
    const { accessPoint } = parseQuery(deleteQuery, req.query);
    const raw = req.params.mac;
    if (typeof raw !== 'string' || !MAC_PATTERN.test(raw))
      throw new AssociationRequestError(400, `mac: ${MAC_RULE}`);
    const mac = normalizeMac(raw);
    if (accessPoint !== undefined && !accessPoints.has(accessPoint))
      throw new AssociationRequestError(
        400,
        `accessPoint: must be an access point on this host (${[...accessPoints.keys()].join(', ')})`,
      );
    const holders = [...accessPoints.values()].filter((ap) => ap.client(mac) !== undefined);
    // With ?accessPoint=ID only that access point's association ends: a late "left ap-1" after
    // the client already roamed to ap-2 must not cut it off there.
    const leaving = accessPoint === undefined ? holders : holders.filter((ap) => ap.id === accessPoint);
    if (leaving.length === 0) {
      const where = holders.length > 0 ? ` (it is on ${holders.map((ap) => ap.id).join(', ')})` : '';
      throw new AssociationRequestError(
        404,
        accessPoint === undefined
          ? `mac: ${mac} is not associated with any access point on this host`
          : `mac: ${mac} is not associated with access point ${accessPoint}${where}`,
      );
    }
    for (const ap of leaving) ap.disassociate(mac);
    const ids = leaving.map((ap) => ap.id);
    logger.info({ mac, accessPoint: ids.join(',') }, 'client disassociated');
    res.json({ mac, accessPoint: ids[0], removed: true });
  });

  app.use(
    methodNotAllowed(app, (req, res, allow) => {
      res.json({ error: `method not allowed: ${req.method} ${req.path} (allowed: ${allow})` });
    }),
  );
  app.use((req, res) => {
    res.status(404).json({ error: `no such endpoint: ${req.method} ${req.path}` });
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AssociationRequestError) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    if (err instanceof BadQueryError) {
      res.status(400).json({ error: err.message });
      return;
    }
    // The router could not percent-decode a path parameter (`/api/v1/associations/%zz`).
    if (err instanceof URIError) {
      const bad = badlyEncodedSegment(req.path);
      res.status(400).json({
        error: `path: ${bad === undefined ? 'a segment' : `segment "${bad}"`} is not valid percent-encoding`,
      });
      return;
    }
    // body-parser's errors carry `type` and `status`; their messages may quote the body: not sent.
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.parse.failed') {
      res.status(400).json({ error: 'body: not valid JSON' });
      return;
    }
    if (type === 'entity.too.large') {
      res.status(413).json({ error: `body: larger than ${options.bodyLimitBytes ?? 16 * 1024} bytes` });
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'body: could not be read' });
      return;
    }
    logger.error(
      {
        err: err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error' },
        path: req.path,
      },
      'association API request failed',
    );
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

export async function startAssociationsServer(
  options: AssociationsServerOptions,
): Promise<AssociationsServer> {
  const app = createAssociationsApp(options);
  const server: Server = createServer(app);
  const url = await listenForUrl(server, options.listen);
  options.logger.info({ url }, 'association API listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close(graceMs = 1000) {
      closing ??= new Promise<void>((resolveClose) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolveClose();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
