import { z } from 'zod';
import { inSubnet, ipv4ToUint32, isIpv4, prefixLengthOf } from '../pmip/wire/ipv4.ts';
import { checkPmipRules } from '../pmip/proxy/rules.ts';
import { parseKeyNotation } from '../pmip/security/key.ts';
import { influxdbSchema } from './influxdb.ts';

/**
 * The site configuration: one YAML file, validated here at start-up. Every error names the field
 * path and the rule it broke; all errors are reported at once. docs/configuration.md is checked
 * against this schema by a test.
 */
const ipv4 = z.string().refine(isIpv4, { message: 'must be a dotted-quad IPv4 address' });
const port = z.number().int().min(0).max(65535);
const cidr = z.string().refine(
  (s) => {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(s);
    return m !== null && isIpv4(m[1]!) && Number(m[2]) <= 32;
  },
  { message: 'must be CIDR notation a.b.c.d/N with N from 0 to 32' },
);
function isAddressOrPrefix(s: string): boolean {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d{1,2}))?$/.exec(s);
  return m !== null && isIpv4(m[1]!) && (m[2] === undefined || Number(m[2]) <= 32);
}
const mask = z.string().refine((s) => isIpv4(s) && prefixLengthOf(ipv4ToUint32(s)) >= 0, {
  message: 'must be a contiguous netmask such as 255.255.255.0',
});
const endpoint = z
  .string()
  // abort: a string that is not even shaped like one gets the message once, not twice.
  .regex(/^\d+\.\d+\.\d+\.\d+(:\d{1,5})?$/, {
    message: 'must be an IPv4 address with an optional :port',
    abort: true,
  })
  .refine((s) => isIpv4(s.split(':')[0]!) && Number(s.split(':')[1] ?? 0) <= 65535, {
    message: 'must be an IPv4 address with an optional :port',
  });
const hostPort = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, { message: 'must be HOST:PORT', abort: true })
  .refine((s) => Number(s.split(':').pop()) <= 65535, { message: 'port must be 0-65535' });
/** An SA key: 32 hex digits (128 bits), `hex:` any even number of hex digits, or `text:` a secret. */
const saKey = z.string().superRefine((text, ctx) => {
  const parsed = parseKeyNotation(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.rule });
});
/** Ids and names of access points and agents: the `node` of events and label values in /metrics. */
const nodeId = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: 'must be 1-64 letters, digits, dot, dash or underscore',
    abort: true,
  })
  .refine((s) => s !== 'other', { message: 'must not be "other" (reserved for unconfigured nodes)' });
/** `a.b.c.d:port`: where datagrams are sent, so the port is not optional. */
const endpointWithPort = z
  .string()
  .regex(/^\d+\.\d+\.\d+\.\d+:\d{1,5}$/, { message: 'must be an IPv4 address and :port', abort: true })
  .refine((s) => isIpv4(s.split(':')[0]!) && Number(s.split(':')[1]) <= 65535, {
    message: 'must be an IPv4 address and :port',
  });
const lifetimeSeconds = z.number().int().min(1).max(65535);

export const ssidSchema = z
  .object({
    name: z.string().min(1, 'must not be empty').max(32, 'at most 32 characters (802.11 SSID)'),
    pmip: z.boolean().default(true),
    vlan: z.number().int().min(1).max(4094).optional(),
  })
  .strict();

export const accessPointSchema = z
  .object({
    id: nodeId,
    address: ipv4,
    subnet: cidr,
    mode: z.enum(['root', 'repeater']).default('root'),
    pmip: z.boolean().default(true),
    ssids: z.array(ssidSchema).default([]),
    vlans: z.array(z.number().int().min(1).max(4094)).default([]),
    aaps: z.array(endpoint).default([]),
    registrationPort: port.default(0),
    advertisementPort: port.default(0),
    homeAgentPort: port.default(434),
    foreignAgentPort: port.default(434),
    foreignAgent: z
      .object({
        // The foreign agent's display name (its label in /metrics and the pages).
        name: nodeId.optional(),
        address: ipv4,
        port: port.default(434),
        careOfAddress: ipv4.optional(),
        maxLifetime: z.number().int().min(1).max(65535).optional(),
      })
      .strict()
      .optional(),
    // No foreign agent: register directly with the home agent, own address as care-of (D flag).
    colocatedCareOfAddress: z.boolean().default(false),
    // Agent discovery over UDP (loopback, labs) or real ICMP on the interface of `address`.
    discovery: z.enum(['udp', 'icmp']).default('udp'),
    icmpSolicitTo: z.array(ipv4).min(1, 'at least one address when given').optional(),
    solicitTo: z.array(endpoint).default([]),
    // Agent advertisements are heard only from these addresses (in order of preference) when set.
    allowedAgents: z.array(ipv4).min(1, 'at least one address when given').optional(),
    lifetime: z.number().int().min(1).max(65534).default(600),
    retransmitInitialMs: z
      .number()
      .int()
      .min(1000, 'must be at least 1000 (RFC 5944: first retry no sooner than 1 s)')
      .default(1000),
    retransmitMaxMs: z.number().int().min(1000).default(16000),
    maxRetransmissions: z.number().int().min(0).max(10).default(3),
    renewFraction: z
      .number()
      .gt(0)
      .lt(1, 'must be below 1: re-registration starts before the lifetime ends')
      .default(0.8),
    reverseTunnel: z.boolean().default(false),
    gre: z.boolean().default(false),
  })
  .strict();

export const localBindingSchema = z
  .object({
    address: ipv4,
    rangeEnd: ipv4.optional(),
    spi: z.number().int().min(256, 'must be >= 256 (SPIs 0-255 are reserved)').max(0xffffffff),
    key: saKey,
    algorithm: z.enum(['prefix-suffix', 'hmac-md5']).default('prefix-suffix'),
    replay: z.enum(['timestamp', 'nonce']).default('timestamp'),
    replayWindowSeconds: z.number().int().min(1).max(3600).default(7),
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
const perNodeFields = {
  spi: z.number().int().min(256, 'must be >= 256 (SPIs 0-255 are reserved)').max(0xffffffff),
  key: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits (a 128-bit key)'),
  algorithm: z.enum(['prefix-suffix', 'hmac-md5']).default('prefix-suffix'),
  replay: z.enum(['timestamp', 'nonce']).default('timestamp'),
  replayWindowSeconds: z.number().int().min(1).max(3600).default(7),
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
    userName: z.enum(['home-address', 'nai']).default('home-address'),
    order: z.enum(['local-first', 'radius-first', 'radius-only']).default('local-first'),
    attributeStyle: z.enum(['auto', 'cisco', '3gpp2']).default('auto'),
    timeoutMs: z.number().int().min(100).max(60000).default(3000),
    retries: z.number().int().min(0).max(10).default(2),
    holdDownSeconds: z.number().int().min(0).max(86400).default(30),
    cacheSeconds: z.number().int().min(0).default(300),
    negativeCacheSeconds: z.number().int().min(0).default(30),
    messageAuthenticator: z.boolean().default(true),
    // For SAs whose attributes do not say (3GPP2 names neither algorithm nor replay protection).
    algorithm: z.enum(['prefix-suffix', 'hmac-md5']).default('prefix-suffix'),
    replay: z.enum(['timestamp', 'nonce']).default('timestamp'),
    replayWindowSeconds: z.number().int().min(1).max(3600).default(7),
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
      const name = s.name ?? (s.address.includes(':') ? s.address : `${s.address}:1812`);
      if (names.has(name))
        ctx.addIssue({ code: 'custom', path: ['servers', i], message: `duplicate server "${name}"` });
      names.add(name);
    });
  });

/** Agent advertisements (RFC 5944 section 2) over UDP: loopback and labs have no ICMP link. */
const advertisementFields = {
  intervalMs: z.number().int().min(0).max(3_600_000).default(0),
  peers: z.array(endpointWithPort).default([]),
  port: port.default(0),
  initialSequence: z.number().int().min(0).max(65535).default(0),
};

/** A home agent this process hosts (a lab peer or a small site's own), after RFC 5944 section 3.8. */
export const homeAgentSchema = z
  .object({
    id: nodeId,
    address: ipv4,
    port: port.default(434),
    subnet: cidr,
    listenOnBroadcast: z.boolean().default(false),
    maxLifetime: lifetimeSeconds.default(1800),
    simultaneousBindings: z.boolean().default(false),
    maxSimultaneousBindings: z.number().int().min(1).max(255).default(5),
    encapsulations: z
      .object({ gre: z.boolean().default(true), minimal: z.boolean().default(true) })
      .strict()
      .default({ gre: true, minimal: true }),
    reverseTunnel: z.boolean().default(true),
    // Absent: the file's securityAssociations.local bindings serve this home agent.
    securityAssociations: z.array(localBindingSchema).optional(),
    // Proxy mode (RFC 5563): requests with extension 47 are checked with 34 and one of these.
    perNodeSecurityAssociations: z.array(z.object(perNodeFields).strict()).optional(),
    advertisements: z.object(advertisementFields).strict().optional(),
  })
  .strict();

/** A foreign agent this process hosts, after RFC 5944 section 3.7. */
export const foreignAgentSchema = z
  .object({
    id: nodeId,
    address: ipv4,
    port: port.default(434),
    careOfAddress: ipv4.optional(),
    maxLifetime: lifetimeSeconds.default(1800),
    encapsulations: z
      .object({ gre: z.boolean().default(false), minimal: z.boolean().default(false) })
      .strict()
      .default({ gre: false, minimal: false }),
    reverseTunnel: z.boolean().default(false),
    homeAgentPort: port.default(434),
    pendingTimeoutMs: z.number().int().min(100).max(600_000).default(7000),
    maxPending: z.number().int().min(1).max(1_000_000).default(10_000),
    maxPendingPerSource: z.number().int().min(1).max(1_000_000).optional(),
    maxPendingPerHomeAgent: z.number().int().min(1).max(1_000_000).optional(),
    maxVisitors: z.number().int().min(1).max(1_000_000).default(10_000),
    servedHomeAgents: z
      .array(z.string().refine(isAddressOrPrefix, { message: 'must be an IPv4 address or a.b.c.d/N' }))
      .min(1, 'at least one address or prefix when given')
      .optional(),
    // Token buckets on relayed requests (over them: 66); defaults in docs/configuration.md.
    relayRateLimit: z
      .object({
        perSourcePerSecond: z.number().positive('must be above 0').max(1_000_000).optional(),
        perSourceBurst: z.number().int().min(1).max(10_000_000).optional(),
        overallPerSecond: z.number().positive('must be above 0').max(1_000_000).optional(),
        overallBurst: z.number().int().min(1).max(10_000_000).optional(),
      })
      .strict()
      .optional(),
    advertisements: z
      .object({
        ...advertisementFields,
        registrationRequired: z.boolean().default(true),
        busy: z.boolean().default(false),
        // Absent: udp.
        transport: z.enum(['udp', 'icmp']).optional(),
        icmpTo: z.array(ipv4).min(1, 'at least one address when given').optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const siteSchema = z
  .object({
    site: z
      .object({ name: z.string().min(1).default('site') })
      .strict()
      .default({ name: 'site' }),
    // May be empty when the file hosts agents only (a lab); otherwise a cross-field rule refuses it.
    accessPoints: z.array(accessPointSchema).default([]),
    homeAgents: z.array(homeAgentSchema).default([]),
    foreignAgents: z.array(foreignAgentSchema).default([]),
    securityAssociations: z
      .object({
        local: z.array(localBindingSchema).default([]),
        radius: radiusSchema.optional(),
        // Proxy mode towards these home agents: one per-node SA each (RFC 5563 section 3.1).
        perNode: z.array(perNodeBindingSchema).default([]),
      })
      .strict()
      .default({ local: [], perNode: [] }),
    // `name`: the home agent's display name (its label in /metrics and the pages).
    subnetMap: z.array(z.object({ homeAgent: ipv4, mask, name: nodeId.optional() }).strict()).default([]),
    aap: z
      .object({
        groupKey: z.string().min(16, 'must be at least 16 characters'),
        port: port.default(6500),
      })
      .strict()
      .optional(),
    associations: z
      .object({
        // The association HTTP API (src/associations/http-api.ts) on a listener of its own.
        http: z
          .object({
            listen: hostPort.default('127.0.0.1:9435'),
            token: z.string().min(16, 'must be at least 16 characters'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    exporters: z
      .object({
        prometheus: z
          .object({ listen: hostPort.default('127.0.0.1:9434'), webConfigFile: z.string().optional() })
          .strict()
          .default({ listen: '127.0.0.1:9434' }),
        // InfluxDB output (src/config/influxdb.ts, docs/influxdb.md).
        influxdb: influxdbSchema.optional(),
      })
      .strict()
      .default({ prometheus: { listen: '127.0.0.1:9434' } }),
    logging: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
        // Engine problems (failed registrations, security violations, ...) per cause: at most
        // `lines` lines per `windowSeconds`, then one "suppressed K similar messages" line.
        rateLimit: z
          .object({
            lines: z.number().int().min(1).max(1000).default(5),
            windowSeconds: z.number().int().min(1).max(3600).default(10),
          })
          .strict()
          .default({ lines: 5, windowSeconds: 10 }),
      })
      .strict()
      .default({ level: 'info', rateLimit: { lines: 5, windowSeconds: 10 } }),
  })
  .strict()
  // The cross-field rules run even when other fields failed (so that every problem is reported at
  // once); each rule reads only the parts of the input that are well formed and stays silent
  // about the rest, which already has its own problem reported.
  .superRefine(
    (site, ctx) => {
      for (const issue of siteRuleIssues(site)) ctx.addIssue({ code: 'custom', ...issue });
    },
    { when: (payload) => isRecord(payload.value) },
  );

interface SiteIssue {
  path: PropertyKey[];
  message: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The cross-field rules on a (possibly partly invalid) parsed site configuration. */
function siteRuleIssues(site: unknown): SiteIssue[] {
  const out: SiteIssue[] = [];
  if (!isRecord(site)) return out;
  const accessPoints = Array.isArray(site.accessPoints) ? site.accessPoints : [];
  const sa = isRecord(site.securityAssociations) ? site.securityAssociations : undefined;
  const local = sa && Array.isArray(sa.local) ? sa.local : undefined;
  const ids = new Set<string>();
  let saReported = false;
  accessPoints.forEach((ap: unknown, i) => {
    if (!isRecord(ap)) return;
    if (typeof ap.id === 'string') {
      if (ids.has(ap.id))
        out.push({ path: ['accessPoints', i, 'id'], message: `duplicate access point id "${ap.id}"` });
      ids.add(ap.id);
    }
    const advertisementPort = ap.advertisementPort;
    if (Array.isArray(ap.solicitTo) && (advertisementPort === 0 || advertisementPort === undefined)) {
      ap.solicitTo.forEach((t: unknown, j) => {
        if (typeof t === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(t))
          out.push({
            path: ['accessPoints', i, 'solicitTo', j],
            message: 'must name a :port when advertisementPort is 0',
          });
      });
    }
    if (ap.colocatedCareOfAddress === true && ap.foreignAgent !== undefined)
      out.push({
        path: ['accessPoints', i, 'colocatedCareOfAddress'],
        message:
          'must not be combined with foreignAgent (a co-located care-of address needs no foreign agent)',
      });
    // The access point operating rules (src/pmip/proxy/rules.ts, docs/configuration.md), per AP.
    if (ap.pmip !== true) return;
    const ssidsWellFormed =
      Array.isArray(ap.ssids) && ap.ssids.every((x: unknown) => isRecord(x) && typeof x.pmip === 'boolean');
    const ssids = Array.isArray(ap.ssids)
      ? ap.ssids.map((x: unknown) =>
          isRecord(x)
            ? {
                name: String(x.name),
                pmip: x.pmip === true,
                ...(x.vlan !== undefined ? { vlan: Number(x.vlan) } : {}),
              }
            : { name: '', pmip: false },
        )
      : [];
    const aaps = Array.isArray(ap.aaps) ? ap.aaps.map(String) : undefined;
    const vlans = Array.isArray(ap.vlans) ? ap.vlans.map(Number) : [];
    const violations = checkPmipRules({
      mode: ap.mode === 'repeater' ? 'repeater' : 'root',
      ssids,
      aaps: aaps ?? [],
      // No `aap` section: the subnet map is the configured rows only and no AAP is needed.
      subnetMapExchange: site.aap !== undefined,
      localBindings: local?.length ?? 0,
      radius: sa?.radius !== undefined,
      interfaceVlans: vlans,
    });
    for (const v of violations) {
      if (v.path === 'ssids' && !ssidsWellFormed) continue;
      if (v.path === 'aaps' && aaps === undefined) continue;
      if (v.path === 'securityAssociations') {
        // One source of SAs serves the whole site: report it once, not per access point.
        if (local !== undefined && !saReported) out.push({ path: ['securityAssociations'], message: v.rule });
        saReported = true;
        continue;
      }
      const path: PropertyKey[] = ['accessPoints', i];
      for (const p of v.path.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== ''))
        path.push(/^\d+$/.test(p) ? Number(p) : p);
      out.push({ path, message: v.rule });
    }
  });
  if (local) out.push(...rangeIssues(local, ['securityAssociations', 'local']));
  // Two listeners cannot share one address and port (0 = any free port is always fine).
  const exporters = isRecord(site.exporters) ? site.exporters : undefined;
  const prometheusListen = isRecord(exporters?.prometheus) ? exporters.prometheus.listen : undefined;
  const associations = isRecord(site.associations) ? site.associations : undefined;
  const associationsListen = isRecord(associations?.http) ? associations.http.listen : undefined;
  if (
    typeof prometheusListen === 'string' &&
    prometheusListen === associationsListen &&
    !prometheusListen.endsWith(':0')
  )
    out.push({
      path: ['associations', 'http', 'listen'],
      message: `must differ from exporters.prometheus.listen (${prometheusListen})`,
    });
  out.push(...agentRuleIssues(site, local));
  return out;
}

/** A range of SA bindings ends at or after its start. */
function rangeIssues(bindings: unknown[], at: PropertyKey[]): SiteIssue[] {
  const out: SiteIssue[] = [];
  bindings.forEach((b: unknown, i) => {
    if (!isRecord(b) || typeof b.address !== 'string' || typeof b.rangeEnd !== 'string') return;
    if (!isIpv4(b.address) || !isIpv4(b.rangeEnd)) return;
    if (ipOrder(b.rangeEnd) < ipOrder(b.address))
      out.push({ path: [...at, i, 'rangeEnd'], message: `must not be below address ${b.address}` });
  });
  return out;
}

const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const wellFormedIpv4 = (v: unknown): v is string => typeof v === 'string' && isIpv4(v);

/**
 * The rules on hosted agents and agent names: something to run, unique ids and addresses, one
 * socket per address and port, a home agent on its own home network with SAs to check requests,
 * and one name per agent address (the collector labels agents by these names).
 */
function agentRuleIssues(site: Record<string, unknown>, local: unknown[] | undefined): SiteIssue[] {
  const out: SiteIssue[] = [];
  const accessPoints = listOf(site.accessPoints);
  const homeAgents = listOf(site.homeAgents);
  const foreignAgents = listOf(site.foreignAgents);
  if (
    Array.isArray(site.accessPoints) &&
    accessPoints.length === 0 &&
    Array.isArray(site.homeAgents) &&
    homeAgents.length === 0 &&
    Array.isArray(site.foreignAgents) &&
    foreignAgents.length === 0
  )
    out.push({
      path: ['accessPoints'],
      message: 'at least one access point is required, or agents to host (homeAgents, foreignAgents)',
    });

  // Ids: unique over access points and agents (the access points among themselves: see above).
  const nodeIds = new Map<string, string>();
  accessPoints.forEach((ap, i) => {
    if (isRecord(ap) && typeof ap.id === 'string' && !nodeIds.has(ap.id))
      nodeIds.set(ap.id, `accessPoints[${i}].id`);
  });
  const kinds = [
    { field: 'homeAgents', agents: homeAgents },
    { field: 'foreignAgents', agents: foreignAgents },
  ] as const;
  for (const { field, agents } of kinds) {
    const addresses = new Map<string, number>();
    agents.forEach((a, i) => {
      if (!isRecord(a)) return;
      if (typeof a.id === 'string') {
        const other = nodeIds.get(a.id);
        if (other !== undefined)
          out.push({ path: [field, i, 'id'], message: `duplicate id "${a.id}" (also ${other})` });
        else nodeIds.set(a.id, `${field}[${i}].id`);
      }
      if (wellFormedIpv4(a.address)) {
        const j = addresses.get(a.address);
        if (j !== undefined)
          out.push({
            path: [field, i, 'address'],
            message: `duplicate address ${a.address} (also ${field}[${j}])`,
          });
        else addresses.set(a.address, i);
      }
    });
  }

  // Sockets: one per address and fixed port (0 = any free port never collides).
  const binds: Array<{ address: string; port: unknown; path: PropertyKey[]; registration?: string }> = [];
  accessPoints.forEach((ap, i) => {
    if (!isRecord(ap) || !wellFormedIpv4(ap.address)) return;
    binds.push({
      address: ap.address,
      port: ap.registrationPort,
      path: ['accessPoints', i, 'registrationPort'],
    });
    binds.push({
      address: ap.address,
      port: ap.advertisementPort,
      path: ['accessPoints', i, 'advertisementPort'],
    });
  });
  for (const { field, agents } of kinds)
    agents.forEach((a, i) => {
      if (!isRecord(a) || !wellFormedIpv4(a.address)) return;
      binds.push({ address: a.address, port: a.port, path: [field, i, 'port'], registration: field });
      if (isRecord(a.advertisements))
        binds.push({
          address: a.address,
          port: a.advertisements.port,
          path: [field, i, 'advertisements', 'port'],
        });
    });
  const bound = new Map<string, (typeof binds)[number]>();
  for (const b of binds) {
    if (typeof b.port !== 'number' || !Number.isInteger(b.port) || b.port <= 0 || b.port > 65535) continue;
    const key = `${b.address}:${b.port}`;
    const other = bound.get(key);
    if (!other) bound.set(key, b);
    // Two agents of one kind on one address: the duplicate address rule has said it.
    else if (b.registration === undefined || b.registration !== other.registration)
      out.push({ path: b.path, message: `${key} is bound twice (also ${formatIssuePath(other.path)})` });
  }

  homeAgents.forEach((h, i) => {
    if (!isRecord(h)) return;
    // The home network holds the home agent's own address.
    const m = typeof h.subnet === 'string' ? /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(h.subnet) : null;
    if (m && isIpv4(m[1]!) && Number(m[2]) <= 32 && wellFormedIpv4(h.address)) {
      if (!inSubnet(ipOrder(h.address), ipOrder(m[1]!), Number(m[2])))
        out.push({
          path: ['homeAgents', i, 'subnet'],
          message: `must contain the home agent's address ${h.address}`,
        });
    }
    // Its SAs: its own list when given, else the file's local bindings.
    const own = h.securityAssociations;
    if (own !== undefined && !Array.isArray(own)) return;
    if (own !== undefined) out.push(...rangeIssues(own, ['homeAgents', i, 'securityAssociations']));
    if (
      (own !== undefined && own.length === 0) ||
      (own === undefined && local !== undefined && local.length === 0)
    )
      out.push({
        path: ['homeAgents', i, 'securityAssociations'],
        message: 'a home agent needs security associations: its own list, or securityAssociations.local',
      });
  });

  // One name per agent address, one address per name: hosted agents first, then the names given
  // to subnet map rows (home agents) and to static foreign agents.
  const names = (
    field: 'homeAgents' | 'foreignAgents',
    hosted: unknown[],
    named: Array<{ name: unknown; address: unknown; path: PropertyKey[] }>,
  ): void => {
    const byAddress = new Map<string, { name: string; where: string }>();
    const byName = new Map<string, { address: string; where: string }>();
    hosted.forEach((a, i) => {
      if (!isRecord(a) || typeof a.id !== 'string' || !wellFormedIpv4(a.address)) return;
      const where = `${field}[${i}].id`;
      if (!byAddress.has(a.address)) byAddress.set(a.address, { name: a.id, where });
      if (!byName.has(a.id)) byName.set(a.id, { address: a.address, where });
    });
    for (const n of named) {
      if (typeof n.name !== 'string' || !wellFormedIpv4(n.address)) continue;
      const where = formatIssuePath(n.path);
      const a = byAddress.get(n.address);
      const b = byName.get(n.name);
      if (a && a.name !== n.name)
        out.push({ path: n.path, message: `${n.address} is already named "${a.name}" (${a.where})` });
      else if (b && b.address !== n.address)
        out.push({ path: n.path, message: `"${n.name}" already names ${b.address} (${b.where})` });
      else {
        if (!a) byAddress.set(n.address, { name: n.name, where });
        if (!b) byName.set(n.name, { address: n.address, where });
      }
    }
  };
  names(
    'homeAgents',
    homeAgents,
    listOf(site.subnetMap).flatMap((r, i) =>
      isRecord(r) ? [{ name: r.name, address: r.homeAgent, path: ['subnetMap', i, 'name'] }] : [],
    ),
  );
  names(
    'foreignAgents',
    foreignAgents,
    accessPoints.flatMap((ap, i) =>
      isRecord(ap) && isRecord(ap.foreignAgent)
        ? [
            {
              name: ap.foreignAgent.name,
              address: ap.foreignAgent.address,
              path: ['accessPoints', i, 'foreignAgent', 'name'],
            },
          ]
        : [],
    ),
  );
  return out;
}

/** `['homeAgents', 0, 'port']` -> `homeAgents[0].port` (as the problems name fields). */
function formatIssuePath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

function ipOrder(s: string): number {
  return s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export type SiteConfig = z.infer<typeof siteSchema>;
export type AccessPointSiteConfig = z.infer<typeof accessPointSchema>;
export type HomeAgentSiteConfig = z.infer<typeof homeAgentSchema>;
export type ForeignAgentSiteConfig = z.infer<typeof foreignAgentSchema>;
