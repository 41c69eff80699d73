import { z } from 'zod';
import { isIpv4 } from '../pmip/wire/ipv4.ts';
import { checkPmipRules } from '../pmip/proxy/rules.ts';
import { maskToPrefixLength } from '../pmip/subnet-map/table.ts';

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
const mask = z.string().refine(
  (s) => {
    try {
      maskToPrefixLength(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a contiguous netmask such as 255.255.255.0' },
);
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
const keyHex = z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits (a 128-bit key)');

export const ssidSchema = z
  .object({
    name: z.string().min(1, 'must not be empty').max(32, 'at most 32 characters (802.11 SSID)'),
    pmip: z.boolean().default(true),
    vlan: z.number().int().min(1).max(4094).optional(),
  })
  .strict();

export const accessPointSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore'),
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
        address: ipv4,
        port: port.default(434),
        careOfAddress: ipv4.optional(),
        maxLifetime: z.number().int().min(1).max(65535).optional(),
      })
      .strict()
      .optional(),
    solicitTo: z.array(endpoint).default([]),
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
    key: keyHex,
    algorithm: z.enum(['prefix-suffix', 'hmac-md5']).default('prefix-suffix'),
    replay: z.enum(['timestamp', 'nonce']).default('timestamp'),
    replayWindowSeconds: z.number().int().min(1).max(3600).default(7),
  })
  .strict();

export const radiusSchema = z
  .object({
    server: endpoint,
    secret: z.string().min(1, 'must not be empty'),
    password: z.string().min(1, 'must not be empty'),
    timeoutMs: z.number().int().min(100).default(3000),
    retries: z.number().int().min(0).max(10).default(2),
    cacheSeconds: z.number().int().min(0).default(300),
  })
  .strict();

export const siteSchema = z
  .object({
    site: z
      .object({ name: z.string().min(1).default('site') })
      .strict()
      .default({ name: 'site' }),
    accessPoints: z.array(accessPointSchema).min(1, 'at least one access point is required'),
    securityAssociations: z
      .object({ local: z.array(localBindingSchema).default([]), radius: radiusSchema.optional() })
      .strict()
      .default({ local: [] }),
    subnetMap: z.array(z.object({ homeAgent: ipv4, mask }).strict()).default([]),
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
        influxdb: z
          .object({
            url: z
              .string()
              .url({ protocol: /^https?$/, message: 'must be a URL such as http://127.0.0.1:8086' }),
            database: z.string().min(1),
            intervalSeconds: z.number().min(1).default(10),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ prometheus: { listen: '127.0.0.1:9434' } }),
    logging: z
      .object({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') })
      .strict()
      .default({ level: 'info' }),
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
    // The access point operating rules (shared/docs/pmip-protocol.md section 3), per AP.
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
  local?.forEach((b: unknown, i) => {
    if (!isRecord(b) || typeof b.address !== 'string' || typeof b.rangeEnd !== 'string') return;
    if (!isIpv4(b.address) || !isIpv4(b.rangeEnd)) return;
    if (ipOrder(b.rangeEnd) < ipOrder(b.address))
      out.push({
        path: ['securityAssociations', 'local', i, 'rangeEnd'],
        message: `must not be below address ${b.address}`,
      });
  });
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
  return out;
}

function ipOrder(s: string): number {
  return s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export type SiteConfig = z.infer<typeof siteSchema>;
export type AccessPointSiteConfig = z.infer<typeof accessPointSchema>;
