/** `securityAssociations`: local bindings, per-node SAs (RFC 5563) and the RADIUS source of SAs. */
import { z } from 'zod';
import { REPLAY_MODES } from '../pmip/event-vocabulary.ts';
import { AUTH_ALGORITHMS } from '../pmip/wire/auth.ts';
import { RADIUS_DEFAULTS as R, SECURITY_ASSOCIATION_DEFAULTS as SA } from './defaults.ts';
import { endpoint, ipv4, nodeId, saKey } from './fields.ts';

const spi = z.number().int().min(256, 'must be >= 256 (SPIs 0-255 are reserved)').max(0xffffffff);

/** How an SA authenticates and guards against replay: the same three fields wherever one is configured. */
const protectionFields = {
  algorithm: z.enum(AUTH_ALGORITHMS).default(SA.algorithm),
  replay: z.enum(REPLAY_MODES).default(SA.replay),
  replayWindowSeconds: z.number().int().min(1).max(3600).default(SA.replayWindowSeconds),
};

export const localBindingSchema = z
  .object({
    address: ipv4,
    rangeEnd: ipv4.optional(),
    spi,
    key: saKey,
    ...protectionFields,
  })
  .strict();

export const radiusServerSchema = z
  .object({
    // `a.b.c.d[:port]`, port 1812 when left out.
    address: endpoint,
    // This server's shared secret; absent: securityAssociations.radius.secret.
    secret: z.string().min(1, 'must not be empty').optional(),
    // The server's label in /metrics and the pages; absent: its address:port.
    name: nodeId.optional(),
  })
  .strict();

/** A per-node SA for proxy-mode authentication (RFC 5563 section 3.1): extension 34, not 32. */
export const perNodeFields = {
  spi,
  key: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits (a 128-bit key)'),
  ...protectionFields,
};
export const perNodeBindingSchema = z.object({ homeAgent: ipv4, ...perNodeFields }).strict();

export const radiusSchema = z
  .object({
    // One or more servers, asked in this order (failover on timeout).
    servers: z.array(radiusServerSchema).min(1, 'at least one server').optional(),
    // The one-server form of earlier versions; use `servers` for several.
    server: endpoint.optional(),
    secret: z.string().min(1, 'must not be empty').optional(),
    password: z.string().min(1, 'must not be empty'),
    userName: z.enum(['home-address', 'nai']).default(R.userName),
    order: z.enum(['local-first', 'radius-first', 'radius-only']).default(R.order),
    attributeStyle: z.enum(['auto', 'cisco', '3gpp2']).default(R.attributeStyle),
    timeoutMs: z.number().int().min(100).max(60000).default(R.timeoutMs),
    retries: z.number().int().min(0).max(10).default(R.retries),
    holdDownSeconds: z.number().int().min(0).max(86400).default(R.holdDownSeconds),
    cacheSeconds: z.number().int().min(0).default(R.cacheSeconds),
    negativeCacheSeconds: z.number().int().min(0).default(R.negativeCacheSeconds),
    messageAuthenticator: z.boolean().default(R.messageAuthenticator),
    // For SAs whose attributes do not say (3GPP2 names neither algorithm nor replay protection).
    ...protectionFields,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.servers === undefined && r.server === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['servers'],
        message: 'at least one server (servers, or server)',
      });
    if (r.servers !== undefined && r.server !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['server'],
        message: 'must not be given with servers (list it there)',
      });
    if (r.secret === undefined) {
      if (r.servers === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['secret'],
          message: 'required (the shared secret of the server)',
        });
      else
        r.servers.forEach((s, i) => {
          if (s.secret === undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['servers', i, 'secret'],
              message: 'required when securityAssociations.radius.secret is not given',
            });
        });
    }
    const names = new Set<string>();
    (r.servers ?? []).forEach((s, i) => {
      const name = s.name ?? (s.address.includes(':') ? s.address : `${s.address}:${R.port}`);
      if (names.has(name))
        ctx.addIssue({ code: 'custom', path: ['servers', i], message: `duplicate server "${name}"` });
      names.add(name);
    });
  });
