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
  .regex(/^\d+\.\d+\.\d+\.\d+(:\d{1,5})?$/, 'must be an IPv4 address with an optional :port')
  .refine((s) => isIpv4(s.split(':')[0]!) && Number(s.split(':')[1] ?? 0) <= 65535, {
    message: 'must be an IPv4 address with an optional :port',
  });
const hostPort = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, 'must be HOST:PORT')
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
        http: z
          .object({ token: z.string().min(16, 'must be at least 16 characters') })
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
            url: z.string().url('must be a URL such as http://127.0.0.1:8086'),
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
  .superRefine((site, ctx) => {
    // The access point operating rules (shared/docs/pmip-protocol.md section 3), per AP.
    const ids = new Set<string>();
    let saReported = false;
    site.accessPoints.forEach((ap, i) => {
      if (ids.has(ap.id))
        ctx.addIssue({
          code: 'custom',
          path: ['accessPoints', i, 'id'],
          message: `duplicate access point id "${ap.id}"`,
        });
      ids.add(ap.id);
      if (!ap.pmip) return;
      for (const v of checkPmipRules({
        mode: ap.mode,
        ssids: ap.ssids,
        aaps: ap.aaps,
        localBindings: site.securityAssociations.local.length,
        radius: site.securityAssociations.radius !== undefined,
        interfaceVlans: ap.vlans,
      })) {
        const path: PropertyKey[] = ['accessPoints', i];
        if (v.path === 'securityAssociations') {
          // One source of SAs serves the whole site: report it once, not per access point.
          if (!saReported) ctx.addIssue({ code: 'custom', path: ['securityAssociations'], message: v.rule });
          saReported = true;
          continue;
        }
        for (const p of v.path.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== ''))
          path.push(/^\d+$/.test(p) ? Number(p) : p);
        ctx.addIssue({ code: 'custom', path, message: v.rule });
      }
    });
    site.securityAssociations.local.forEach((b, i) => {
      if (b.rangeEnd !== undefined && ipOrder(b.rangeEnd) < ipOrder(b.address)) {
        ctx.addIssue({
          code: 'custom',
          path: ['securityAssociations', 'local', i, 'rangeEnd'],
          message: `must not be below address ${b.address}`,
        });
      }
    });
  });

function ipOrder(s: string): number {
  return s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export type SiteConfig = z.infer<typeof siteSchema>;
export type AccessPointSiteConfig = z.infer<typeof accessPointSchema>;
