import { z } from 'zod';
import { accessPointSchema } from './access-point.ts';
import { foreignAgentSchema, homeAgentSchema } from './agents.ts';
import {
  AAP_DEFAULTS,
  ASSOCIATIONS_HTTP_DEFAULTS,
  LOGGING_DEFAULTS,
  PROMETHEUS_DEFAULTS,
  SITE_DEFAULTS,
} from './defaults.ts';
import { LOG_LEVELS, hostPort, ipv4, mask, nodeId, port } from './fields.ts';
import { influxdbSchema } from './influxdb.ts';
import { localBindingSchema, perNodeBindingSchema, radiusSchema } from './security-associations.ts';
import { isRecord, siteRuleIssues } from './site-rules.ts';

export { ssidSchema, accessPointSchema } from './access-point.ts';
export { homeAgentSchema, foreignAgentSchema } from './agents.ts';
export {
  localBindingSchema,
  perNodeBindingSchema,
  radiusSchema,
  radiusServerSchema,
} from './security-associations.ts';

/**
 * The site configuration: one YAML file, validated here at start-up. Every error names the field
 * path and the rule it broke; all errors are reported at once. docs/configuration.md is checked
 * against this schema by a test. The sections live beside this file (access-point.ts, agents.ts,
 * security-associations.ts), the shared field types in fields.ts, every default in defaults.ts and
 * the cross-field rules in site-rules.ts.
 */
export const siteSchema = z
  .object({
    site: z
      .object({ name: z.string().min(1).default(SITE_DEFAULTS.name) })
      .strict()
      .default({ ...SITE_DEFAULTS }),
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
        port: port.default(AAP_DEFAULTS.port),
      })
      .strict()
      .optional(),
    associations: z
      .object({
        // The association HTTP API (src/associations/http-api.ts) on a listener of its own.
        http: z
          .object({
            listen: hostPort.default(ASSOCIATIONS_HTTP_DEFAULTS.listen),
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
          .object({
            listen: hostPort.default(PROMETHEUS_DEFAULTS.listen),
            webConfigFile: z.string().optional(),
          })
          .strict()
          .default({ ...PROMETHEUS_DEFAULTS }),
        // InfluxDB output (src/config/influxdb.ts, docs/influxdb.md).
        influxdb: influxdbSchema.optional(),
      })
      .strict()
      .default({ prometheus: { ...PROMETHEUS_DEFAULTS } }),
    logging: z
      .object({
        level: z.enum(LOG_LEVELS).default(LOGGING_DEFAULTS.level),
        // Engine problems (failed registrations, security violations, ...) per cause: at most
        // `lines` lines per `windowSeconds`, then one "suppressed K similar messages" line.
        rateLimit: z
          .object({
            lines: z.number().int().min(1).max(1000).default(LOGGING_DEFAULTS.rateLimit.lines),
            windowSeconds: z
              .number()
              .int()
              .min(1)
              .max(3600)
              .default(LOGGING_DEFAULTS.rateLimit.windowSeconds),
          })
          .strict()
          .default({ ...LOGGING_DEFAULTS.rateLimit }),
      })
      .strict()
      .default({ level: LOGGING_DEFAULTS.level, rateLimit: { ...LOGGING_DEFAULTS.rateLimit } }),
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

export type SiteConfig = z.infer<typeof siteSchema>;
export type AccessPointSiteConfig = z.infer<typeof accessPointSchema>;
export type HomeAgentSiteConfig = z.infer<typeof homeAgentSchema>;
export type ForeignAgentSiteConfig = z.infer<typeof foreignAgentSchema>;
